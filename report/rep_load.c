/* Reads a campaign directory into struct rep_campaign (rep_campaign.h). */
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "cluster.h"
#include "knobs.h"
#include "rep_campaign.h"

/* A bucket named by a stats line's new_buckets: its cluster and when. */
struct seen {
	char name[256];
	char cluster[REP_KEY];
	double t;
};

struct seen_list {
	struct seen *v;
	size_t n, cap;
};

static int seen_add(struct seen_list *l, const char *dir, const char *cluster, double t)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 256;
		struct seen *v = realloc(l->v, cap * sizeof(*v));
		if (!v)
			return -1;
		l->v = v;
		l->cap = cap;
	}
	/* "buckets/NAME": the directory name is the key. */
	const char *slash = strrchr(dir, '/');
	snprintf(l->v[l->n].name, sizeof(l->v[l->n].name), "%s", slash ? slash + 1 : dir);
	snprintf(l->v[l->n].cluster, sizeof(l->v[l->n].cluster), "%s", cluster);
	l->v[l->n++].t = t;
	return 0;
}

static int by_seen_name(const void *x, const void *y)
{
	const struct seen *a = x, *b = y;
	int r = strcmp(a->name, b->name);
	/* The first line to name a bucket says when it was seen. */
	return r ? r : (a->t > b->t) - (a->t < b->t);
}

static unsigned lane_index(struct rep_campaign *c, const char *name)
{
	for (unsigned i = 0; i < c->nlanes; i++)
		if (!strcmp(c->lane[i], name))
			return i;
	if (c->nlanes == REP_MAX_LANES)
		return REP_MAX_LANES;
	snprintf(c->lane[c->nlanes], sizeof(c->lane[0]), "%s", name);
	return c->nlanes++;
}

/* Counters of the previous line, to turn totals into per-period rates. */
struct prev {
	int have;
	double t, dt, wexecs[REP_MAX_WORKERS];
	double lexecs[REP_MAX_LANES], lunsup[REP_MAX_LANES], lfail[REP_MAX_LANES];
};

static int add_sample(struct rep_campaign *c, size_t *cap, const struct json_doc *d,
		      struct prev *pv, struct seen_list *seen)
{
	const struct json_node *r = &d->n[0];
	if (c->ns == *cap) {
		size_t nc = *cap ? 2 * *cap : 512;
		struct rep_sample *v = realloc(c->s, nc * sizeof(*v));
		if (!v)
			return -1;
		c->s = v;
		*cap = nc;
	}
	struct rep_sample *s = &c->s[c->ns++];
	s->t = json_num(d, r, "time", NAN);
	s->execs = json_num(d, r, "execs", NAN);
	s->rate = json_num(d, r, "execs_per_s", NAN);
	s->clusters = json_num(d, r, "clusters", NAN);
	s->buckets = json_num(d, r, "buckets", NAN);
	s->exec_failures = json_num(d, r, "exec_failures", NAN);
	s->hv_failures = json_num(d, r, "hv_failures", NAN);
	s->restarts = json_num(d, r, "restarts", NAN);
	s->crashes = json_num(d, r, "crashes", NAN);
	s->unsupported_rate = json_num(d, r, "unsupported_rate", NAN);
	double dt = pv->have ? s->t - pv->t : NAN;
	/* The final line of a run follows the last periodic one closely: a
	 * rate over a fraction of a period is noise, not throughput. */
	int short_period = pv->dt > 0 && dt < pv->dt / 2;
	double wexecs[REP_MAX_WORKERS], lexecs[REP_MAX_LANES], lunsup[REP_MAX_LANES], lfail[REP_MAX_LANES];
	for (unsigned i = 0; i < REP_MAX_WORKERS; i++) {
		s->wrate[i] = NAN;
		wexecs[i] = NAN;
	}
	for (unsigned i = 0; i < REP_MAX_LANES; i++) {
		s->lane_unsup[i] = NAN;
		lexecs[i] = lunsup[i] = lfail[i] = NAN;
	}
	/* worker_health counts this run only: a resume starts it again, and
	 * the drop makes that period's rate unknown rather than negative. */
	const struct json_node *wh = json_get(d, r, "worker_health");
	for (const struct json_node *w = json_first(d, wh); w; w = json_next(d, w)) {
		double wi = json_num(d, w, "worker", -1), e = json_num(d, w, "execs", NAN);
		if (wi < 0 || wi >= REP_MAX_WORKERS)
			continue;
		unsigned k = (unsigned)wi;
		wexecs[k] = e;
		if (k + 1 > c->nworkers)
			c->nworkers = k + 1;
		if (dt > 0 && !short_period && e >= pv->wexecs[k])
			s->wrate[k] = (e - pv->wexecs[k]) / dt;
	}
	const struct json_node *lanes = json_get(d, r, "lanes");
	for (const struct json_node *l = json_first(d, lanes); l; l = json_next(d, l)) {
		unsigned k = lane_index(c, json_key(d, l));
		if (k == REP_MAX_LANES)
			continue;
		lexecs[k] = json_num(d, l, "execs", NAN);
		lunsup[k] = json_num(d, l, "unsupported", NAN);
		lfail[k] = json_num(d, l, "exec_failures", 0);
		double de = lexecs[k] - pv->lexecs[k] - (lfail[k] - pv->lfail[k]);
		double du = lunsup[k] - pv->lunsup[k];
		/* A period with a handful of a lane's execs says nothing. */
		if (pv->have && de >= 50 && du >= 0)
			s->lane_unsup[k] = du / de;
	}
	const struct json_node *nb = json_get(d, r, "new_buckets");
	for (const struct json_node *b = json_first(d, nb); b; b = json_next(d, b))
		if (seen_add(seen, json_str_of(d, b, "dir"), json_str_of(d, b, "cluster"), s->t) < 0)
			return -1;
	pv->have = 1;
	if (!short_period)
		pv->dt = dt;
	pv->t = s->t;
	memcpy(pv->wexecs, wexecs, sizeof(wexecs));
	memcpy(pv->lexecs, lexecs, sizeof(lexecs));
	memcpy(pv->lunsup, lunsup, sizeof(lunsup));
	memcpy(pv->lfail, lfail, sizeof(lfail));
	return 0;
}

