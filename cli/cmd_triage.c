/* exitdiff triage OUT: a campaign's findings in the order to look at
 * them, each with a verdict. Each finding's case runs again on both
 * executors and then on every executor that can judge it, in order: the
 * host CPU (native/, long64 CPL3 code it can run) and Unicorn. The first
 * that can judge gives the verdict ("KVM wrong (CPU and reference agree)",
 * "reference wrong (CPU and KVM agree)", "neither", or "cannot judge:"
 * with each one's reason). The findings where the judge takes the
 * reference's side (KVM suspects) come first, then neither, and KVM's
 * (reference suspects) last; by hits within each. Where no executor can
 * judge, what remains is the manual's rule the reference follows: the
 * verdict "rule:" cites its section (core/rule.h). A finding whose case no
 * longer diverges says so. The summary counts clusters with a verdict.
 * Each diverging finding is also run in lockstep (KVM stepped against the
 * CPU when the CPU judged, else the reference) to name the instruction
 * where they part ("where:"), and with --kvm-trace KVM's tracepoints
 * while its case ran are saved beside it (OUT/buckets/X/kvm-trace).
 * A campaign that fuzzed a VMM (--against vmm:..., its runs.jsonl says)
 * re-runs its findings on that VMM, not on KVM, and needs no KVM; lockstep
 * and the trace are KVM's and are left out there.
 * docs/native.md, docs/unicorn.md, docs/lockstep.md. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "case_text.h"
#include "cli.h"
#include "diff.h"
#include "host.h"
#include "kvm_trace.h"
#include "lockstep.h"
#include "pipeline.h"
#include "rep_campaign.h"
#include "rule.h"
#include "show.h"
#include "vmm.h"

/* Sort keys after the oracle sides: only the manual's rule judged, no
 * judge asked, the case agrees now, is not compared now (a rule added
 * since leaves it out, or the hypervisor is not given it), or failed to
 * run. */
enum { SIDE_RULE = ORACLE_FAILED + 1, SIDE_NONE, SIDE_GONE, SIDE_UNCOMPARED, SIDE_ERROR };

struct row {
	int side;
	const char *judge;        /* the executor that judged, "-" if none */
	char verdict[400];
	char where[240];          /* the instruction lockstep named, or why none */
	unsigned long long hits;
	char sig[SIGNATURE_MAX];
	char cluster[PIPELINE_CLUSTER_MAX];
	int needs_known;          /* the hits file names the needed environment */
	char *path;
};

static int by_side_then_hits(const void *a, const void *b)
{
	const struct row *x = a, *y = b;
	if (x->side != y->side)
		return x->side - y->side;
	return (y->hits > x->hits) - (y->hits < x->hits);
}

/* The hypervisor the campaign tested, as verdicts name it: "KVM" or the
 * campaign's "vmm:..." (set once in cmd_triage); hv_unicorn_kin when
 * Unicorn is a fork of its CPU emulation (vmm/vmm.h). */
static const char *hv_name = "KVM";
static int hv_is_vmm, hv_unicorn_kin;

static const char *side_name(int side)
{
	if (side == ORACLE_KVM && hv_is_vmm)
		return "vmm";
	if (side == SIDE_RULE)
		return "rule";
	if (side == SIDE_NONE)
		return "-";
	if (side == SIDE_GONE)
		return "agrees now";
	if (side == SIDE_UNCOMPARED)
		return "not compared";
	if (side == SIDE_ERROR)
		return "error";
	return oracle_side_name((enum oracle_side)side);
}

/* Two outcomes end alike: the same terminal kind, and for an exception
 * the same vector. */
static int same_end(const struct outcome *a, const struct outcome *b)
{
	const struct exit_event *x = outcome_terminal(a), *y = outcome_terminal(b);
	return x && y && x->kind == y->kind && (x->kind != EXIT_EXCEPTION || x->addr == y->addr);
}

/* The judges in the order they are asked; the first that can judge
 * decides. The CPU first: where it can run a case it is the authority. */
