/* exitdiff replay: the corpus as a regression suite. Each case runs again
 * and is judged against its recorded expectation:
 *   PASS   KVM (and the reference) match the expectation
 *   XFAIL  KVM diverges exactly as the recorded known divergence says
 *   FAIL   anything else: a new divergence, or a reference regression
 *   SKIP   the case has no recorded expectation
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "case_text.h"
#include "cli.h"
#include "diff.h"
#include "host.h"
#include "pipeline.h"

enum result { R_PASS, R_XFAIL, R_FAIL, R_SKIP, R_ERROR };

struct tally {
	int passed, failed, skipped, known;
};

struct replay_ctx {
	struct session s;
	struct pipeline pl;   /* runs the executors (pipeline_exec) */
	struct case_file cf;
	struct outcome ref, kvm;
	int tap;
	int oracle;   /* --oracle: Unicorn's side on XFAIL/FAIL (not with --tap) */
	int index;
};

static void report(struct replay_ctx *x, enum result r, const char *id, const char *why)
{
	x->index++;
	if (x->tap) {
		static const char *const tap_fmt[] = {
			[R_PASS] = "ok %d - %s%s%s\n", [R_XFAIL] = "ok %d - %s # TODO %s%s\n",
			[R_FAIL] = "not ok %d - %s: %s%s\n", [R_SKIP] = "ok %d - %s # SKIP %s%s\n",
			[R_ERROR] = "not ok %d - %s: %s%s\n",
		};
		printf(tap_fmt[r], x->index, id, r == R_PASS && why[0] ? " # " : "", why);
		return;
	}
	static const char *const word[] = {
		[R_PASS] = "PASS", [R_XFAIL] = "XFAIL", [R_FAIL] = "FAIL",
		[R_SKIP] = "SKIP", [R_ERROR] = "FAIL",
	};
	printf("%s: %s%s%s\n", word[r], id, why[0] ? ": " : "", why);
}

static enum result judge(struct replay_ctx *x, char *why, size_t len)
{
	struct case_file *cf = &x->cf;
	struct divergence d;
	char line[256];
	if (!cf->has_expect && cf->vendors_recorded) {
		char names[32] = "";
		for (int v = VENDOR_INTEL; v < VENDOR_COUNT; v++)
			if (cf->vendors_recorded & (1u << v))
				snprintf(names + strlen(names), sizeof(names) - strlen(names), "%s%s",
					 names[0] ? "," : "", vendor_name((enum cpu_vendor)v));
		snprintf(why, len, "recorded on %s only (this host: %s)", names,
			 vendor_name(host_info()->vendor));
		return R_SKIP;
	}
	if (!cf->has_expect) {
		snprintf(why, len, "no recorded expectation (exitdiff run --record)");
		return R_SKIP;
	}
	/* An expectation taken from KVM has no reference run to check. */
	char err[700];
	if (pipeline_exec(&x->pl, &cf->c, cf->expect_from_kvm, &x->ref, &x->kvm, err,
			  sizeof(err)) != PL_SAME) {
		snprintf(why, len, "%s", err);
		return R_ERROR;
	}
	if (!cf->expect_from_kvm) {
		/* What CPUID answers is this host's (calibration), not the
		 * recording host's: those registers are held to this host's
		 * reference, and KVM to them in turn. */
		for (int r = 0; r < GPR_COUNT; r++)
			if (x->ref.host_gprs & (1u << r))
				cf->expect.state.gpr[r] = x->ref.state.gpr[r];
		if (outcome_diff(&cf->expect, &x->ref, &d) != VERDICT_AGREE) {
			divergence_describe(&d, line, sizeof(line));
			snprintf(why, len, "reference regression %s: %s", d.signature, line);
			return R_FAIL;
		}
	}
	enum verdict v = outcome_diff(&cf->expect, &x->kvm, &d);
	if (v == VERDICT_AGREE) {
		if (cf->known_reason[0])
			snprintf(why, len, "known divergence no longer reproduces (%s): re-record",
				 cf->known_signature);
		return R_PASS;
	}
	if (v == VERDICT_DIVERGE && cf->known_reason[0] &&
	    pipeline_case_known(cf->known_signature, d.signature)) {
		snprintf(why, len, "known divergence %s: %s", d.signature, cf->known_reason);
		return R_XFAIL;
	}
	divergence_describe(&d, line, sizeof(line));
	snprintf(why, len, "kvm %s: %s", d.signature, line);
	return R_FAIL;
}

int cmd_replay(int argc, char **argv)
{
	int tap = 0, oracle = 0, nargs = 0;
	char **args = calloc(argc, sizeof(char *));
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--tap"))
			tap = 1;
		else if (!strcmp(argv[i], "--oracle"))
			oracle = 1;
		else if (argv[i][0] == '-') {
			cli_error("replay", "unknown option '%s'", argv[i]);
			free(args);
			return EXIT_USAGE;
		} else
			args[nargs++] = argv[i];
	}
	if (!nargs) {
		cli_error("replay", "no corpus given (usage: exitdiff replay DIR|FILE...)");
		free(args);
		return EXIT_USAGE;
	}
	char **paths;
	int n = collect_case_paths("replay", args, nargs, &paths);
	free(args);
	if (n < 0)
		return EXIT_USAGE;
	struct replay_ctx *x = calloc(1, sizeof(*x));
	if (!x || session_open(&x->s, NEED_KVM | NEED_REF | (oracle ? NEED_UNICORN | NEED_NATIVE : 0)) < 0) {
		free(x);
		paths_free(paths, n);
		return EXIT_USAGE;
	}
	if (pipeline_open(&x->pl, &x->s.ref, &x->s.kvm, NULL) < 0) {
		cli_error("replay", "out of memory");
		session_close(&x->s);
		free(x);
		paths_free(paths, n);
		return EXIT_USAGE;
	}
	x->tap = tap;
	if (tap)
		printf("TAP version 13\n1..%d\n", n);
	struct tally t = { 0 };
	int input_errors = 0;
	for (int i = 0; i < n; i++) {
		char why[768] = "", err[512];
		enum result r;
		const char *id = paths[i];
		if (case_load(paths[i], &x->cf, err, sizeof(err)) < 0) {
			fprintf(stderr, "%s\n", err);
			snprintf(why, sizeof(why), "%s", err);
			r = R_ERROR;
			input_errors++;
		} else {
			r = judge(x, why, sizeof(why));
		}
		report(x, r, id, why);
		/* The expectation stands in for the reference it came from
		 * (not when it was taken from KVM). */
		if (oracle && !tap && (r == R_XFAIL || r == R_FAIL) && !x->cf.expect_from_kvm)
			oracle_report(&x->s, &x->cf.c, &x->cf.expect, &x->kvm);
		t.passed += r == R_PASS || r == R_XFAIL;
		t.known += r == R_XFAIL;
		t.failed += r == R_FAIL || r == R_ERROR;
		t.skipped += r == R_SKIP;
	}
	printf("%s%d cases, %d known divergences\n", tap ? "# " : "", n, t.known);
	printf("%s%d passed, %d failed, %d skipped\n", tap ? "# " : "", t.passed, t.failed, t.skipped);
	pipeline_close(&x->pl);
	session_close(&x->s);
	free(x);
	paths_free(paths, n);
	if (input_errors)
		return EXIT_USAGE;
	return t.failed ? EXIT_DIVERGE : EXIT_AGREE;
}
