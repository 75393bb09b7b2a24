/* What the campaign parent keeps grows with the campaign's findings, not
 * with its length (campaign/camp_stats.c): at most CAMP_KNOWN_KEYS_MAX
 * known keys one by one (camp_known_hit: a campaign meets new known keys
 * all the time, and a table of every one grew the parent ~17 MB an hour),
 * and at most CAMP_NAMES_MAX unsupported names (the reference names an
 * unmodelled MSR by its random index). Checked: fed three times as many
 * known keys, the parent holds CAMP_KNOWN_KEYS_MAX of them; the known hit
 * count stays exact (the rest are summed); a key it holds still counts on
 * its own; new buckets are not limited; the sum survives the state file
 * (flush, then resume); fed 10,000 distinct unsupported names, it keeps
 * CAMP_NAMES_MAX and "(other)", the total count exact. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "camp_internal.h"
#include "check.h"

#define FED (3 * CAMP_KNOWN_KEYS_MAX)

int main(void)
{
	struct camp_state s;
	memset(&s, 0, sizeof(s));
	uint64_t want = 0;
	for (unsigned i = 0; i < FED; i++) {
		char key[64];
		snprintf(key, sizeof(key), "hlt/exception#UD:terminal:k%u@REAL16", i);
		camp_known_hit(&s, key, i % 7 + 1);
		want += i % 7 + 1;
	}
	camp_known_hit(&s, "hlt/exception#UD:terminal:k0@REAL16", 100);
	want += 100;
	CHECK(s.nknown == CAMP_KNOWN_KEYS_MAX && s.nb == CAMP_KNOWN_KEYS_MAX,
	      "%d known keys fed: %zu held one by one (at most %d), %zu buckets in all", FED,
	      s.nknown, CAMP_KNOWN_KEYS_MAX, s.nb);
	CHECK_EQ_U64(camp_known_hits(&s), want, "known hits (held keys plus the summed rest)");
	struct camp_bucket *b = camp_bucket_find(&s, "hlt/exception#UD:terminal:k0@REAL16");
	CHECK(b && b->hits == 101, "a held key still counts on its own (k0: %llu hits, want 101)",
	      b ? (unsigned long long)b->hits : 0ull);
	CHECK(camp_bucket_add(&s, "mov/rax@LONG64", 0) != NULL && s.nb == CAMP_KNOWN_KEYS_MAX + 1,
	      "a new bucket is not limited by the known keys' bound");

	uint64_t names_total = 0, names_seen = 0;
	for (unsigned i = 0; i < 10000; i++) {
		char nm[32];
		snprintf(nm, sizeof(nm), "rdmsr:0x%x", i * 7919u);
		camp_names_add(&s.unsup, &s.nunsup, &s.capunsup, nm, 2);
		names_total += 2;
	}
	camp_names_add(&s.unsup, &s.nunsup, &s.capunsup, "rdmsr:0x0", 5);
	names_total += 5;
	for (size_t i = 0; i < s.nunsup; i++)
		names_seen += s.unsup[i].n;
	CHECK(s.nunsup == CAMP_NAMES_MAX + 1 && !strcmp(s.unsup[CAMP_NAMES_MAX].name, CAMP_NAMES_OTHER),
	      "10000 unsupported names fed: %zu kept (%d and \"%s\")", s.nunsup, CAMP_NAMES_MAX,
	      s.nunsup > CAMP_NAMES_MAX ? s.unsup[CAMP_NAMES_MAX].name : "-");
	CHECK_EQ_U64(names_seen, names_total, "unsupported count over the kept names (exact)");
	CHECK(s.unsup[0].n == 7, "a kept name still counts on its own (rdmsr:0x0: %llu, want 7)",
	      (unsigned long long)s.unsup[0].n);

	char dir[] = "/tmp/exitdiff-parent-bounds-XXXXXX", err[256];
	int ok = mkdtemp(dir) != NULL && camp_store_init(dir, err, sizeof(err)) == 0 &&
		 camp_store_flush(dir, &s, 1.0, err, sizeof(err)) == 0;
	struct camp_state r;
	memset(&r, 0, sizeof(r));
	ok = ok && camp_store_load(dir, &r, err, sizeof(err)) == 0;
	CHECK(ok && camp_known_hits(&r) == want && r.nknown == CAMP_KNOWN_KEYS_MAX,
	      "resumed from the state file: %llu known hits (want %llu), %zu keys held",
	      (unsigned long long)camp_known_hits(&r), (unsigned long long)want, r.nknown);
	camp_state_free(&s);
	camp_state_free(&r);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		printf("note: could not remove %s\n", dir);
	return check_done("test_campaign_parent_bounds");
}