static void judge(struct session *s, const struct test_case *c, const struct outcome *ref,
		  const struct outcome *kvm, struct outcome *third, struct row *r)
{
	struct { struct executor *ex; int have; const char *name, *who; } j[] = {
		{ &s->native, s->have_native, "native", "CPU" },
		{ &s->uc, s->have_uc, "unicorn", "Unicorn" },
	};
	char why[400] = "", detail[640];
	r->side = ORACLE_CANNOT;
	r->judge = "-";
	for (unsigned k = 0; k < sizeof(j) / sizeof(j[0]); k++) {
		if (!j[k].have)
			continue;
		enum oracle_side side = oracle_judge_by(j[k].ex, s->hv_label, c, ref, kvm, third, detail,
							sizeof(detail));
		/* Unicorn agreeing with the VMM it was forked from says only
		 * that they share the code; so does its ending the case as the
		 * VMM does where the reference ends it otherwise, whatever else
		 * differs (both run a misaligned XORPS the CPU refuses with #GP,
		 * with other XMM results: "neither"). */
		if (hv_unicorn_kin && j[k].ex == &s->uc &&
		    (side == ORACLE_KVM || (side == ORACLE_NEITHER && same_end(third, kvm) &&
					    !same_end(third, ref)))) {
			side = ORACLE_CANNOT;
			snprintf(detail, sizeof(detail), "sides with %s, whose CPU emulation it is a fork "
				 "of: no independent verdict", hv_name);
		}
		if (side == ORACLE_CANNOT || side == ORACLE_FAILED) {
			size_t n = strlen(why);
			snprintf(why + n, sizeof(why) - n, "%s%s %s%.180s", n ? "; " : "", j[k].name,
				 side == ORACLE_FAILED ? "failed: " : "", detail);
			continue;
		}
		r->side = (int)side;
		r->judge = j[k].name;
		detail[strcspn(detail, "\n")] = 0;
		switch (side) {
		case ORACLE_REFERENCE:
			snprintf(r->verdict, sizeof(r->verdict), "%s wrong (%s and reference agree)", hv_name,
				 j[k].who);
			break;
		case ORACLE_KVM:
			snprintf(r->verdict, sizeof(r->verdict), "reference wrong (%s and %s agree)", j[k].who,
				 hv_name);
			break;
		case ORACLE_BOTH:
			snprintf(r->verdict, sizeof(r->verdict), "both (%s agrees with each under the masks)", j[k].who);
			break;
		default:
			snprintf(r->verdict, sizeof(r->verdict), "neither (%s agrees with neither: %.300s)", j[k].who, detail);
			break;
		}
		return;
	}
	char cite[200];
	enum cpu_vendor v = s->ref.vendor != VENDOR_UNKNOWN ? s->ref.vendor : host_info()->vendor;
	if (rule_citation(r->sig, v, cite, sizeof(cite))[0]) {
		r->side = SIDE_RULE;
		r->judge = "rule";
		snprintf(r->verdict, sizeof(r->verdict), "rule: %.160s (no executor can judge: %.160s)",
			 cite, why[0] ? why : "no judge");
		return;
	}
	snprintf(r->verdict, sizeof(r->verdict), "cannot judge: %.380s", why[0] ? why : "no judge");
}

/* A verdict about the case: an executor or the manual's rule judged it. */
static int judged(int side)
{
	return side == SIDE_RULE || (side < SIDE_RULE && side != ORACLE_CANNOT && side != ORACLE_FAILED);
}

static int by_cluster(const void *a, const void *b)
{
	return strcmp(((const struct row *)a)->cluster, ((const struct row *)b)->cluster);
}

/* "clusters: N, with a verdict M (P%)": a cluster has one when any of its
 * buckets has. */
static void print_cluster_verdicts(struct row *rows, int n)
{
	qsort(rows, (size_t)n, sizeof(*rows), by_cluster);
	int clusters = 0, with = 0;
	for (int i = 0; i < n;) {
		int j = i, any = 0;
		for (; j < n && !strcmp(rows[j].cluster, rows[i].cluster); j++)
			any |= judged(rows[j].side);
		clusters++;
		with += any;
		i = j;
	}
	printf("clusters: %d, with a verdict %d (%d%%)\n", clusters, with,
	       clusters ? 100 * with / clusters : 0);
}

