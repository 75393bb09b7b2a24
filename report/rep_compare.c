/* Two campaigns side by side (report.h report_compare): the clusters one
 * found and the other did not, and those whose verdict changed. For
 * comparing hosts, kernels or exitdiff versions, so each side's host and
 * command lead. */
#include <inttypes.h>
#include <string.h>
#include "rep_campaign.h"
#include "report.h"

static void side(FILE *f, const char *tag, const struct rep_campaign *c)
{
	fprintf(f, "%s %s: %zu clusters, %zu buckets, %.0f execs", tag, c->out, c->nc, c->nb,
		json_num(&c->last, rep_last(c), "execs", 0));
	if (c->nruns) {
		const struct rep_run *u = &c->runs[c->nruns - 1];
		fprintf(f, "; host %s, %s, kernel %s, %s; %s", u->host, u->vendor, u->kernel, u->backend,
			u->command);
	}
	fputc('\n', f);
}

static const struct rep_cluster *find(const struct rep_campaign *c, const char *key)
{
	for (size_t i = 0; i < c->nc; i++)
		if (!strcmp(c->c[i].key, key))
			return &c->c[i];
	return NULL;
}

/* Clusters of a that b lacks. */
static size_t only_in(FILE *f, const char *title, const struct rep_campaign *a,
		      const struct rep_campaign *b)
{
	size_t n = 0;
	for (size_t i = 0; i < a->nc; i++)
		n += !find(b, a->c[i].key);
	fprintf(f, "%s (%zu):\n", title, n);
	for (size_t i = 0; i < a->nc; i++) {
		const struct rep_cluster *cl = &a->c[i];
		if (find(b, cl->key))
			continue;
		fprintf(f, "  %-66s %8" PRIu64 " hits %4zu bucket%s  e.g. %s/buckets/%s/case.case\n",
			cl->key, cl->hits, cl->nbuckets, cl->nbuckets == 1 ? " " : "s", a->out,
			a->b[cl->example].name);
	}
	return n;
}

int report_compare(const char *pa, const char *pb, FILE *f, char *err, size_t errlen)
{
	struct rep_campaign a, b;
	if (rep_load(&a, pa, err, errlen) < 0)
		return -1;
	if (rep_load(&b, pb, err, errlen) < 0) {
		rep_free(&a);
		return -1;
	}
	side(f, "A", &a);
	side(f, "B", &b);
	size_t nnew = only_in(f, "new in B (clusters A did not find)", &b, &a);
	size_t ngone = only_in(f, "gone in B (clusters only A found)", &a, &b);
	size_t nchanged = 0, nboth = 0;
	/* A verdict is a cluster's example bucket's, as triage wrote it;
	 * untriaged on either side is no change. */
	fprintf(f, "verdict changed:\n");
	for (size_t i = 0; i < b.nc; i++) {
		const struct rep_cluster *cb = &b.c[i], *ca = find(&a, cb->key);
		if (!ca)
			continue;
		nboth++;
		const char *va = a.b[ca->example].verdict, *vb = b.b[cb->example].verdict;
		if (!va[0] || !vb[0] || !strcmp(va, vb))
			continue;
		nchanged++;
		fprintf(f, "  %s\n    A: %s\n    B: %s\n", cb->key, va, vb);
	}
	if (!nchanged)
		fprintf(f, "  (none)\n");
	fprintf(f, "summary: %zu clusters in both, %zu new in B, %zu gone in B, %zu with a changed verdict\n",
		nboth, nnew, ngone, nchanged);
	rep_free(&a);
	rep_free(&b);
	return 0;
}
