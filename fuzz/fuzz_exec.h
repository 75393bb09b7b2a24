/*
 * The engine-independent half of the execution fuzz target (fuzz_exec.c):
 * both executors set up once per process, one input run through both, the
 * diff, the known-divergence filter, saving fresh findings, and the outcome
 * features that engines add to code coverage.
 *
 *   fx_session.c   executors, run + diff, per-process dedup of signatures
 *   fx_findings.c  known list, saving a finding as a .case (atomic)
 *   fx_features.c  outcome -> feature hashes
 *
 * Nothing here formats text on the hot path: only a fresh finding (once per
 * signature per process) is printed and written.
 */
#ifndef EXITDIFF_FUZZ_EXEC_H
#define EXITDIFF_FUZZ_EXEC_H

#include <stddef.h>
#include <stdint.h>
#include "case.h"
#include "diff.h"
#include "executor.h"
#include "known.h"
#include "outcome.h"

/* Environment variables read by fx_open. */
#define FX_ENV_OUT   "EXITDIFF_FUZZ_OUT"   /* findings dir, default ./fuzz-findings */
#define FX_ENV_KNOWN "EXITDIFF_KNOWN"      /* known-divergence list */
#define FX_DEFAULT_OUT "fuzz-findings"

struct fx_options {
	const char *engine;      /* "libfuzzer", "afl", "stdin": written into findings */
	int save_findings;       /* write fresh divergences to the findings dir */
	int quiet;               /* no stderr line per fresh finding */
	/* The executors; NULL: the KVM executor and the reference. Tests plug
	 * in fakes, as campaign tests do through struct campaign_backend. */
	const struct executor_ops *kvm_ops, *ref_ops;
};

struct fx_result {
	enum verdict verdict;
	struct divergence d;
	const struct test_case *c;
	const struct outcome *ref, *kvm;
	char key[SIGNATURE_MAX]; /* key (core/finding.h): signature[@MODE] */
	int known;               /* key on the known list */
	int unconfirmed;         /* a second KVM run did not give the signature again */
	int fresh;               /* diverged, confirmed, not known, first time in this process */
	char saved[512];         /* path written, "" when nothing was saved
				    (not saving, or the dir had it already) */
};

/* Sets up both executors (KVM first; the reference shares its CPUID table)
 * and loads the known list. Idempotent. Returns 0, or -1 with a reason. */
int fx_open(const struct fx_options *o, char *err, size_t errlen);
void fx_close(void);

/* Decodes buf (any bytes) into a case, runs it on both executors and
 * compares. Returns 0, or -1 when an executor failed (reason in err): that
 * is a harness problem, never a divergence. r's pointers stay valid until
 * the next call. */
int fx_run_bytes(const uint8_t *buf, size_t len, struct fx_result *r,
		 char *err, size_t errlen);
/* Same for an already built case (the stdin runner's .case input). */
int fx_run_case(const struct test_case *c, struct fx_result *r,
		char *err, size_t errlen);

/* Counters of this process, for the runner and reports. */
struct fx_stats {
	uint64_t runs, agree, diverge, unsupported, known, unconfirmed, fresh, saved, exec_failures;
};
const struct fx_stats *fx_stats(void);

/* --- fx_findings.c --- */

/* Loads the known-divergence list (core/known.h format). A missing file is
 * not an error when optional. Returns the number of entries, or -1 with a
 * reason. */
int fx_known_load(const char *path, int optional, char *err, size_t errlen);
/* The list loaded (empty when none), for finding_resolve (core/finding.h). */
const struct known_list *fx_known_list(void);
void fx_known_free(void);

/* Writes the finding as DIR/<key>-<hash>.case: the case with the
 * reference outcome as expectation, the KVM outcome and the signature in
 * comments. Temp file + link, so a reader never sees half a file and the
 * first process to find a signature wins. Returns 0 (path in out), 1 when
 * the dir already holds this signature, or -1 with a reason. */
int fx_save_finding(const char *dir, const char *engine, const struct fx_result *r,
		    char *out, size_t outlen, char *err, size_t errlen);

/* --- fx_features.c --- */

/* Calls hit(ctx, h) once per outcome feature of r: the pair of terminal
 * kinds, each side's exception vector, the divergence class and field, the
 * signature, the reference's final mnemonic, the trace length class (log2). The
 * engine maps each 32-bit hash into its own counter array. */
void fx_features(const struct fx_result *r, void (*hit)(void *ctx, uint32_t h), void *ctx);

/* FNV-1a, the one hash of this module. */
uint32_t fx_hash(uint32_t h, const void *p, size_t n);
#define FX_HASH_INIT 2166136261u

#endif