/* The finding's hits file, next to its case.case: signature and count. */
static void read_hits(const char *case_path, struct row *r)
{
	char p[4200], line[512];
	snprintf(p, sizeof(p), "%.*s/hits", (int)(strrchr(case_path, '/') - case_path), case_path);
	FILE *f = fopen(p, "r");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = 0;
		if (!strncmp(line, "hits ", 5))
			r->hits = strtoull(line + 5, NULL, 0);
		else if (!strncmp(line, "signature ", 10))
			snprintf(r->sig, sizeof(r->sig), "%.127s", line + 10);
		else if (!strncmp(line, "needs", 5))
			r->needs_known = 1;
	}
	fclose(f);
}

/* Lockstep of the finding's case: KVM stepped against the executor that
 * judged it (the CPU), else the reference; r->where names the first
 * instruction where they part, or says why none is named. */
static void locate(struct session *s, const struct test_case *c, struct row *r)
{
	static struct lockstep l;
	int cpu = !strcmp(r->judge, "native");
	l = (struct lockstep){ .stepped = &s->kvm, .other = cpu ? &s->native : &s->ref, .c = c,
			       .max_steps = REF_STEP_BUDGET };
	const char *other = cpu ? "the CPU" : "the reference";
	if (lockstep_run(&l) < 0) {
		snprintf(r->where, sizeof(r->where), "no instruction named: %.200s", l.err);
		lockstep_free(&l);
		return;
	}
	if (l.end == LOCKSTEP_PART || l.end == LOCKSTEP_DIVERGE) {
		char *text = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&text, &len);
		if (f) {
			show_lockstep_insn(f, &l);
			fclose(f);
		}
		const char *insn = text ? text + strspn(text, " ") : "";
		snprintf(r->where, sizeof(r->where), "KVM and %s part at %.*s (lockstep)", other,
			 (int)strcspn(insn, "\n"), insn);
		free(text);
	} else {
		static const char *const why[] = {
			[LOCKSTEP_AGREE] = "they agree when stepped",
			[LOCKSTEP_LIMIT] = "no parting within the step limit",
			[LOCKSTEP_UNSUPPORTED] = "a side does not model an instruction",
			[LOCKSTEP_LEAK] = "this KVM's single-step leaked into the guest",
		};
		snprintf(r->where, sizeof(r->where), "no instruction named: %s (lockstep against %s)",
			 why[l.end], other);
	}
	lockstep_free(&l);
}

/* --kvm-trace: KVM's tracepoints while the case ran once, saved next to
 * it (OUT/buckets/X/kvm-trace); the exceptions KVM injected are counted
 * for the listing. */
struct trace_file {
	FILE *f;
	unsigned n, injected;
};

static void trace_line(void *ctx, const struct kvm_trace_event *e)
{
	struct trace_file *t = ctx;
	t->n++;
	t->injected += !strcmp(e->name, "kvm_inj_exception");
	fprintf(t->f, "%-20s %s\n", e->name, e->detail);
}

static void trace_case(struct session *s, struct kvm_trace *kt, const struct test_case *c,
		       const char *case_path, struct outcome *scratch, char *line, size_t len)
{
	char p[4200];
	snprintf(p, sizeof(p), "%.*s/kvm-trace", (int)(strrchr(case_path, '/') - case_path), case_path);
	struct trace_file t = { fopen(p, "w"), 0, 0 };
	if (!t.f) {
		snprintf(line, len, "cannot write %.200s", p);
		return;
	}
	int ran = kvm_trace_begin(kt) == 0 && s->kvm.ops->run(&s->kvm, c, scratch) == 0;
	int n = kvm_trace_end(kt, trace_line, &t);
	fclose(t.f);
	if (!ran || n < 0)
		snprintf(line, len, "no trace (%s)", ran ? "the buffer could not be read" : "the run failed");
	else
		snprintf(line, len, "%u events, %u exceptions injected (%.200s)", t.n, t.injected, p);
}

