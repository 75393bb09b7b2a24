/* The text .case format (see docs/formats.md): what humans read, the corpus
 * stores and reproducers carry. Printing then parsing gives the same case. */
#ifndef EXITDIFF_CASE_TEXT_H
#define EXITDIFF_CASE_TEXT_H

#include <stddef.h>
#include <stdio.h>
#include "case.h"
#include "outcome.h"

/* A .case file: the case, plus what the corpus records about it. */
struct case_file {
	struct test_case c;
	int has_expect;
	int expect_from_kvm;      /* expectation recorded from KVM because the
				     reference ended UNSUPPORTED */
	struct outcome expect;
	char known_reason[256];   /* non-empty: a recorded known divergence */
	char known_signature[SIGNATURE_MAX];
	char expect_env[640];     /* where the expectation was recorded:
				     environment_format()'s line */
	/* Expectations that hold on one CPU vendor only ("expect vendor=amd",
	 * docs/formats.md): the section parsed into expect is the one for the
	 * vendor asked for (expect_vendor); the others are only checked.
	 * VENDOR_UNKNOWN: one section that holds on any vendor. */
	uint8_t expect_vendor;
	uint8_t vendors_recorded; /* 1 << enum cpu_vendor per vendor section */
};

/* The characters a case id may hold (a file's stem is made of them:
 * others become '_'). */
#define CASE_ID_CHARS "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-"

/* Parses text (len bytes, need not be NUL-terminated). filename is used in
 * messages only. Returns 0, or -1 with "FILE:LINE: message" in err. */
int case_parse(const char *text, size_t len, const char *filename,
	       struct case_file *cf, char *err, size_t errlen);
/* The same, taking the expect section of vendor (case_parse: the host's). */
int case_parse_for(const char *text, size_t len, const char *filename, int vendor,
		   struct case_file *cf, char *err, size_t errlen);
/* Reads and parses a file; the case id defaults to the file's stem. */
int case_load(const char *path, struct case_file *cf, char *err, size_t errlen);

/* Prints the whole file: case lines, known lines, expect section. */
void case_print(FILE *f, const struct case_file *cf);
/* Prints only the expect section body for outcome o of case c (memory as
 * the bytes that differ from the case's initial memory). */
void outcome_print(FILE *f, const struct outcome *o, const struct test_case *c);

/* Rewrites path with a new expect section (and known lines), keeping the
 * text above the first "expect"/"known" line verbatim. A vendor section
 * (cf->expect_vendor set) replaces that vendor's section only; the other
 * vendors' sections are kept as they are. Atomic (temp file +
 * rename). Returns 0 or -1 with a reason in err. */
int case_record(const char *path, const struct case_file *cf,
		char *err, size_t errlen);

/* The compare window (LAYOUT_CMP_BASE, LAYOUT_CMP_SIZE) as the case starts. */
void case_initial_mem(const struct test_case *c, uint8_t *mem);

#endif
