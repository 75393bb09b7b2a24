/* A worker's signature table stays bounded however many keys a campaign
 * meets, and bounding it loses no bucket (campaign/camp_sigtab.c).
 *
 * Fed the way a worker feeds it: a steady stream of known keys and of
 * signature|knobs aliases onto them (what made a worker grow ~14 MB an
 * hour), among them a few new buckets and aliases onto those, with
 * sigtab_bound called every 64 keys as the worker does after each report.
 * Checked: the table never holds more than CAMP_SIGTAB_MAX keys plus one
 * period's worth, nor more bytes than that many keys take; every new
 * bucket is still there afterwards (met again it is not fresh, so its case
 * is not sent twice) and every alias kept still leads to its bucket; a
 * table of mostly new buckets is emptied (the parent drops the copies). */
#include <stdlib.h>
#include <string.h>
#include "camp_internal.h"
#include "check.h"

#define KEYS (10 * CAMP_SIGTAB_MAX)
#define PERIOD 64
#define ROOTS 500

static struct sig_slot *claim(struct sig_table *t, const char *key, int *fresh)
{
	struct sig_slot *s = sigtab_slot(t, key, fresh);
	if (!s) {
		printf("FAILED: out of memory at %zu entries\n", t->n);
		exit(1);
	}
	return s;
}

/* Key i of the stream: every 600th a new bucket, its next an alias of it
 * (sig|knobs -> sig), the others known keys or aliases of known keys. */
static void feed(struct sig_table *t, unsigned i, unsigned *roots)
{
	char key[SIGNATURE_MAX], target[SIGNATURE_MAX];
	int fresh;
	if (i % 600 == 0 && *roots < ROOTS) {
		snprintf(key, sizeof(key), "new/%u@LONG64", (*roots)++);
		claim(t, key, &fresh);
		return;
	}
	if (i % 600 == 1 && *roots) {
		snprintf(target, sizeof(target), "new/%u@LONG64", *roots - 1);
		snprintf(key, sizeof(key), "%.100s|%x", target, i);
	} else if (i % 2) {
		snprintf(target, sizeof(target), "known/%u@PROT32[cpl3]", i / 2);
		snprintf(key, sizeof(key), "known/%u@PROT32|%x", i / 2, i);
	} else {
		snprintf(key, sizeof(key), "known/%u@REAL16", i);
		claim(t, key, &fresh)->known = 1;
		return;
	}
	struct sig_slot *s = claim(t, key, &fresh);
	struct sig_slot *to = claim(t, target, &fresh);
	if (fresh && !strncmp(target, "known/", 6))
		to->known = 1;
	/* The entries may not have moved: s is still valid (blocks). */
	s->alias = to->self + 1;
}

int main(void)
{
	struct sig_table t;
	memset(&t, 0, sizeof(t));
	unsigned roots = 0;
	size_t most = 0, most_bytes = 0, dropped = 0;
	for (unsigned i = 0; i < KEYS; i++) {
		feed(&t, i, &roots);
		if (i % PERIOD == PERIOD - 1)
			dropped += sigtab_bound(&t, CAMP_SIGTAB_MAX);
		if (t.n > most)
			most = t.n;
		if (sigtab_bytes(&t) > most_bytes)
			most_bytes = sigtab_bytes(&t);
	}
	/* Each key of the stream adds at most two entries. */
	size_t limit = CAMP_SIGTAB_MAX + 2 * PERIOD;
	CHECK(most <= limit, "%u keys fed: the table held at most %zu entries (bound %zu), "
	      "%zu dropped on the way", KEYS, most, limit, dropped);
	size_t bytes_limit = (limit / 1024 + 1) * 1024 * (sizeof(struct sig_slot) + 8) +
			     4 * limit * sizeof(uint32_t);
	CHECK(most_bytes <= bytes_limit, "its memory stayed at %zu KiB at most (bound %zu KiB; "
	      "unbounded it would take ~%zu KiB)", most_bytes / 1024, bytes_limit / 1024,
	      (size_t)KEYS * sizeof(struct sig_slot) / 1024);

	/* Every new bucket is still known to the table: met again, it is
	 * not fresh, and it is not marked known. */
	unsigned lost = 0, wrong_alias = 0, aliases = 0;
	for (unsigned r = 0; r < roots; r++) {
		char key[SIGNATURE_MAX];
		int fresh;
		snprintf(key, sizeof(key), "new/%u@LONG64", r);
		struct sig_slot *s = claim(&t, key, &fresh);
		lost += fresh || s->known || s->alias;
	}
	for (size_t i = 0; i < t.n; i++) {
		const struct sig_slot *s = sigtab_entry(&t, i);
		if (!s->alias || strncmp(s->sig, "new/", 4))
			continue;
		aliases++;
		const struct sig_slot *to = sigtab_entry(&t, s->alias - 1);
		size_t n = strlen(to->sig);
		wrong_alias += strncmp(s->sig, to->sig, n) || s->sig[n] != '|' || to->self != s->alias - 1;
	}
	CHECK(roots == ROOTS && lost == 0, "all %u new buckets still in the table after the "
	      "bounding (%u lost: a lost one would be cut, minimized and sent again)", roots, lost);
	CHECK(aliases > 0 && wrong_alias == 0, "%u aliases onto new buckets kept, %u of them "
	      "leading elsewhere than their bucket", aliases, wrong_alias);
	int fresh;
	claim(&t, "known/1@REAL16", &fresh);
	CHECK(fresh, "a known key dropped by the bounding is fresh again (the known list is "
	      "asked again: known keys need no case)");

	/* A table of new buckets alone over half the bound is emptied. */
	sigtab_free(&t);
	for (unsigned i = 0; i <= CAMP_SIGTAB_MAX; i++) {
		char key[SIGNATURE_MAX];
		snprintf(key, sizeof(key), "new/%u@REAL16", i);
		claim(&t, key, &fresh);
	}
	size_t n_before = t.n, gone = sigtab_bound(&t, CAMP_SIGTAB_MAX);
	CHECK(t.n == 0 && gone == n_before, "%zu new buckets (over half of %d): the bounding "
	      "empties the table (%zu dropped, %zu left)", n_before, CAMP_SIGTAB_MAX, gone, t.n);
	claim(&t, "new/7@REAL16", &fresh);
	CHECK(fresh && t.n == 1, "and the table takes keys again afterwards");
	sigtab_free(&t);
	return check_done("test_campaign_sigtab");
}