/* The VMM failed again on the finding's case as its bucket says (kind
 * "/vmm:died", "/vmm:hung" or "/vmm:protocol"; res->fail_sig is the
 * bucket's signature less its @MODE, which may name the site too). */
static int failed_again(const struct pl_result *res, const struct row *r, const char *kind)
{
	size_t n = strlen(res->fail_sig);
	return hv_is_vmm && strstr(res->fail_sig, kind) && !strncmp(r->sig, res->fail_sig, n) &&
	       (!r->sig[n] || r->sig[n] == '@');
}

/* A VMM that died again on the finding's case, at the site its bucket
 * names: QEMU's own assertion or fatal error on what a guest did is the
 * VMM's bug, whatever the instruction should do, and is its verdict. A
 * KVM executor failure is left without one: it may as well be the
 * harness's. */
static void vmm_died_again(const struct pl_result *res, struct row *r)
{
	if (!failed_again(res, r, "/vmm:died"))
		return;
	r->side = ORACLE_REFERENCE;
	r->judge = "died";
	snprintf(r->verdict, sizeof(r->verdict), "%s wrong: the VMM process died again on this guest "
		 "(%.300s)", hv_name, res->err + res->fail_text);
}

/* A VMM that hung again on the finding's case (no record within the
 * wait), or whose record was broken again (vmm:protocol: the case wrote
 * over the runtime's mailbox). Its outcome is taken as a run that never
 * ends and judged as a divergence of that name would be: a judge that
 * ends the case as the reference does, or else the manual's rule for the
 * reference's end, says the VMM ran on where the instruction stops (TCG
 * runs LOCK STOSB, which the CPU refuses with #UD, and real mode's a32
 * accesses past the 64 KiB limit, #GP on the CPU, and goes on over its
 * runtime). A judge that runs on too leaves the bucket without a
 * verdict. */
static void vmm_ran_on_again(struct session *s, const struct pl_result *res,
			     const struct test_case *c, const struct outcome *ref,
			     struct outcome *hung, struct outcome *third, struct row *r)
{
	const char *how = failed_again(res, r, "/vmm:hung") ? "hung" :
			  failed_again(res, r, "/vmm:protocol") ? "broke its runtime's record" : NULL;
	if (!how)
		return;
	outcome_init(hung);
	hung->unobserved = OUTCOME_NO_TRACE | OUTCOME_NO_SYSREGS;
	struct exit_event e = { .kind = EXIT_TIMEOUT };
	outcome_push(hung, &e);
	struct divergence d;
	if (outcome_diff(ref, hung, &d) != VERDICT_DIVERGE)
		return;
	struct row j = *r;
	snprintf(j.sig, sizeof(j.sig), "%s", d.signature);
	judge(s, c, ref, hung, third, &j);
	if (j.side != ORACLE_REFERENCE && j.side != SIDE_RULE)
		return;
	r->side = j.side;
	r->judge = j.judge;
	snprintf(r->verdict, sizeof(r->verdict), "%s %s again on this guest, where the reference "
		 "ends (%.80s): %.200s", hv_name, how, d.signature, j.verdict);
}

/* The verdict beside the bucket's case (OUT/buckets/X/verdict: the verdict,
 * then where lockstep says KVM parts), so `exitdiff report` shows it
 * without running anything. A bucket that was not judged keeps what an
 * earlier triage wrote. */
static void save_verdict(const struct row *r)
{
	const char *v = r->verdict[0] ? r->verdict : r->side == SIDE_GONE ? "agrees now" : NULL;
	if (!v)
		return;
	char p[4200], tmp[4300];
	snprintf(p, sizeof(p), "%.*s/verdict", (int)(strrchr(r->path, '/') - r->path), r->path);
	snprintf(tmp, sizeof(tmp), "%s.tmp", p);
	FILE *f = fopen(tmp, "w");
	if (!f)
		return;
	fprintf(f, "%s\n", v);
	if (r->where[0])
		fprintf(f, "where: %s\n", r->where);
	if (fclose(f) != 0 || rename(tmp, p) < 0) {
		fprintf(stderr, "exitdiff triage: cannot write %s\n", p);
		remove(tmp);
	}
}

