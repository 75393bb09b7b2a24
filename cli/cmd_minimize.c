/* exitdiff minimize: shrinks a diverging case while its signature stays
 * the same (pipeline_minimize, minimizer/min.h), and writes the result as a
 * .case that replay accepts: the reference outcome as its expectation,
 * known lines carried. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "host.h"
#include "case_text.h"
#include "cli.h"
#include "diff.h"
#include "min.h"
#include "pipeline.h"

static int usage(void)
{
	cli_error("minimize", "usage: exitdiff minimize CASE -o OUT [--budget N] [--seconds S] [--quiet]");
	return EXIT_USAGE;
}

/* Fills out's expectation and known lines from the run of the result
 * (small), which kept signature. */
static void make_output(struct case_file *out, const struct case_file *in,
			const struct pl_result *small, const char *signature,
			const struct executor *kvm)
{
	out->has_expect = 1;
	out->expect_from_kvm = 0;
	out->expect = *small->ref;
	environment_format(&kvm->env, out->expect_env, sizeof(out->expect_env));
	/* Cut from a case with vendor sections: this host's vendor only. */
	out->expect_vendor = in->vendors_recorded ? (uint8_t)host_info()->vendor : VENDOR_UNKNOWN;
	if (in->known_reason[0])
		snprintf(out->known_reason, sizeof(out->known_reason), "%s", in->known_reason);
	else
		snprintf(out->known_reason, sizeof(out->known_reason),
			 "minimized from %.63s (no reason recorded)", in->c.id);
	/* The signature seen now: it is what replay compares against. */
	snprintf(out->known_signature, sizeof(out->known_signature), "%s", signature);
	out->c = *small->c;
	char id[sizeof(out->c.id)];
	snprintf(id, sizeof(id), "%.59s-min", in->c.id);
	memcpy(out->c.id, id, sizeof(id));
}

