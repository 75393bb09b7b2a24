/* A tiny test helper: every check prints what it checked, a failed one says
 * where, what was wanted and what came; the program exits 1 if any failed. */
#ifndef EXITDIFF_TEST_CHECK_H
#define EXITDIFF_TEST_CHECK_H

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

static int check_failures, check_count;

#define CHECK(cond, ...) do { \
	check_count++; \
	if (cond) { printf("ok: "); printf(__VA_ARGS__); printf("\n"); } \
	else { check_failures++; printf("FAILED %s:%d: ", __FILE__, __LINE__); \
	       printf(__VA_ARGS__); printf("  [%s]\n", #cond); } \
} while (0)

#define CHECK_EQ_U64(got, want, what) do { \
	uint64_t g_ = (uint64_t)(got), w_ = (uint64_t)(want); \
	check_count++; \
	if (g_ == w_) printf("ok: %s = 0x%" PRIx64 "\n", what, g_); \
	else { check_failures++; printf("FAILED %s:%d: %s: wanted 0x%" PRIx64 ", got 0x%" PRIx64 "\n", \
	       __FILE__, __LINE__, what, w_, g_); } \
} while (0)

/* Prints the summary and returns the exit status. */
static inline int check_done(const char *suite)
{
	printf("%s: %d checks, %d failed\n", suite, check_count, check_failures);
	return check_failures ? 1 : 0;
}

/* KVM tests call this first: exit 77 (SKIPPED) loudly when /dev/kvm is absent. */
#define SKIP_WITHOUT_KVM() do { \
	FILE *f_ = fopen("/dev/kvm", "r+"); \
	if (!f_) { printf("SKIPPED: /dev/kvm is not available; KVM tests did not run\n"); return 77; } \
	fclose(f_); \
} while (0)

/* Golden rows spell instruction bytes as hex ("4801d8"): decodes up to
 * max bytes, returns how many, or -1 on a bad digit. */
static inline int hex_bytes(const char *h, uint8_t *out, unsigned max)
{
	unsigned n = 0;
	for (; h[0] && h[1] && n < max; h += 2) {
		unsigned v;
		if (sscanf(h, "%2x", &v) != 1)
			return -1;
		out[n++] = (uint8_t)v;
	}
	return (int)n;
}

#endif