int cmd_triage(int argc, char **argv)
{
	const char *out = NULL;
	int oracle = 1, steps = 1, tracing = 0;
	/* No Unicorn in this build: the CPU judges alone. */
#ifdef EXITDIFF_HAVE_UNICORN
	unsigned judges = NEED_NATIVE | NEED_UNICORN;
#else
	unsigned judges = NEED_NATIVE;
#endif
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--no-oracle"))
			oracle = 0;
		else if (!strcmp(argv[i], "--no-native"))
			judges &= ~(unsigned)NEED_NATIVE;
		else if (!strcmp(argv[i], "--no-lockstep"))
			steps = 0;
		else if (!strcmp(argv[i], "--kvm-trace"))
			tracing = 1;
		else if (argv[i][0] == '-') {
			cli_error("triage", "unknown option '%s' (usage: exitdiff triage OUT [--no-oracle] "
				  "[--no-native] [--no-lockstep] [--kvm-trace])", argv[i]);
			return 2;
		} else if (!out)
			out = argv[i];
		else {
			cli_error("triage", "one campaign directory only ('%s' is extra)", argv[i]);
			return 2;
		}
	}
	if (!out) {
		cli_error("triage", "no campaign directory (usage: exitdiff triage OUT [--no-oracle] "
			  "[--no-native] [--no-lockstep] [--kvm-trace])");
		return 2;
	}
	char dir[4200];
	snprintf(dir, sizeof(dir), "%s/buckets", out);
	char *args[] = { dir };
	char **paths = NULL;
	int n = collect_case_paths("triage", args, 1, &paths), npaths = n;
	if (n < 0)
		return 2;
	/* The hypervisor the campaign's last run tested (runs.jsonl). */
	char against[1024], aerr[300];
	struct rep_campaign runs;
	if (rep_load_runs(&runs, out, aerr, sizeof(aerr)) < 0) {
		cli_error("triage", "%s", aerr);
		paths_free(paths, n);
		return 2;
	}
	snprintf(against, sizeof(against), "%s", rep_hv(&runs));
	rep_free(&runs);
	const char *vmm = !strncmp(against, "vmm:", 4) ? against + 4 : NULL;
	if (vmm) {
		hv_name = against;
		hv_is_vmm = 1;
		struct vmm_profile own;
		const struct vmm_profile *prof = vmm_profile_find(vmm, &own, aerr, sizeof(aerr));
		hv_unicorn_kin = prof && prof->unicorn_kin;
		steps = 0;
		printf("the campaign fuzzed %s: its findings run on it again (no lockstep, no KVM "
		       "trace: both are KVM's)\n", against);
		if (tracing)
			fprintf(stderr, "exitdiff triage: --kvm-trace: the campaign fuzzed %s, not KVM; no "
				"KVM trace is saved\n", against);
		tracing = 0;
	}
	struct session s;
	if (session_open_vmm(&s, (vmm ? NEED_VMM : NEED_KVM) | NEED_REF | (oracle ? judges : 0), vmm) <
	    0) {
		paths_free(paths, n);
		return 2;
	}
	struct executor *hv = vmm ? &s.vmm : &s.kvm;
	struct row *rows = calloc((size_t)n + 1, sizeof(*rows));
	struct case_file *cf = malloc(sizeof(*cf));
	struct outcome *ref = malloc(sizeof(*ref)), *kvm = malloc(sizeof(*kvm));
	struct outcome *third = malloc(sizeof(*third));
	struct pipeline pl;
	int have_pl = pipeline_open(&pl, &s.ref, hv, NULL) == 0;
	/* KVM's trace is extra evidence: without tracefs it is said once. */
	struct kvm_trace kt;
	char kerr[300];
	if (tracing && kvm_trace_open(&kt, kerr, sizeof(kerr)) < 0) {
		fprintf(stderr, "exitdiff triage: --kvm-trace: %s; no KVM trace is saved\n", kerr);
		tracing = 0;
	}
	if (!rows || !cf || !ref || !kvm || !third || !have_pl) {
		cli_error("triage", "out of memory");
		n = -1;
	}
	int counts[SIDE_ERROR + 1] = { 0 };
	for (int i = 0; i < n; i++) {
		struct row *r = &rows[i];
		char err[512] = "";
		r->path = paths[i];
		r->judge = "-";
		read_hits(paths[i], r);
		struct pl_result res;
		enum pl_verdict pv = PL_REF_FAILED;
		if (case_load(paths[i], cf, err, sizeof(err)) < 0 ||
		    (pv = pipeline_run(&pl, &cf->c, ref, kvm, &res)) >= PL_REF_FAILED) {
			fprintf(stderr, "exitdiff triage: %s: %s\n", paths[i], err[0] ? err : res.err);
			r->side = SIDE_ERROR;
			if (pv == PL_KVM_FAILED) {
				vmm_died_again(&res, r);
				if (oracle)
					vmm_ran_on_again(&s, &res, &cf->c, ref, kvm, third, r);
			}
		} else {
			const struct divergence d = res.d;
			if (!r->sig[0])
				snprintf(r->sig, sizeof(r->sig), "%s", d.signature);
			if (res.verdict == PL_UNSUPPORTED) {
				r->side = SIDE_UNCOMPARED;
				snprintf(r->verdict, sizeof(r->verdict), "not compared now (%s)",
					 d.mnemonic[0] ? d.mnemonic : ref->mnemonic);
			} else if (res.verdict != PL_DIVERGED)
				r->side = SIDE_GONE;
			else if (!oracle)
				r->side = SIDE_NONE;
			else
				judge(&s, &cf->c, ref, kvm, third, r);
			if (steps && res.verdict == PL_DIVERGED)
				locate(&s, &cf->c, r);
			if (tracing) {
				char line[300];
				trace_case(&s, &kt, &cf->c, paths[i], third, line, sizeof(line));
				printf("kvm trace of %s: %s\n", cf->c.id, line);
			}
		}
		/* Every case that ran is clustered: a VMM's death with its verdict too. */
		if (r->side != SIDE_ERROR)
			pipeline_cluster(r->sig, cf->c.knobs, r->needs_known, r->cluster);
		counts[r->side]++;
		save_verdict(r);
	}
	if (n >= 0) {
		qsort(rows, (size_t)n, sizeof(*rows), by_side_then_hits);
		int by_native = 0, by_uc = 0;
		printf("%-14s %-8s %8s  %-60s %s\n", "side", "judge", "hits", "bucket", "case");
		for (int i = 0; i < n; i++) {
			printf("%-14s %-8s %8llu  %-60s %s\n", side_name(rows[i].side), rows[i].judge,
			       rows[i].hits, rows[i].sig, rows[i].path);
			if (rows[i].verdict[0])
				printf("    verdict: %s\n", rows[i].verdict);
			if (rows[i].where[0])
				printf("    where: %s\n", rows[i].where);
			by_native += !strcmp(rows[i].judge, "native");
			by_uc += !strcmp(rows[i].judge, "unicorn");
		}
		printf("%d bucket(s):", n);
		for (int k = 0; k <= SIDE_ERROR; k++)
			if (counts[k])
				printf(" %s %d,", side_name(k), counts[k]);
		printf(" judged by native %d, unicorn %d (the judge siding with the reference points at %s, "
		       "with %s at the reference; rule: only the manual's rule, cited)\n", by_native, by_uc,
		       hv_name, hv_is_vmm ? "it" : "kvm");
		print_cluster_verdicts(rows, n);
	}
	free(rows);
	free(cf);
	free(ref);
	free(kvm);
	free(third);
	if (have_pl)
		pipeline_close(&pl);
	if (tracing)
		kvm_trace_close(&kt);
	session_close(&s);
	paths_free(paths, npaths);
	return n < 0 ? 2 : 0;
}
