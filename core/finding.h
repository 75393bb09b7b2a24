/* What a divergence is filed under: the filing step of the finding
 * pipeline (pipeline/pipeline.h), which every caller goes through:
 *
 *   key    the bucket key: the executors' signature (core/diff.c), with
 *          "@MODE" appended outside long64 (docs/campaigns.md "Bucket keys
 *          and modes"), so a known-list entry ending in "@prot32" matches
 *          wherever the divergence is seen;
 *   known  the known-list entry naming the key for a case with these knobs,
 *          and the key a known hit counts under ("KEY[knob,...]" when the
 *          entry holds only with knobs, so the same key without them still
 *          makes a bucket);
 *   confirmation  KVM runs the case once more and must give the same
 *          signature: host noise (a preempted run hitting its time budget)
 *          never makes a finding. */
#ifndef EXITDIFF_FINDING_H
#define EXITDIFF_FINDING_H

#include <stdint.h>
#include "case.h"
#include "config.h"
#include "diff.h"
#include "known.h"

struct finding {
	char base[SIGNATURE_MAX];      /* the executors' signature */
	char key[SIGNATURE_MAX];       /* bucket key: base[@MODE] */
	const struct known_entry *known; /* the entry naming it, or NULL */
	char known_key[SIGNATURE_MAX]; /* known: key, or KEY[knob,...]; else "" */
};

/* key = signature with "@MODE" appended outside long64 (long64, CPL3
 * included, stays bare). The base is cut to make room; key may be
 * signature itself. */
void finding_key(char key[SIGNATURE_MAX], const char *signature, unsigned mode);
/* The mode a key names: its "@MODE" suffix, else long64. */
unsigned finding_key_mode(const char *key);
/* The signature without a "@MODE" suffix, into base. */
void finding_key_base(char base[SIGNATURE_MAX], const char *key);

/* The known-list lookup of a bucket key for a case with knobs (k may be
 * NULL: nothing is known). Fills known_key as struct finding says. */
const struct known_entry *finding_known(const struct known_list *k, const char *key,
					uint32_t knobs, char known_key[SIGNATURE_MAX]);

/* Both at once for a divergence of case c with the given signature. */
void finding_resolve(const struct known_list *k, const struct test_case *c,
		     const char *signature, struct finding *f);

#endif
