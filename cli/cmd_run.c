/* exitdiff run: both executors on each case, outcomes side by side, the
 * diff, and optionally the reference outcome recorded into the file. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "case_text.h"
#include "cli.h"
#include "source_tree.h"
#include "diff.h"
#include "finding.h"
#include "host.h"
#include "known.h"
#include "kmsg.h"
#include "kvm_trace.h"
#include "pipeline.h"
#include "show.h"
#include "vmm.h"

struct run_opts {
	int record;
	const char *known;
	int vendor;   /* --vendor: the reference follows this vendor */
	int quiet;
	int oracle;
	/* The known-divergence list a campaign would use (the corpus one when
	 * readable): run says which bucket a divergence files under. */
	struct known_list list;
	int have_list;
	struct kmsg_reader *kmsg;   /* the host kernel log, fd -1 if not read */
	/* --against native|unicorn: that executor runs every case too, its
	 * outcome is shown beside KVM's and it says whom it agrees with. */
	const char *against;
	/* --against vmm:VMM on a host without KVM: the VMM takes KVM's place,
	 * as in fuzz --against (the session's hv_label names it). */
	int vmm_alone;
	/* --kvm-trace: KVM's tracepoints while the case ran (NULL: off). */
	struct kvm_trace *trace;
	struct pipeline *pl;        /* the finding pipeline (pipeline/pipeline.h) */
};


/* Kernel log lines printed while a case ran in KVM, kept for after the
 * verdict: every line, and which are findings (core/kmsg.h). */
struct kmsg_seen {
	struct kmsg_reader *r;
	FILE *f;
	unsigned lines, findings, foreign;
};

/* A line that names another process (kvm-pvm's "pid N") came from another
 * VM on the host, not from this case: counted, not shown. */
static void kmsg_keep(void *ctx, const char *msg)
{
	struct kmsg_seen *k = ctx;
	char key[128];
	long pid;
	enum kmsg_class c = kmsg_classify(&k->r->attr, msg, key, sizeof(key), &pid);
	if (pid && pid != (long)getpid()) {
		k->foreign++;
		return;
	}
	k->lines++;
	fprintf(k->f, "  %s\n", msg);
	if (c == KMSG_FINDING) {
		k->findings++;
		fprintf(k->f, "    finding: %s\n", key);
	}
}

/* KVM's trace of one case, printed after the verdict; a case that loops
 * to its budget is summed up rather than listed whole. */
#define TRACE_SHOWN 64

struct trace_seen {
	FILE *f;
	unsigned n;
};

static void trace_keep(void *ctx, const struct kvm_trace_event *e)
{
	struct trace_seen *t = ctx;
	if (t->n++ < TRACE_SHOWN)
		fprintf(t->f, "  %-20s %s\n", e->name, e->detail);
}

static void kmsg_discard(void *ctx, const char *msg)
{
	(void)ctx;
	(void)msg;
}


/* Fills cf's expectation from this run. Returns 0, or -1 when the case
 * diverges and no reason was given (nothing is written then). */
static int make_expectation(struct case_file *cf, const struct outcome *ref,
			    const struct outcome *kvm, const struct divergence *d,
			    const struct run_opts *o, const struct executor *kex,
			    int vendor_specific)
{
	const struct exit_event *t = outcome_terminal(ref);
	cf->has_expect = 1;
	cf->expect_from_kvm = t && t->kind == EXIT_UNSUPPORTED;
	cf->expect = cf->expect_from_kvm ? *kvm : *ref;
	/* A file with vendor sections keeps them: neutral and vendor
	 * sections never stand side by side (docs/formats.md). */
	cf->expect_vendor = vendor_specific || cf->vendors_recorded ?
		(uint8_t)host_info()->vendor : VENDOR_UNKNOWN;
	environment_format(&kex->env, cf->expect_env, sizeof(cf->expect_env));
	if (d->verdict != VERDICT_DIVERGE) {
		cf->known_reason[0] = cf->known_signature[0] = 0;
		return 0;
	}
	if (o->known)
		snprintf(cf->known_reason, sizeof(cf->known_reason), "%s", o->known);
	if (!cf->known_reason[0]) {
		fprintf(stderr, "exitdiff run: %s diverges (%s): give --known REASON to "
			"record it as a known divergence; nothing written\n",
			cf->c.id, d->signature);
		return -1;
	}
	snprintf(cf->known_signature, sizeof(cf->known_signature), "%s", d->signature);
	return 0;
}