static void copy_str(char *dst, size_t len, const struct json_doc *d, const struct json_node *o,
		     const char *key)
{
	snprintf(dst, len, "%s", json_str_of(d, o, key));
}

/* runs.jsonl is optional (campaigns older than the report have none). */
static int load_runs(struct rep_campaign *c, char *err, size_t errlen)
{
	char path[4200];
	snprintf(path, sizeof(path), "%s/runs.jsonl", c->out);
	struct jsonl_reader r;
	if (jsonl_open(&r, path, err, errlen) < 0)
		return errno == ENOENT ? 0 : -1;
	struct json_doc d = { 0 };
	size_t cap = 0;
	int rc;
	while ((rc = jsonl_next(&r, &d, err, errlen)) > 0) {
		if (c->nruns == cap) {
			size_t nc = cap ? 2 * cap : 4;
			struct rep_run *v = realloc(c->runs, nc * sizeof(*v));
			if (!v) {
				rc = -1;
				snprintf(err, errlen, "%s: out of memory", path);
				break;
			}
			c->runs = v;
			cap = nc;
		}
		struct rep_run *u = &c->runs[c->nruns++];
		const struct json_node *o = &d.n[0];
		memset(u, 0, sizeof(*u));
		u->unix_time = json_num(&d, o, "unix", NAN);
		u->time = json_num(&d, o, "time", NAN);
		u->jobs = (unsigned)json_num(&d, o, "jobs", 0);
		copy_str(u->seed, sizeof(u->seed), &d, o, "seed");
		u->seconds = json_num(&d, o, "seconds", 0);
		u->execs = json_num(&d, o, "execs", 0);
		copy_str(u->host, sizeof(u->host), &d, o, "host");
		copy_str(u->kernel, sizeof(u->kernel), &d, o, "kernel");
		copy_str(u->backend, sizeof(u->backend), &d, o, "backend");
		copy_str(u->vendor, sizeof(u->vendor), &d, o, "vendor");
		copy_str(u->cpu, sizeof(u->cpu), &d, o, "cpu");
		copy_str(u->env, sizeof(u->env), &d, o, "env");
		copy_str(u->generator, sizeof(u->generator), &d, o, "generator");
		copy_str(u->command, sizeof(u->command), &d, o, "command");
		copy_str(u->known, sizeof(u->known), &d, o, "known");
		copy_str(u->against, sizeof(u->against), &d, o, "against");
	}
	json_doc_free(&d);
	jsonl_close(&r);
	return rc < 0 ? -1 : 0;
}

