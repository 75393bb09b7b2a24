/*
 * The execution fuzz target: one input (binary case, see case_bin.h) run in
 * the KVM VM and in the reference emulator, the outcomes compared. One
 * source, three builds (fuzz/CMakeLists.txt):
 *
 *   FUZZ_ENGINE_LIBFUZZER  LLVMFuzzerTestOneInput; outcome features go to
 *                          libFuzzer's extra counters
 *   FUZZ_ENGINE_AFL        AFL++ persistent mode with shared-memory test
 *                          cases; outcome features bump the AFL map
 *   (neither)              a plain runner: files or stdin, one verdict each,
 *                          for triage and for replaying engine findings
 *
 * A divergence is not a crash: the engines keep going, and a fresh unknown
 * signature is saved as a .case (fx_findings.c). Only an executor failure
 * that repeats (a broken harness, not a guest behaviour) aborts.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "case_bin.h"
#include "case_text.h"
#include "fuzz_exec.h"

/* Consecutive executor failures before the target gives up: a single one
 * can be a transient KVM error the executor already retried; a run of
 * them means every further input would be wasted. */
#define FX_MAX_EXEC_FAILURES 100

/* Opens the session once. Returns 1 when it was opened by this call. */
static int open_or_die(const char *engine, int save)
{
	static int opened;
	struct fx_options o = { .engine = engine, .save_findings = save, .quiet = 0 };
	char err[512];
	if (opened)
		return 0;
	opened = 1;
	if (fx_open(&o, err, sizeof(err)) < 0) {
		fprintf(stderr, "exitdiff-fuzz (%s): cannot start: %s\n", engine, err);
		exit(2);
	}
	return 1;
}

#if defined(FUZZ_ENGINE_LIBFUZZER) || defined(FUZZ_ENGINE_AFL)
/* Runs one engine input. Executor failures are counted, printed and, when
 * they keep coming, fatal. Returns 0 when r holds outcomes. */
static int engine_run(const uint8_t *buf, size_t len, struct fx_result *r)
{
	static unsigned failures_in_a_row;
	char err[512];
	if (fx_run_bytes(buf, len, r, err, sizeof(err)) == 0) {
		failures_in_a_row = 0;
		return 0;
	}
	fprintf(stderr, "exitdiff-fuzz: executor failed: %s\n", err);
	if (++failures_in_a_row >= FX_MAX_EXEC_FAILURES) {
		fprintf(stderr, "exitdiff-fuzz: %u executor failures in a row: the harness "
			"is broken, stopping\n", failures_in_a_row);
		abort();
	}
	return -1;
}
#endif

#if defined(FUZZ_ENGINE_LIBFUZZER)

/* libFuzzer reads every byte of this section as an extra coverage
 * counter, reset before each input. */
#define FX_COUNTERS 4096
__attribute__((section("__libfuzzer_extra_counters"), used))
static uint8_t fx_counters[FX_COUNTERS];

static void lf_hit(void *ctx, uint32_t h)
{
	(void)ctx;
	uint8_t *c = &fx_counters[h % FX_COUNTERS];
	if (*c != 0xff)
		(*c)++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* Opened on first use, not in LLVMFuzzerInitialize: with -fork=N the
	 * parent process only coordinates and must not hold a VM. */
	static struct fx_result r;
	open_or_die("libfuzzer", 1);
	if (engine_run(data, size, &r) == 0)
		fx_features(&r, lf_hit, NULL);
	return 0;
}

#elif defined(FUZZ_ENGINE_AFL)

#include <unistd.h>

__AFL_FUZZ_INIT();

/* The AFL++ runtime's coverage map and its size, read through inline asm:
 * afl-clang-fast's pass owns an IR global named __afl_area_ptr, and a C
 * declaration of it here gets renamed away from the real symbol. Both are
 * defined in afl-compiler-rt.o, linked into this executable. */
static inline unsigned char *afl_area(void)
{
	unsigned char *p;
	__asm__ volatile("movq __afl_area_ptr(%%rip), %0" : "=r"(p));
	return p;
}

static inline unsigned int afl_map_size(void)
{
	unsigned int n;
	__asm__ volatile("movl __afl_map_size(%%rip), %0" : "=r"(n));
	return n;
}

static void afl_hit(void *ctx, uint32_t h)
{
	(void)ctx;
	/* Shares the map with edge coverage; a collision only costs a
	 * feature, never a false crash. */
	unsigned int n = afl_map_size();
	if (!n)
		return;
	unsigned char *c = &afl_area()[h % n];
	if (*c != 0xff)
		(*c)++;
}

int main(void)
{
	/* No __AFL_INIT before the VM exists: a KVM VM belongs to the process
	 * that created it (its mm), so each forked child opens its own, on
	 * its first input, and reuses it for up to 10000 inputs. */
	static struct fx_result r;
	unsigned char *buf = __AFL_FUZZ_TESTCASE_BUF;
	while (__AFL_LOOP(10000)) {
		size_t len = __AFL_FUZZ_TESTCASE_LEN;
		if (open_or_die("afl", 1)) {
			/* Forget the edges of the one-time set-up (executor init
			 * runs instrumented reference code): they belong to no
			 * input, and AFL would see them only on a child's first
			 * run and call the target unstable. Cleared the way the
			 * runtime clears it between iterations. */
			memset(afl_area(), 0, afl_map_size());
			afl_area()[0] = 1;
		}
		if (engine_run(buf, len, &r) == 0)
			fx_features(&r, afl_hit, NULL);
	}
	fx_close();
	return 0;
}

#else /* the plain runner */

