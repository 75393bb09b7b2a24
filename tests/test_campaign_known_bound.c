/* The campaign parent keeps at most CAMP_KNOWN_KEYS_MAX known keys one by
 * one (campaign/camp_stats.c camp_known_hit): a campaign meets new known
 * keys all the time, and a table of every one grew the parent ~17 MB an
 * hour. Checked: fed three times as many known keys, the parent holds
 * CAMP_KNOWN_KEYS_MAX of them; the known hit count stays exact (the rest
 * are summed); a key it holds still counts on its own; new buckets are
 * not limited; and the sum survives the state file (flush, then resume). */
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

	char dir[] = "/tmp/exitdiff-known-bound-XXXXXX", err[256];
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
	return check_done("test_campaign_known_bound");
}
