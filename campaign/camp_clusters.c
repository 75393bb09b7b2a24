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

void camp_bucket_cluster_key(const struct camp_bucket *b, char *buf, size_t len)
{
	/* Knobs count as needed only when the minimizer reduced them. */
	cluster_key(b->sig, b->knobs, b->env_known && b->env_minimized, buf, len);
}

size_t camp_clusters(const struct camp_state *s, struct camp_cluster **out)
{
	*out = NULL;
	size_t n = 0;
	struct keyed *k = malloc((s->nb ? s->nb : 1) * sizeof(*k));
	if (!k)
		return 0;
	for (size_t i = 0; i < s->nb; i++) {
		const struct camp_bucket *b = &s->b[i];
		if (b->known || !b->dir[0])
			continue;
		camp_bucket_cluster_key(b, k[n].key, sizeof(k[n].key));
		k[n++].b = b;
	}
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
		if (k[i].b->hits > cl->example->hits)
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