/* The first line of a small file, "" when there is none. */
static void read_first_line(const char *path, char *buf, size_t len)
{
	buf[0] = 0;
	FILE *f = fopen(path, "r");
	if (!f)
		return;
	if (fgets(buf, (int)len, f))
		buf[strcspn(buf, "\n")] = 0;
	fclose(f);
}

/* A bucket the stats lines never named (a campaign older than
 * new_buckets): its cluster key from the hits file, as the campaign
 * computes it (core/cluster.h). */
static void cluster_from_hits(struct rep_bucket *b)
{
	uint32_t knobs = 0;
	int needed = !strncmp(b->env, "needs ", 6);
	char env[128];
	snprintf(env, sizeof(env), "%s", b->env);
	char *save, *tok = strtok_r(env, " ", &save);
	while (tok && (tok = strtok_r(NULL, " ", &save))) {
		const struct knob_def *k = knob_by_name(tok);
		if (k)
			knobs |= k->bit;
	}
	cluster_key(b->sig, knobs, needed, b->cluster, sizeof(b->cluster));
}

/* One bucket from OUT/buckets/NAME/hits; 0 when it has none (a bucket
 * whose writing was cut short: the campaign does not count it either). */
static int load_bucket(struct rep_campaign *c, const char *name, struct rep_bucket *b)
{
	char path[4500], line[512];
	snprintf(path, sizeof(path), "%s/buckets/%s/hits", c->out, name);
	FILE *f = fopen(path, "r");
	if (!f)
		return 0;
	memset(b, 0, sizeof(*b));
	snprintf(b->name, sizeof(b->name), "%s", name);
	b->first_seen = NAN;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = 0;
		if (!strncmp(line, "signature ", 10))
			snprintf(b->sig, sizeof(b->sig), "%.255s", line + 10);
		else if (!strncmp(line, "hits ", 5))
			b->hits = strtoull(line + 5, NULL, 0);
		else if (!strncmp(line, "needs ", 6) || !strncmp(line, "carries ", 8))
			snprintf(b->env, sizeof(b->env), "%.127s", line);
	}
	fclose(f);
	snprintf(path, sizeof(path), "%s/buckets/%s/verdict", c->out, name);
	read_first_line(path, b->verdict, sizeof(b->verdict));
	return b->sig[0] != 0;
}

static int by_hits(const void *x, const void *y)
{
	const struct rep_bucket *a = x, *b = y;
	if (a->hits != b->hits)
		return a->hits < b->hits ? 1 : -1;
	return strcmp(a->name, b->name);
}

