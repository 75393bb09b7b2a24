/* The campaign's clusters (campaign/camp_clusters.c) from a bucket table:
 * buckets of one cause share a cluster, a bucket whose case could not be
 * minimized ("[?]") joins the cluster of a minimized bucket with the same
 * symptom whose knobs it carries, and a cluster's example is a minimized
 * case even when an unminimized one has more hits. */
#include <stdlib.h>
#include <string.h>
#include "camp_internal.h"
#include "check.h"
#include "knobs.h"

static void bucket(struct camp_bucket *b, const char *sig, uint32_t knobs, int minimized,
		   uint64_t hits)
{
	memset(b, 0, sizeof(*b));
	snprintf(b->sig, sizeof(b->sig), "%s", sig);
	snprintf(b->dir, sizeof(b->dir), "buckets/%.200s", sig);
	b->knobs = knobs;
	b->env_known = 1;
	b->env_minimized = minimized;
	b->hits = hits;
}

static const struct camp_cluster *find(const struct camp_cluster *c, size_t n, const char *key)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(c[i].key, key))
			return &c[i];
	return NULL;
}

int main(void)
{
	static struct camp_state s;
	struct camp_bucket b[7];
	uint32_t ts = KNOB_CR0_TS, cpl3 = KNOB_CPL3;
	/* One cause (CR0.TS at CPL3), four symptoms. */
	bucket(&b[0], "exception#NM/exception#PF:exception.vector:movups", cpl3 | ts, 1, 5);
	bucket(&b[1], "exception#NM/exception#UD:exception.vector:fld1", cpl3 | ts, 1, 3);
	bucket(&b[2], "exception#NM/exception#GP:event.count:pxor", cpl3 | ts, 1, 2);
	/* Not minimized, generated with one knob more: joins, and has the
	 * most hits, yet is not the example. */
	bucket(&b[3], "exception#NM/hlt:terminal:fninit", cpl3 | ts | KNOB_CR4_UMIP, 0, 50);
	/* Not minimized, no cluster of its symptom: stays "[?]". */
	bucket(&b[4], "hlt/timeout:terminal:rep stosd", KNOB_CR4_UMIP, 0, 1);
	/* Another cause: KVM's emulator failing. */
	bucket(&b[5], "exception#NM/internal_error:terminal:fld1", ts, 1, 4);
	/* Known: never a cluster. */
	bucket(&b[6], "hlt/hlt:rax:add", 0, 1, 9);
	b[6].known = 1;
	s.b = b;
	s.nb = 7;

	struct camp_cluster *c = NULL;
	size_t n = camp_clusters(&s, &c);
	for (size_t i = 0; i < n; i++)
		printf("cluster: %s, %llu hits, %zu buckets, e.g. %s\n", c[i].key,
		       (unsigned long long)c[i].hits, c[i].buckets, c[i].example->sig);
	CHECK(n == 3, "3 clusters of 6 unknown buckets (got %zu)", n);
	const struct camp_cluster *nm = find(c, n, "exception#NM/missed exception fpu long64 [cpl3,cr0.ts]");
	CHECK(nm && nm->buckets == 4 && nm->hits == 60,
	      "the CR0.TS cause is one cluster of 4 buckets, 60 hits (the unminimized one joined)");
	CHECK(nm && nm->example == &b[0], "its example is the most-hit minimized bucket (%s)",
	      nm ? nm->example->sig : "-");
	CHECK(find(c, n, "hlt/timeout terminal string long64 [?]") != NULL,
	      "an unminimized bucket with no cluster of its symptom stays [?]");
	CHECK(find(c, n, "exception#NM/internal_error terminal fpu long64 [cr0.ts]") != NULL,
	      "a KVM that failed is a cluster of its own");
	free(c);

	/* The join needs the knobs: without cpl3 it cannot be that cause. */
	b[3].knobs = ts;
	n = camp_clusters(&s, &c);
	CHECK(find(c, n, "exception#NM/missed exception fpu long64 [?]") != NULL,
	      "a bucket without the cluster's knobs does not join it");
	free(c);
	return check_done("test_campaign_clusters");
}