static int write_case(const char *path, const struct case_file *cf,
		      const struct case_file *in, const struct min_stats *st)
{
	FILE *f = fopen(path, "w");
	if (!f) {
		cli_error("minimize", "%s: %s", path, strerror(errno));
		return -1;
	}
	fprintf(f, "# minimized by exitdiff minimize from %s: code %u -> %u bytes, "
		"data %u -> %u bytes, %u -> %u non-default registers (%lu candidates)\n",
		in->c.id, in->c.code_len, cf->c.code_len, in->c.data_len, cf->c.data_len,
		min_nondefault_regs(&in->c), min_nondefault_regs(&cf->c), st->evals);
	case_print(f, cf);
	if (fclose(f) != 0) {
		cli_error("minimize", "%s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

static int minimize(struct session *s, const char *in_path, const char *out_path,
		    const struct min_opts *opts, int quiet)
{
	char err[512];
	struct case_file *in = malloc(sizeof(*in)), *out = malloc(sizeof(*out));
	struct outcome *ref = malloc(sizeof(*ref)), *kvm = malloc(sizeof(*kvm));
	struct pipeline pl;
	int rc = EXIT_USAGE;
	int have_pl = pipeline_open(&pl, &s->ref, &s->kvm, NULL) == 0;
	if (!in || !out || !ref || !kvm || !have_pl) {
		cli_error("minimize", "out of memory");
		goto done;
	}
	if (case_load(in_path, in, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		goto done;
	}
	struct pl_result whole, small;
	enum pl_verdict v = pipeline_run(&pl, &in->c, ref, kvm, &whole);
	if (v == PL_REF_FAILED || v == PL_KVM_FAILED) {
		fprintf(stderr, "exitdiff minimize: case %s: executor failed: %s\n", in->c.id, whole.err);
		goto done;
	}
	if (v != PL_DIVERGED) {
		cli_error("minimize", "%s: case %s does not diverge (%s): nothing to minimize",
			  in_path, in->c.id, v == PL_SAME ? "executors agree" :
			  "reference does not model an instruction");
		goto done;
	}
	const char *sig = whole.d.signature;
	if (in->known_signature[0] && strcmp(in->known_signature, sig))
		fprintf(stderr, "exitdiff minimize: %s: note: recorded known-signature %s, "
			"now %s; keeping the one seen now\n", in_path, in->known_signature, sig);
	if (!quiet)
		printf("minimize %s (%s): signature %s\n", in->c.id, in_path, sig);

	*out = *in;
	struct min_stats st;
	/* A candidate the executors cannot run is not the same bug. */
	pl.min.failure_is_no = 1;
	int r = pipeline_minimize(&pl, &whole, opts, quiet ? NULL : stdout, &st, &small);
	if (r == PL_MIN_CHANGED) {
		cli_error("minimize", "%s: the minimized case no longer gives %s (got %s): "
			  "the executors are not deterministic for it", in_path, sig,
			  pl.min.d.verdict == VERDICT_DIVERGE ? pl.min.d.signature : "no divergence");
		rc = EXIT_DIVERGE;
		goto done;
	}
	if (r != MIN_OK) {
		/* NOT_SAME here means the divergence did not reproduce on a
		 * second run: a flaky case, not a minimizable one. */
		cli_error("minimize", "%s: case %s: %s", in_path, in->c.id,
			  r == MIN_ERR_NOT_SAME ? "the divergence does not reproduce" :
			  r == MIN_ERR_PRED ? "the executors failed" : "out of memory");
		goto done;
	}
	make_output(out, in, &small, sig, &s->kvm);
	if (write_case(out_path, out, in, &st) < 0)
		goto done;
	if (pl.min.exec_failures)
		fprintf(stderr, "exitdiff minimize: note: %lu candidates failed to run and "
			"counted as not same\n", pl.min.exec_failures);
	printf("wrote %s: signature %s kept, code %u -> %u bytes, %.1f ms\n", out_path,
	       sig, in->c.code_len, out->c.code_len, st.ms);
	rc = EXIT_AGREE;
done:
	if (have_pl)
		pipeline_close(&pl);
	free(in);
	free(out);
	free(ref);
	free(kvm);
	return rc;
}

int cmd_minimize(int argc, char **argv)
{
	const char *in = NULL, *out = NULL;
	/* A minute bounds a case whose candidates keep hitting TIMEOUT. */
	struct min_opts opts = { .ms_budget = 60000 };
	int quiet = 0;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-o") && i + 1 < argc) {
			out = argv[++i];
		} else if (!strcmp(argv[i], "--budget") && i + 1 < argc) {
			char *end;
			opts.eval_budget = strtoul(argv[++i], &end, 0);
			if (*end || !opts.eval_budget) {
				cli_error("minimize", "--budget wants a positive number, got '%s'", argv[i]);
				return EXIT_USAGE;
			}
		} else if (!strcmp(argv[i], "--seconds") && i + 1 < argc) {
			char *end;
			double sec = strtod(argv[++i], &end);
			if (*end || !(sec > 0)) {
				cli_error("minimize", "--seconds wants a positive number, got '%s'", argv[i]);
				return EXIT_USAGE;
			}
			opts.ms_budget = (unsigned long)(sec * 1000);
		} else if (!strcmp(argv[i], "--quiet") || !strcmp(argv[i], "-q")) {
			quiet = 1;
		} else if (argv[i][0] == '-' && argv[i][1]) {
			cli_error("minimize", "unknown option '%s'", argv[i]);
			return usage();
		} else if (!in) {
			in = argv[i];
		} else {
			cli_error("minimize", "one case at a time (got '%s' and '%s')", in, argv[i]);
			return EXIT_USAGE;
		}
	}
	if (!in || !out)
		return usage();
	struct session s;
	if (session_open(&s, NEED_KVM | NEED_REF) < 0)
		return EXIT_USAGE;
	int rc = minimize(&s, in, out, &opts, quiet);
	session_close(&s);
	return rc;
}