static int load_buckets(struct rep_campaign *c, struct seen_list *seen, char *err, size_t errlen)
{
	char path[4200];
	snprintf(path, sizeof(path), "%s/buckets", c->out);
	DIR *dir = opendir(path);
	if (!dir) {
		if (errno == ENOENT)
			return 0;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (seen->n)
		qsort(seen->v, seen->n, sizeof(*seen->v), by_seen_name);
	size_t cap = 0;
	struct dirent *e;
	while ((e = readdir(dir))) {
		if (e->d_name[0] == '.')
			continue;
		if (c->nb == cap) {
			size_t nc = cap ? 2 * cap : 256;
			struct rep_bucket *v = realloc(c->b, nc * sizeof(*v));
			if (!v) {
				closedir(dir);
				snprintf(err, errlen, "%s: out of memory", path);
				return -1;
			}
			c->b = v;
			cap = nc;
		}
		struct rep_bucket *b = &c->b[c->nb];
		if (!load_bucket(c, e->d_name, b))
			continue;
		struct seen key;
		snprintf(key.name, sizeof(key.name), "%s", b->name);
		key.t = -INFINITY;
		/* The lower bound: the earliest line naming it. */
		size_t lo = 0, hi = seen->n;
		while (lo < hi) {
			size_t mid = (lo + hi) / 2;
			if (by_seen_name(&seen->v[mid], &key) < 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (lo < seen->n && !strcmp(seen->v[lo].name, b->name)) {
			b->first_seen = seen->v[lo].t;
			snprintf(b->cluster, sizeof(b->cluster), "%s", seen->v[lo].cluster);
		}
		if (!b->cluster[0])
			cluster_from_hits(b);
		c->nb++;
	}
	closedir(dir);
	if (c->nb)
		qsort(c->b, c->nb, sizeof(*c->b), by_hits);
	return 0;
}

struct keyed {
	const char *key;
	size_t i;
};

static int by_key(const void *x, const void *y)
{
	const struct keyed *a = x, *b = y;
	int r = strcmp(a->key, b->key);
	return r ? r : (a->i > b->i) - (a->i < b->i);
}

static int by_cluster_hits(const void *x, const void *y)
{
	const struct rep_cluster *a = x, *b = y;
	if (a->hits != b->hits)
		return a->hits < b->hits ? 1 : -1;
	return strcmp(a->key, b->key);
}

/* Buckets grouped by the cluster key the campaign wrote. Buckets are in
 * hit order, so a group's first is its example. */
static int group_clusters(struct rep_campaign *c)
{
	struct keyed *k = malloc((c->nb ? c->nb : 1) * sizeof(*k));
	c->c = malloc((c->nb ? c->nb : 1) * sizeof(*c->c));
	if (!k || !c->c) {
		free(k);
		return -1;
	}
	for (size_t i = 0; i < c->nb; i++)
		k[i] = (struct keyed){ c->b[i].cluster, i };
	qsort(k, c->nb, sizeof(*k), by_key);
	for (size_t i = 0; i < c->nb; i++) {
		const struct rep_bucket *b = &c->b[k[i].i];
		if (!c->nc || strcmp(c->c[c->nc - 1].key, b->cluster)) {
			struct rep_cluster *n = &c->c[c->nc++];
			memset(n, 0, sizeof(*n));
			snprintf(n->key, sizeof(n->key), "%s", b->cluster);
			n->example = k[i].i;
			n->first_seen = NAN;
		}
		struct rep_cluster *cl = &c->c[c->nc - 1];
		cl->hits += b->hits;
		cl->nbuckets++;
		if (isfinite(b->first_seen) && !(cl->first_seen <= b->first_seen))
			cl->first_seen = b->first_seen;
		if (b->verdict[0] && strcmp(b->verdict, c->b[cl->example].verdict))
			cl->nverdicts++;
	}
	free(k);
	qsort(c->c, c->nc, sizeof(*c->c), by_cluster_hits);
	return 0;
}

int rep_load_runs(struct rep_campaign *c, const char *out, char *err, size_t errlen)
{
	memset(c, 0, sizeof(*c));
	c->out = out;
	if (load_runs(c, err, errlen) == 0)
		return 0;
	rep_free(c);
	return -1;
}

int rep_load(struct rep_campaign *c, const char *out, char *err, size_t errlen)
{
	memset(c, 0, sizeof(*c));
	c->out = out;
	char path[4200];
	snprintf(path, sizeof(path), "%s/stats.jsonl", out);
	struct jsonl_reader r;
	if (jsonl_open(&r, path, err, errlen) < 0)
		return -1;
	struct seen_list seen = { 0 };
	struct prev pv = { 0 };
	size_t cap = 0;
	int rc;
	while ((rc = jsonl_next(&r, &c->last, err, errlen)) > 0)
		if (add_sample(c, &cap, &c->last, &pv, &seen) < 0) {
			snprintf(err, errlen, "%s:%u: out of memory", path, r.line);
			rc = -1;
			break;
		}
	jsonl_close(&r);
	if (rc == 0 && !c->ns) {
		snprintf(err, errlen, "%s: no stats lines (the campaign wrote none yet)", path);
		rc = -1;
	}
	if (rc == 0 && (load_runs(c, err, errlen) < 0 || load_buckets(c, &seen, err, errlen) < 0))
		rc = -1;
	if (rc == 0 && group_clusters(c) < 0) {
		snprintf(err, errlen, "%s: out of memory", out);
		rc = -1;
	}
	free(seen.v);
	if (rc < 0) {
		rep_free(c);
		return -1;
	}
	return 0;
}

const struct json_node *rep_last(const struct rep_campaign *c)
{
	return &c->last.n[0];
}

void rep_free(struct rep_campaign *c)
{
	free(c->s);
	free(c->runs);
	free(c->b);
	free(c->c);
	json_doc_free(&c->last);
	memset(c, 0, sizeof(*c));
}

const char *rep_hv(const struct rep_campaign *c)
{
	const char *a = c->nruns ? c->runs[c->nruns - 1].against : "";
	return !strncmp(a, "vmm:", 4) ? a : "KVM";
}