/* 1 when the reference ends otherwise under another vendor's definition
 * (ref_vendor.c): then the expectation holds on this vendor only. */
static int depends_on_vendor(struct session *s, const struct test_case *c,
			     const struct outcome *ref)
{
	struct outcome *other = malloc(sizeof(*other));
	enum cpu_vendor saved = s->ref.vendor;
	int differs = 0;
	for (int v = VENDOR_INTEL; other && v < VENDOR_COUNT && !differs; v++) {
		if (v == (int)host_info()->vendor)
			continue;
		struct divergence d;
		s->ref.vendor = (enum cpu_vendor)v;
		differs = s->ref.ops->run(&s->ref, c, other) == 0 &&
			  outcome_diff(ref, other, &d) != VERDICT_AGREE;
	}
	s->ref.vendor = saved;
	free(other);
	return differs;
}

/* "bucket: KEY" and "cluster: KEY": what a campaign and the fuzzing
 * engines file this divergence under (pipeline_file), and whether the
 * known list names it. */
static void print_bucket(const struct run_opts *o, const struct test_case *c, const char *sig)
{
	struct finding f;
	char cluster[PIPELINE_CLUSTER_MAX];
	pipeline_file(o->pl, c, sig, &f);
	if (f.known)
		printf("  bucket: %s (known: %s)\n", f.key, f.known->reason);
	else
		printf("  bucket: %s (%s)\n", f.key, o->have_list ? "not on the known list" :
		       "no known list read");
	pipeline_cluster(f.key, c->knobs, 1, cluster);
	printf("  cluster: %s (the case's knobs taken as needed)\n", cluster);
}

/* "first divergence: SIG": where the states first part when the case's
 * run is cut short with a HLT (the name a campaign buckets it by), when a
 * second KVM run of the cut repeats it. */
static void print_first_divergence(const struct run_opts *o, const struct pl_result *whole)
{
	struct pl_result cut;
	if (pipeline_first(o->pl, whole, &cut)) {
		char line[256];
		divergence_describe(&cut.d, line, sizeof(line));
		printf("  first divergence: %s (cut with HLT at code offset 0x%x)\n    %s\n",
		       cut.d.signature, (unsigned)cut.cut_at, line);
		print_bucket(o, whole->c, cut.d.signature);
	} else {
		print_bucket(o, whole->c, whole->d.signature);
	}
}

static const char *pair_word(enum verdict v)
{
	return v == VERDICT_AGREE ? "agree" : v == VERDICT_DIVERGE ? "DIVERGE" : "not compared";
}

/* The third executor's run of the case, side by side with KVM, and who
 * agrees with whom; with a recorded expectation, the third against it too
 * (how the corpus's natively measured cases are checked). */
static void run_against(struct executor *ex, const char *hv, const struct case_file *cf,
			const struct outcome *ref, const struct outcome *kvm, int quiet)
{
	struct outcome *third = malloc(sizeof(*third));
	char detail[640];
	if (!third) {
		printf("against %s: out of memory\n", ex->ops->name);
		return;
	}
	enum oracle_side side = oracle_judge_by(ex, hv, &cf->c, ref, kvm, third, detail, sizeof(detail));
	if (side == ORACLE_FAILED) {
		fprintf(stderr, "exitdiff run: case %s: %s executor failed: %s\n", cf->c.id,
			ex->ops->name, detail);
		printf("oracle: %s failed\n", ex->ops->name);
		free(third);
		return;
	}
	if (!quiet) {
		printf("  -- %s beside %s\n", ex->ops->name, hv);
		show_side_by_side(stdout, ex->ops->name, third, hv, kvm, &cf->c);
	}
	struct divergence d1, d2, d3;
	enum verdict rk = outcome_diff(ref, kvm, &d1), xr = outcome_diff(ref, third, &d2),
		     xk = outcome_diff(third, kvm, &d3);
	printf("pairs: reference~%s %s, %s~reference %s, %s~%s %s\n", hv, pair_word(rk),
	       ex->ops->name, pair_word(xr), ex->ops->name, hv, pair_word(xk));
	if (side == ORACLE_BOTH && rk == VERDICT_AGREE)
		printf("oracle: %s agrees with both\n", ex->ops->name);
	else
		oracle_print(ex->ops->name, hv, side, detail);
	if (cf->has_expect && !cf->expect_from_kvm) {
		struct outcome *e = malloc(sizeof(*e));
		if (e) {
			/* The recorded expectation lacks nothing the masks
			 * need: it is a reference outcome. */
			*e = cf->expect;
			third->undefined_flags = e->undefined_flags;
			third->undefined_gprs = e->undefined_gprs;
			enum verdict ve = outcome_diff(e, third, &d2);
			printf("%s vs recorded expectation: %s", ex->ops->name, pair_word(ve));
			if (ve == VERDICT_DIVERGE)
				printf(" (%s)", d2.signature);
			else if (ve == VERDICT_UNSUPPORTED)
				printf(" (%s)", third->mnemonic);
			printf("\n");
			free(e);
		}
	}
	free(third);
}

