/*
 * Parser fuzz target (libFuzzer, built with ASan+UBSan). Three properties,
 * each a hard failure (abort) because each is a bug in core/:
 *
 *   1. case_parse never crashes or reads out of bounds on any text, and
 *      what it accepts prints to text that parses again to the same print
 *      (print . parse . print == print).
 *   2. The binary format: for the case c = case_decode(input),
 *      case_decode(case_encode(c)) == c (compared through re-encoding).
 *   3. Text and binary agree: case_print(c) parses back to a case with the
 *      same binary encoding, so any fuzzer input can become a .case file.
 *
 * The input feeds both: as text for (1) and as bytes for (2) and (3).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "case_bin.h"
#include "case_text.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct case_file cf1, cf2;
static uint8_t enc1[CASE_BIN_MAX], enc2[CASE_BIN_MAX];

static void die(const char *what, const char *detail)
{
	fprintf(stderr, "fuzz_parse: PROPERTY VIOLATED: %s%s%s\n", what,
		detail ? ": " : "", detail ? detail : "");
	abort();
}

/* Prints cf into a malloc'd string. */
static char *print_case(const struct case_file *cf, size_t *len)
{
	char *buf = NULL;
	FILE *m = open_memstream(&buf, len);
	if (!m)
		abort();
	case_print(m, cf);
	fclose(m);
	return buf;
}

static void text_round_trip(const uint8_t *data, size_t size)
{
	char err[512];
	if (case_parse((const char *)data, size, "fuzz-input", &cf1, err, sizeof(err)) < 0) {
		/* Rejections must name the place: "FILE:LINE: message". */
		if (strncmp(err, "fuzz-input:", 11) != 0)
			die("parse error without FILE:LINE", err);
		return;
	}
	size_t l1, l2;
	char *t1 = print_case(&cf1, &l1);
	if (case_parse(t1, l1, "printed", &cf2, err, sizeof(err)) < 0) {
		fprintf(stderr, "printed text:\n%s\n", t1);
		die("printed case does not parse", err);
	}
	char *t2 = print_case(&cf2, &l2);
	if (l1 != l2 || memcmp(t1, t2, l1)) {
		fprintf(stderr, "first print:\n%s\nsecond print:\n%s\n", t1, t2);
		die("print(parse(print(x))) != print(x)", NULL);
	}
	free(t1);
	free(t2);
}

static void binary_round_trip(const uint8_t *data, size_t size)
{
	case_decode(data, size, &cf1.c);
	size_t n1 = case_encode(&cf1.c, enc1, sizeof(enc1));
	if (!n1)
		die("case_encode failed on a decoded case", NULL);
	case_decode(enc1, n1, &cf2.c);
	size_t n2 = case_encode(&cf2.c, enc2, sizeof(enc2));
	if (n1 != n2 || memcmp(enc1, enc2, n1))
		die("case_decode(case_encode(c)) != c", NULL);
	if (cf1.c.code_len != cf2.c.code_len || cf1.c.data_len != cf2.c.data_len ||
	    memcmp(cf1.c.code, cf2.c.code, cf1.c.code_len) ||
	    memcmp(cf1.c.data, cf2.c.data, cf1.c.data_len) ||
	    memcmp(cf1.c.gpr, cf2.c.gpr, sizeof(cf1.c.gpr)) || cf1.c.rflags != cf2.c.rflags ||
	    cf1.c.mode != cf2.c.mode || cf1.c.knobs != cf2.c.knobs)
		die("decoded case differs after an encode/decode round trip", NULL);

	/* The same case through text. */
	char err[512];
	size_t tl;
	cf1.has_expect = 0;
	cf1.known_reason[0] = cf1.known_signature[0] = cf1.expect_env[0] = 0;
	snprintf(cf1.c.id, sizeof(cf1.c.id), "fuzz");
	char *t = print_case(&cf1, &tl);
	if (case_parse(t, tl, "printed-bin", &cf2, err, sizeof(err)) < 0) {
		fprintf(stderr, "printed text:\n%s\n", t);
		die("a decoded case prints to text that does not parse", err);
	}
	size_t n3 = case_encode(&cf2.c, enc2, sizeof(enc2));
	if (n3 != n1 || memcmp(enc1, enc2, n1)) {
		fprintf(stderr, "printed text:\n%s\n", t);
		die("decoded case changes through print + parse", NULL);
	}
	free(t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	memset(&cf1, 0, sizeof(cf1));
	text_round_trip(data, size);
	memset(&cf1, 0, sizeof(cf1));
	memset(&cf2, 0, sizeof(cf2));
	binary_round_trip(data, size);
	return 0;
}