static void usage(void)
{
	fprintf(stderr,
		"usage: exitdiff-fuzz-run [--save] [--verbose] [FILE...]\n"
		"       exitdiff-fuzz-run --seeds OUTDIR FILE.case...\n"
		"  Runs each input (binary case, or .case text) on KVM and the reference and\n"
		"  prints the verdict; no FILE or '-' reads stdin. --save writes fresh unknown\n"
		"  divergences to $" FX_ENV_OUT " (default ./" FX_DEFAULT_OUT "), as the engines do.\n"
		"  --seeds converts .case files into binary engine seeds OUTDIR/<stem>.bin\n"
		"  (case_encode; no KVM needed).\n"
		"  Exit: 0 all agree, 1 a divergence, 2 input or executor error.\n");
}

static int is_case_text(const char *path)
{
	const char *dot = strrchr(path, '.');
	return dot && !strcmp(dot, ".case");
}

/* Loads one input into c. Returns 0 or -1 after printing why. */
static int load_input(const char *path, struct test_case *c)
{
	static struct case_file cf;
	static uint8_t buf[CASE_BIN_MAX];
	char err[512];
	if (is_case_text(path)) {
		if (case_load(path, &cf, err, sizeof(err)) < 0) {
			fprintf(stderr, "%s\n", err);
			return -1;
		}
		*c = cf.c;
		return 0;
	}
	FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
	if (!f) {
		fprintf(stderr, "%s: cannot open: %s\n", path, strerror(errno));
		return -1;
	}
	/* Bytes past CASE_BIN_MAX cannot change the case: decoding ignores them. */
	size_t n = fread(buf, 1, sizeof(buf), f);
	int bad = ferror(f);
	if (f != stdin)
		fclose(f);
	if (bad) {
		fprintf(stderr, "%s: read error: %s\n", path, strerror(errno));
		return -1;
	}
	case_decode(buf, n, c);
	uint32_t h = fx_hash(FX_HASH_INIT, buf, n);
	snprintf(c->id, sizeof(c->id), "fuzz-%08x-%zu", h, n);
	return 0;
}

static int run_input(const char *path, int verbose)
{
	static struct test_case c;
	struct fx_result r;
	char err[512];
	if (load_input(path, &c) < 0)
		return 2;
	if (fx_run_case(&c, &r, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s: case %s: %s\n", path, c.id, err);
		return 2;
	}
	if (verbose) {
		printf("== %s (%s)\n-- reference\n", c.id, path);
		outcome_print(stdout, r.ref, &c);
		printf("-- kvm\n");
		outcome_print(stdout, r.kvm, &c);
	}
	switch (r.verdict) {
	case VERDICT_AGREE:
		printf("%s: AGREE\n", path);
		return 0;
	case VERDICT_UNSUPPORTED:
		printf("%s: NOT COMPARED (reference does not model %s)\n", path,
		       r.ref->mnemonic[0] ? r.ref->mnemonic : "an instruction");
		return 0;
	case VERDICT_DIVERGE:
		break;
	}
	char line[256];
	divergence_describe(&r.d, line, sizeof(line));
	printf("%s: DIVERGENCE %s%s%s\n  %s\n", path, r.key[0] ? r.key : r.d.signature,
	       r.known ? " (known)" : "", r.unconfirmed ? " (unconfirmed: KVM differed on a second run)" : "",
	       line);
	if (r.saved[0])
		printf("  saved: %s\n", r.saved);
	return 1;
}

/* --seeds: the corpus as binary seeds for the engines. */
static int write_seeds(const char *dir, int n, char **files)
{
	static struct case_file cf;
	static uint8_t buf[CASE_BIN_MAX];
	char err[512];
	int rc = 0;
	for (int i = 0; i < n; i++) {
		if (case_load(files[i], &cf, err, sizeof(err)) < 0) {
			fprintf(stderr, "%s\n", err);
			rc = 2;
			continue;
		}
		size_t len = case_encode(&cf.c, buf, sizeof(buf));
		const char *base = strrchr(files[i], '/');
		base = base ? base + 1 : files[i];
		char path[4096], tmp[4200];
		snprintf(path, sizeof(path), "%s/%.*s.bin", dir, (int)strcspn(base, "."), base);
		snprintf(tmp, sizeof(tmp), "%s.tmp", path);
		FILE *f = fopen(tmp, "wb");
		if (!f || fwrite(buf, 1, len, f) != len || fclose(f) != 0 || rename(tmp, path) < 0) {
			fprintf(stderr, "%s: cannot write: %s\n", path, strerror(errno));
			rc = 2;
		}
	}
	return rc;
}

int main(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "--seeds")) {
		if (argc < 3) {
			usage();
			return 2;
		}
		return write_seeds(argv[2], argc - 3, argv + 3);
	}
	int save = 0, verbose = 0, first = argc;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--save"))
			save = 1;
		else if (!strcmp(argv[i], "--verbose") || !strcmp(argv[i], "-v"))
			verbose = 1;
		else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			usage();
			return 0;
		} else if (argv[i][0] == '-' && argv[i][1]) {
			fprintf(stderr, "exitdiff-fuzz-run: unknown option '%s'\n", argv[i]);
			usage();
			return 2;
		} else {
			first = i;
			break;
		}
	}
	open_or_die("stdin", save);
	int rc = 0;
	if (first == argc) {
		rc = run_input("-", verbose);
	} else {
		for (int i = first; i < argc; i++) {
			int r = run_input(argv[i], verbose);
			if (r > rc)
				rc = r;
		}
	}
	fx_close();
	return rc;
}

#endif