static int run_one(struct session *s, const char *path, const struct run_opts *o,
		   struct outcome *ref, struct outcome *kvm, struct case_file *cf)
{
	char err[512];
	if (case_load(path, cf, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		return EXIT_USAGE;
	}
	char *klog = NULL;
	size_t klog_len = 0;
	struct kmsg_seen seen = { o->kmsg, NULL, 0, 0, 0 };
	if (o->kmsg->fd >= 0) {
		kmsg_drain(o->kmsg, kmsg_discard, NULL); /* what came before the case */
		seen.f = open_memstream(&klog, &klog_len);
	}
	char *ktrace = NULL;
	size_t ktrace_len = 0;
	struct trace_seen traced = { NULL, 0 };
	int tracing = o->trace && kvm_trace_begin(o->trace) == 0;
	struct pl_result res;
	enum pl_verdict pv = pipeline_run(o->pl, &cf->c, ref, kvm, &res);
	if (tracing && (traced.f = open_memstream(&ktrace, &ktrace_len))) {
		if (kvm_trace_end(o->trace, trace_keep, &traced) < 0)
			fprintf(traced.f, "  (the trace buffer could not be read)\n");
		else if (traced.n > TRACE_SHOWN)
			fprintf(traced.f, "  ... %u more\n", traced.n - TRACE_SHOWN);
		fclose(traced.f);
	}
	if (seen.f) {
		kmsg_drain(o->kmsg, kmsg_keep, &seen);
		fclose(seen.f);
		seen.f = NULL;
	}
	if (pv == PL_REF_FAILED || pv == PL_KVM_FAILED) {
		fprintf(stderr, "%s: case %s: executor failed: %s\n", path, cf->c.id, res.err);
		if (klog && seen.lines)
			fprintf(stderr, "host kernel log while the case ran (%u lines, %u findings):\n%s",
				seen.lines, seen.findings, klog);
		if (ktrace)
			fprintf(stderr, "kvm trace while the case ran (%u events):\n%s", traced.n, ktrace);
		free(klog);
		free(ktrace);
		return EXIT_USAGE;
	}
	struct divergence d = res.d;
	enum verdict v = d.verdict;
	if (!o->quiet) {
		printf("== %s (%s)\n", cf->c.id, path);
		show_side_by_side(stdout, "reference", ref, s->hv_label, kvm, &cf->c);
	}
	if (v == VERDICT_DIVERGE) {
		char line[256];
		divergence_describe(&d, line, sizeof(line));
		printf("verdict: DIVERGENCE %s\n  %s\n", d.signature, line);
		if (cf->known_reason[0] && pipeline_case_known(cf->known_signature, d.signature))
			printf("  known divergence: %s\n", cf->known_reason);
		if (o->oracle)
			oracle_report(s, &cf->c, ref, kvm);
		print_first_divergence(o, &res);
	} else {
		/* Why: the side that does not model an instruction and which
		 * one, or what makes the pair not comparable (a full trace
		 * against a VMM that keeps none, a read its devices answer). */
		const struct exit_event *rt = outcome_terminal(ref);
		printf("verdict: %s\n", v == VERDICT_AGREE ? "AGREE" :
		       rt && rt->kind == EXIT_UNSUPPORTED ? "NOT COMPARED (the reference ends unsupported)" :
		       "NOT COMPARED (the outcomes cannot be compared)");
		if (v == VERDICT_UNSUPPORTED)
			printf("  unsupported: %s\n", d.mnemonic[0] ? d.mnemonic : ref->mnemonic);
	}
	if (klog && seen.lines)
		printf("host kernel log while the case ran (%u lines, %u findings):\n%s", seen.lines,
		       seen.findings, klog);
	free(klog);
	if (ktrace)
		printf("kvm trace while the case ran (%u events):\n%s", traced.n, ktrace);
	free(ktrace);
	if (o->against && !o->vmm_alone)
		run_against(s->have_vmm ? &s->vmm : !strcmp(o->against, "native") ? &s->native :
			    &s->uc, s->hv_label, cf, ref, kvm, o->quiet);
	if (o->record) {
		if (make_expectation(cf, ref, kvm, &d, o, &s->kvm,
				     depends_on_vendor(s, &cf->c, ref)) < 0)
			return EXIT_DIVERGE;
		if (case_record(path, cf, err, sizeof(err)) < 0) {
			fprintf(stderr, "%s\n", err);
			return EXIT_USAGE;
		}
		printf("recorded: %s (%s%s%s)\n", path, cf->expect_from_kvm ? "from kvm" : "from reference",
		       cf->expect_vendor ? ", holds on " : "",
		       cf->expect_vendor ? vendor_name((enum cpu_vendor)cf->expect_vendor) : "");
	}
	return v == VERDICT_DIVERGE ? EXIT_DIVERGE : EXIT_AGREE;
}

int cmd_run(int argc, char **argv)
{
	struct run_opts o = { 0 };
	struct kvm_trace trace;
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--lockstep"))
			return cmd_lockstep(argc, argv); /* cli/cmd_lockstep.c */
	char **files = calloc(argc, sizeof(char *));
	int nfiles = 0;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--record"))
			o.record = 1;
		else if (!strcmp(argv[i], "--quiet") || !strcmp(argv[i], "-q"))
			o.quiet = 1;
		else if (!strcmp(argv[i], "--oracle"))
			o.oracle = 1;
		else if (!strcmp(argv[i], "--kvm-trace"))
			o.trace = &trace;
		else if (!strcmp(argv[i], "--against") && i + 1 < argc) {
			o.against = argv[++i];
			if (strcmp(o.against, "native") && strcmp(o.against, "unicorn") &&
			    strncmp(o.against, "vmm:", 4)) {
				cli_error("run", "--against '%s': want native, unicorn or vmm:VMM "
					  "(vmm:qemu-tcg, or vmm:COMMAND with {image})", o.against);
				free(files);
				return EXIT_USAGE;
			}
		} else if (!strcmp(argv[i], "--known") && i + 1 < argc)
			o.known = argv[++i];
		else if (!strcmp(argv[i], "--vendor") && i + 1 < argc) {
			if ((o.vendor = vendor_from_name(argv[++i])) < 0) {
				cli_error("run", "--vendor '%s': want intel or amd", argv[i]);
				free(files);
				return EXIT_USAGE;
			}
		}
		else if (argv[i][0] == '-') {
			cli_error("run", "unknown option '%s'", argv[i]);
			free(files);
			return EXIT_USAGE;
		} else
			files[nfiles++] = argv[i];
	}
	if (!nfiles) {
		cli_error("run", "no case files given (usage: exitdiff run FILE.case...)");
		free(files);
		return EXIT_USAGE;
	}
	char **paths;
	int n = collect_case_paths("run", files, nfiles, &paths);
	free(files);
	if (n < 0)
		return EXIT_USAGE;
	struct session s;
	unsigned need = NEED_KVM | NEED_REF | (o.oracle ? NEED_UNICORN | NEED_NATIVE : 0);
	const char *vmm = o.against && !strncmp(o.against, "vmm:", 4) ? o.against + 4 : NULL;
	if (o.against)
		need |= vmm ? NEED_VMM : !strcmp(o.against, "native") ? NEED_NATIVE : NEED_UNICORN;
	/* No KVM here: a VMM campaign's finding still runs, the VMM in KVM's
	 * place (docs/vmm.md). An expectation is KVM's or the reference's
	 * beside KVM: --record needs KVM. */
	if (vmm && access(host_kvm_device(), F_OK) < 0) {
		if (o.record) {
			cli_error("run", "--record: %s is absent, and an expectation is recorded beside "
				  "KVM", host_kvm_device());
			paths_free(paths, n);
			return EXIT_USAGE;
		}
		o.vmm_alone = 1;
		if (o.trace)
			fprintf(stderr, "exitdiff run: --kvm-trace: no KVM runs here; KVM's trace is not "
				"shown\n");
		o.trace = NULL;
		need &= ~(unsigned)NEED_KVM;
	}
	if (session_open_vmm(&s, need, vmm) < 0) {
		paths_free(paths, n);
		return EXIT_USAGE;
	}
	/* Said once the VMM runs: a VMM that does not leaves its one error line. */
	if (o.vmm_alone)
		printf("no %s: vmm:%s takes KVM's place (the reference against it alone)\n",
		       host_kvm_device(), vmm);
	s.ref.vendor = (enum cpu_vendor)o.vendor;
	if (vmm)
		/* What the VMM declares and what its guest read (docs/vmm.md). */
		printf("vmm: %s (%s), guest CPU vendor=%s cpu=%s, transport %s\n", vmm,
		       s.vmm.env.backend, s.vmm.env.vendor, s.vmm.env.cpu, vmm_transport(&s.vmm));
	char kerr[512];
	const char *known_path = known_default_path();
	/* In KVM's place the VMM is held to its own entries ([vmm=NAME]), as
	 * in its campaigns: the others describe KVM. */
	if (o.vmm_alone)
		snprintf(o.list.vmm, sizeof(o.list.vmm), "%s", vmm_name_of(vmm));
	if (known_path) {
		if (known_load(&o.list, known_path, kerr, sizeof(kerr)) == 0)
			o.have_list = 1;
		else
			fprintf(stderr, "exitdiff run: %s (bucket lines will not say what is known)\n", kerr);
	}
	/* The host kernel log: what KVM complained about while each case ran
	 * (docs/campaigns.md "The host kernel log"). */
	struct kmsg_reader kmsg;
	if (kmsg_open(&kmsg, kerr, sizeof(kerr)) < 0)
		fprintf(stderr, "exitdiff run: %s; kernel messages are not shown\n", kerr);
	o.kmsg = &kmsg;
	/* Opened after the session, whose calibration runs would fill it. */
	if (o.trace && kvm_trace_open(o.trace, kerr, sizeof(kerr)) < 0) {
		fprintf(stderr, "exitdiff run: --kvm-trace: %s; KVM's trace is not shown\n", kerr);
		o.trace = NULL;
	}
	struct outcome *ref = malloc(sizeof(*ref)), *kvm = malloc(sizeof(*kvm));
	struct case_file *cf = malloc(sizeof(*cf));
	struct pipeline pl;
	int rc = EXIT_AGREE;
	/* One run shows what the executors did: no confirming run (the
	 * first divergence's cut is confirmed, as everywhere). */
	if (pipeline_open(&pl, &s.ref, o.vmm_alone ? &s.vmm : &s.kvm, o.have_list ? &o.list : NULL) < 0 ||
	    !ref || !kvm ||
	    !cf) {
		cli_error("run", "out of memory");
		n = 0;
		rc = EXIT_USAGE;
	}
	o.pl = &pl;
	for (int i = 0; i < n; i++) {
		int r = run_one(&s, paths[i], &o, ref, kvm, cf);
		/* An input error outranks a divergence; keep going so that one
		 * bad file loses nothing the others find. */
		if (r > rc)
			rc = r;
	}
	free(ref);
	free(kvm);
	free(cf);
	pipeline_close(&pl);
	known_free(&o.list);
	kmsg_close(&kmsg);
	if (o.trace)
		kvm_trace_close(o.trace);
	session_close(&s);
	paths_free(paths, n);
	return rc;
}
