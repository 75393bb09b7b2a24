/* The campaign's root-cause clusters (core/cluster.h): saved buckets
 * grouped by cluster key, for the summary and stats.jsonl, which lead with
 * them. Computed from the parent's bucket table when shown; nothing about
 * clusters is stored (a resumed campaign recomputes them from the hits
 * files, which carry each bucket's needed knobs). */
#include <stdlib.h>
#include <string.h>
#include "camp_internal.h"
#include "cluster.h"

struct keyed {
	char key[CAMP_CLUSTER_KEY];
	const struct camp_bucket *b;
};

static int by_key(const void *x, const void *y)
{
	return strcmp(((const struct keyed *)x)->key, ((const struct keyed *)y)->key);
}

static int by_cluster_hits(const void *x, const void *y)
{
	const struct camp_cluster *a = x, *b = y;
	if (a->hits != b->hits)
		return a->hits < b->hits ? 1 : -1;
	return strcmp(a->key, b->key);
}

static int needs_known(const struct camp_bucket *b)
{
	return b->env_known && b->env_minimized;
}

/* A minimized bucket by the head of its cluster key (no knobs). */
struct headed {
	char head[CAMP_CLUSTER_KEY];
	const struct camp_bucket *b;
};

static int by_head(const void *x, const void *y)
{
	return strcmp(((const struct headed *)x)->head, ((const struct headed *)y)->head);
}

/* A bucket whose case the minimizer could not reduce (its knobs are the
 * ones it was generated with, "[?]") joins the cluster of a minimized
 * bucket with the same symptom whose needed knobs it carries: the most
 * specific one (most knobs; of equals, the first after sorting). Otherwise
 * every such bucket would be a cluster of its own beside the cause it
 * shares. hs: the minimized buckets sorted by head. */
static void join_known_cluster(const struct headed *hs, size_t nh, const struct camp_bucket *b,
			       char key[CAMP_CLUSTER_KEY])
{
	struct headed want;
	if (cluster_key_head(b->sig, want.head, sizeof(want.head)) < 0)
		return;
	size_t lo = 0, hi = nh;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (strcmp(hs[mid].head, want.head) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	const struct camp_bucket *best = NULL;
	for (size_t i = lo; i < nh && !strcmp(hs[i].head, want.head); i++) {
		const struct camp_bucket *o = hs[i].b;
		if ((o->knobs & ~b->knobs) == 0 &&
		    (!best || __builtin_popcount(o->knobs) > __builtin_popcount(best->knobs)))
			best = o;
	}
	if (best)
		cluster_key(best->sig, best->knobs, 1, key, CAMP_CLUSTER_KEY);
}

/* A cluster's example is the case a person starts from: a minimized one
 * (it shows what the cause needs) before the most hits. */
static int better_example(const struct camp_bucket *b, const struct camp_bucket *than)
{
	if (needs_known(b) != needs_known(than))
		return needs_known(b);
	return b->hits > than->hits;
}

/* A bucket's cluster key as it stands alone (stats.jsonl's new_buckets, the
 * report's first-seen times): knobs count as needed only when the minimizer
 * reduced them. camp_clusters() may still join an unminimized bucket to
 * its cause's cluster. */
void camp_bucket_cluster_key(const struct camp_bucket *b, char *buf, size_t len)
{
	cluster_key(b->sig, b->knobs, needs_known(b), buf, len);
}

size_t camp_clusters(const struct camp_state *s, struct camp_cluster **out)
{
	*out = NULL;
	size_t n = 0, nh = 0;
	struct keyed *k = malloc((s->nb ? s->nb : 1) * sizeof(*k));
	struct headed *hs = malloc((s->nb ? s->nb : 1) * sizeof(*hs));
	if (!k || !hs) {
		free(k);
		free(hs);
		return 0;
	}
	for (size_t i = 0; i < s->nb; i++) {
		const struct camp_bucket *b = &s->b[i];
		if (!b->known && b->dir[0] && needs_known(b) &&
		    cluster_key_head(b->sig, hs[nh].head, sizeof(hs[nh].head)) == 0)
			hs[nh++].b = b;
	}
	qsort(hs, nh, sizeof(*hs), by_head);
	for (size_t i = 0; i < s->nb; i++) {
		const struct camp_bucket *b = &s->b[i];
		if (b->known || !b->dir[0])
			continue;
		/* Knobs count as needed only when the minimizer reduced them. */
		cluster_key(b->sig, b->knobs, needs_known(b), k[n].key, sizeof(k[n].key));
		if (!needs_known(b))
			join_known_cluster(hs, nh, b, k[n].key);
		k[n++].b = b;
	}
	free(hs);
	qsort(k, n, sizeof(*k), by_key);
	struct camp_cluster *c = malloc((n ? n : 1) * sizeof(*c));
	if (!c) {
		free(k);
		return 0;
	}
	size_t nc = 0;
	for (size_t i = 0; i < n; i++) {
		if (!nc || strcmp(c[nc - 1].key, k[i].key)) {
			memcpy(c[nc].key, k[i].key, sizeof(c[nc].key));
			c[nc].hits = 0;
			c[nc].buckets = 0;
			c[nc].example = k[i].b;
			nc++;
		}
		struct camp_cluster *cl = &c[nc - 1];
		cl->hits += k[i].b->hits;
		cl->buckets++;
		if (better_example(k[i].b, cl->example))
			cl->example = k[i].b;
	}
	free(k);
	if (!nc) {
		free(c);
		return 0;
	}
	qsort(c, nc, sizeof(*c), by_cluster_hits);
	*out = c;
	return nc;
}
