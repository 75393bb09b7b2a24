/* The parent's picture of a campaign: totals, buckets, mnemonic tables,
 * and the three ways it is shown (stats.jsonl, status line, summary). */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "camp_internal.h"
#include "finding.h"
#include "mode.h"

/* struct camp_counts holds only uint64_t counters: add and subtract them
 * as one array, so a new counter needs no code here. */
#define CAMP_NCOUNTS (sizeof(struct camp_counts) / sizeof(uint64_t))
_Static_assert(sizeof(struct camp_counts) % sizeof(uint64_t) == 0,
	       "struct camp_counts holds only uint64_t counters");

void camp_counts_add(struct camp_counts *t, const struct camp_counts *d)
{
	uint64_t *tv = (uint64_t *)t;
	const uint64_t *dv = (const uint64_t *)d;
	for (size_t i = 0; i < CAMP_NCOUNTS; i++)
		tv[i] += dv[i];
}

void camp_counts_sub(struct camp_counts *d, const struct camp_counts *a,
		     const struct camp_counts *b)
{
	uint64_t *dv = (uint64_t *)d;
	const uint64_t *av = (const uint64_t *)a, *bv = (const uint64_t *)b;
	for (size_t i = 0; i < CAMP_NCOUNTS; i++)
		dv[i] = av[i] - bv[i];
}

static size_t hash_sig(const char *s)
{
	uint32_t h = 2166136261u;
	while (*s)
		h = (h ^ (uint8_t)*s++) * 16777619u;
	return h;
}

struct camp_bucket *camp_bucket_find(struct camp_state *s, const char *sig)
{
	if (!s->bindex_cap)
		return NULL;
	for (size_t j = hash_sig(sig) & (s->bindex_cap - 1); s->bindex[j];
	     j = (j + 1) & (s->bindex_cap - 1))
		if (!strcmp(s->b[s->bindex[j] - 1].sig, sig))
			return &s->b[s->bindex[j] - 1];
	return NULL;
}

static void bindex_put(size_t *ix, size_t cap, const char *sig, size_t pos)
{
	size_t j = hash_sig(sig) & (cap - 1);
	while (ix[j])
		j = (j + 1) & (cap - 1);
	ix[j] = pos + 1;
}

struct camp_bucket *camp_bucket_add(struct camp_state *s, const char *sig, int known)
{
	if (s->nb == s->capb) {
		size_t cap = s->capb ? 2 * s->capb : 64;
		struct camp_bucket *nb = realloc(s->b, cap * sizeof(*nb));
		if (!nb)
			return NULL;
		s->b = nb;
		s->capb = cap;
	}
	if (2 * (s->nb + 1) > s->bindex_cap) {
		size_t cap = s->bindex_cap ? 2 * s->bindex_cap : 256;
		size_t *ix = calloc(cap, sizeof(*ix));
		if (!ix)
			return NULL;
		for (size_t i = 0; i < s->nb; i++)
			bindex_put(ix, cap, s->b[i].sig, i);
		free(s->bindex);
		s->bindex = ix;
		s->bindex_cap = cap;
	}
	struct camp_bucket *b = &s->b[s->nb];
	memset(b, 0, sizeof(*b));
	snprintf(b->sig, sizeof(b->sig), "%s", sig);
	b->known = known;
	s->nknown += known != 0;
	bindex_put(s->bindex, s->bindex_cap, b->sig, s->nb++);
	return b;
}

void camp_known_hit(struct camp_state *s, const char *sig, uint64_t n)
{
	struct camp_bucket *b = camp_bucket_find(s, sig);
	if (!b && s->nknown < CAMP_KNOWN_KEYS_MAX)
		b = camp_bucket_add(s, sig, 1);
	if (!b) {
		s->known_other += n;
		return;
	}
	b->hits += n;
	b->dirty = 1;
}

void camp_names_add(struct camp_name_count **v, size_t *nv, size_t *cap,
		    const char *name, uint64_t n)
{
	for (size_t i = 0; i < *nv; i++)
		if (!strcmp((*v)[i].name, name)) {
			(*v)[i].n += n;
			return;
		}
	if (*nv >= CAMP_NAMES_MAX && strcmp(name, CAMP_NAMES_OTHER)) {
		camp_names_add(v, nv, cap, CAMP_NAMES_OTHER, n);
		return;
	}
	if (*nv == *cap) {
		size_t nc = *cap ? 2 * *cap : 64;
		struct camp_name_count *nn = realloc(*v, nc * sizeof(*nn));
		if (!nn)
			return;
		*v = nn;
		*cap = nc;
	}
	snprintf((*v)[*nv].name, sizeof((*v)[*nv].name), "%s", name);
	(*v)[(*nv)++].n = n;
}

size_t camp_buckets_new(const struct camp_state *s)
{
	size_t n = 0;
	for (size_t i = 0; i < s->nb; i++)
		n += !s->b[i].known && s->b[i].dir[0];
	return n;
}

size_t camp_buckets_unsaved(const struct camp_state *s)
{
	size_t n = 0;
	for (size_t i = 0; i < s->nb; i++)
		n += !s->b[i].known && !s->b[i].dir[0];
	return n;
}

uint64_t camp_known_hits(const struct camp_state *s)
{
	uint64_t n = s->known_other;
	for (size_t i = 0; i < s->nb; i++)
		if (s->b[i].known)
			n += s->b[i].hits;
	return n;
}

const char *const camp_lane_field_names[CAMP_LANE_FIELDS] = {
	"execs", "agree", "diverge", "unsupported", "known", "steps", "exec_failures",
};
const char *const camp_fam_field_names[CAMP_FAM_FIELDS] = {
	"cases", "agree", "diverge", "unsupported",
};
_Static_assert(sizeof(struct camp_lane_counts) == CAMP_LANE_FIELDS * sizeof(uint64_t),
	       "camp_lane_field_names names every field");
_Static_assert(sizeof(struct camp_fam_counts) == CAMP_FAM_FIELDS * sizeof(uint64_t),
	       "camp_fam_field_names names every field");

static unsigned lane_mode(unsigned lane)
{
	static const uint8_t m[LANE_COUNT] = {
		[LANE_LONG64] = MODE_LONG64, [LANE_LONG64_CPL3] = MODE_LONG64,
		[LANE_PROT32] = MODE_PROT32, [LANE_PROT32PG] = MODE_PROT32PG,
		[LANE_REAL16] = MODE_REAL16, [LANE_COMPAT32] = MODE_COMPAT32,
		[LANE_PROT32PAE] = MODE_PROT32PAE, [LANE_V86] = MODE_V86,
		[LANE_MSR_EXIT] = MODE_COUNT, [LANE_EVENTS] = MODE_COUNT,
	};
	return m[lane];
}

/* New buckets of the lane's mode (the two long64 lanes share theirs);
 * the MSR-filter lane's are those whose case has its knob, in any mode,
 * the events lane's those whose case carries an event (gen_lane_of). */
static size_t lane_buckets(const struct camp_state *s, unsigned lane)
{
	size_t n = 0;
	for (size_t i = 0; i < s->nb; i++) {
		const struct camp_bucket *b = &s->b[i];
		int msr = (b->knobs & KNOB_MSR_EXIT) != 0, ev = !msr && b->event;
		int in = lane == LANE_MSR_EXIT ? msr : lane == LANE_EVENTS ? ev :
			 !msr && !ev && finding_key_mode(b->sig) == lane_mode(lane);
		n += !b->known && b->dir[0] && in;
	}
	return n;
}

static double ratio(uint64_t a, uint64_t b)
{
	return b ? (double)a / (double)b : 0.0;
}

void camp_state_free(struct camp_state *s)
{
	for (int l = 0; l < LANE_COUNT; l++)
		free(s->lunsup[l]);
	free(s->b);
	free(s->bindex);
	free(s->unsup);
	free(s->reached);
	free(s->health.w);
	memset(s, 0, sizeof(*s));
}

/* Indices of the top (up to) 5 names of v, by count. */
static size_t top5_of(const struct camp_name_count *v, size_t nv, size_t idx[5])
{
	size_t n = 0;
	for (size_t i = 0; i < nv; i++) {
		size_t pos = n < 5 ? n++ : 5;
		while (pos > 0 && v[idx[pos - 1]].n < v[i].n) {
			if (pos < 5)
				idx[pos] = idx[pos - 1];
			pos--;
		}
		if (pos < 5)
			idx[pos] = i;
	}
	return n;
}

static size_t top5(const struct camp_state *s, size_t idx[5])
{
	return top5_of(s->unsup, s->nunsup, idx);
}

static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		if (ch == '"' || ch == '\\')
			fprintf(f, "\\%c", ch);
		else if (ch < 0x20)
			fprintf(f, "\\u%04x", ch);
		else
			fputc(ch, f);
	}
	fputc('"', f);
}

void camp_json_str(FILE *f, const char *s)
{
	json_str(f, s);
}

static void json_exits(FILE *f, const uint64_t *h)
{
	fputc('{', f);
	int first = 1;
	for (int i = 0; i < EXIT_KIND_COUNT; i++) {
		if (!h[i])
			continue;
		fprintf(f, "%s\"%s\":%" PRIu64, first ? "" : ",", exit_kind_name((enum exit_kind)i), h[i]);
		first = 0;
	}
	fputc('}', f);
}

/* "lanes": {"real16": {execs.., modeled_share, agree_rate, buckets,
 * unsupported_top, families: {"alu": {cases, agree, diverge,
 * unsupported}}}}: lanes without execs left out. */
static void json_lanes(FILE *f, const struct camp_state *s)
{
	fputc('{', f);
	int first = 1;
	for (unsigned l = 0; l < LANE_COUNT; l++) {
		const struct camp_lane_counts *lc = &s->tot.lane[l];
		if (!lc->execs)
			continue;
		fprintf(f, "%s\"%s\":{", first ? "" : ",", gen_lane_name((enum gen_lane)l));
		first = 0;
		const uint64_t *v = (const uint64_t *)lc;
		for (unsigned i = 0; i < CAMP_LANE_FIELDS; i++)
			fprintf(f, "\"%s\":%" PRIu64 ",", camp_lane_field_names[i], v[i]);
		uint64_t ran = lc->execs - lc->exec_failures;
		fprintf(f, "\"modeled_share\":%.4f,\"agree_rate\":%.4f,\"buckets\":%zu,"
			"\"unsupported_top\":[", ratio(lc->steps, lc->steps + lc->unsupported),
			ratio(lc->agree, ran), lane_buckets(s, l));
		size_t idx[5], nt = top5_of(s->lunsup[l], s->nlunsup[l], idx);
		for (size_t i = 0; i < nt; i++) {
			fprintf(f, "%s{\"mnemonic\":", i ? "," : "");
			json_str(f, s->lunsup[l][idx[i]].name);
			fprintf(f, ",\"count\":%" PRIu64 "}", s->lunsup[l][idx[i]].n);
		}
		fputs("],\"families\":{", f);
		int ff = 1;
		for (unsigned k = 0; k < FAM_COUNT; k++) {
			const struct camp_fam_counts *fc = &s->tot.fam[l][k];
			if (!fc->cases)
				continue;
			fprintf(f, "%s\"%s\":{", ff ? "" : ",", gen_family_name(k));
			ff = 0;
			const uint64_t *fv = (const uint64_t *)fc;
			for (unsigned i = 0; i < CAMP_FAM_FIELDS; i++)
				fprintf(f, "%s\"%s\":%" PRIu64, i ? "," : "", camp_fam_field_names[i], fv[i]);
			fputc('}', f);
		}
		fputs("}}", f);
	}
	fputc('}', f);
}

static double unsup_rate(const struct camp_state *s)
{
	uint64_t ran = s->tot.execs - s->tot.exec_failures;
	return ran ? (double)s->tot.unsupported / (double)ran : 0.0;
}

/* "clusters": how many, "cluster_top": the CLUSTERS_IN_JSON with the most
 * hits, each {key, hits, buckets, example} (example: the case of its
 * most-hit bucket, relative to OUT). */
#define CLUSTERS_IN_JSON 10
static void json_clusters(FILE *f, const struct camp_state *s)
{
	struct camp_cluster *c;
	size_t nc = camp_clusters(s, &c);
	fprintf(f, "\"clusters\":%zu,\"cluster_top\":[", nc);
	for (size_t i = 0; i < nc && i < CLUSTERS_IN_JSON; i++) {
		fprintf(f, "%s{\"key\":", i ? "," : "");
		json_str(f, c[i].key);
		fprintf(f, ",\"hits\":%" PRIu64 ",\"buckets\":%zu,\"example\":", c[i].hits,
			c[i].buckets);
		char ex[300];
		snprintf(ex, sizeof(ex), "%s/case.case", c[i].example->dir);
		json_str(f, ex);
		fputc('}', f);
	}
	fputc(']', f);
	free(c);
}

/* "new_buckets": the buckets saved since the last line, each {dir,
 * cluster}: with the line's time, when each bucket and cluster was first
 * seen (the report's discovery curve and first-seen columns). */
static void json_new_buckets(FILE *f, const struct camp_state *s)
{
	fputs(",\"new_buckets\":[", f);
	int first = 1;
	for (size_t i = 0; i < s->nb; i++) {
		const struct camp_bucket *b = &s->b[i];
		if (b->known || !b->dir[0] || b->announced)
			continue;
		char key[CAMP_CLUSTER_KEY];
		camp_bucket_cluster_key(b, key, sizeof(key));
		fputs(first ? "{\"dir\":" : ",{\"dir\":", f);
		json_str(f, b->dir);
		fputs(",\"cluster\":", f);
		json_str(f, key);
		fputc('}', f);
		first = 0;
	}
	fputc(']', f);
}

void camp_stats_json(FILE *f, const struct camp_state *s, double t, double rate,
		     unsigned workers)
{
	size_t idx[5];
	size_t nt = top5(s, idx);
	fprintf(f, "{\"time\":%.1f,\"unix\":%lld,\"execs\":%" PRIu64 ",\"execs_per_s\":%.1f,",
		t, (long long)time(NULL), s->tot.execs, rate);
	json_clusters(f, s);
	fprintf(f, ",\"buckets\":%zu,\"known_hits\":%" PRIu64 ",\"agree\":%" PRIu64
		",\"diverge\":%" PRIu64 ",\"unsupported\":%" PRIu64 ",\"unsupported_rate\":%.4f,"
		"\"unsupported_top\":[",
		camp_buckets_new(s), camp_known_hits(s), s->tot.agree, s->tot.diverge,
		s->tot.unsupported, unsup_rate(s));
	for (size_t i = 0; i < nt; i++) {
		fprintf(f, "%s{\"mnemonic\":", i ? "," : "");
		json_str(f, s->unsup[idx[i]].name);
		fprintf(f, ",\"count\":%" PRIu64 "}", s->unsup[idx[i]].n);
	}
	fprintf(f, "],\"exits_ref\":");
	json_exits(f, s->tot.exits_ref);
	fprintf(f, ",\"exits_kvm\":");
	json_exits(f, s->tot.exits_kvm);
	char why[400];
	fprintf(f, ",\"ref_mnemonics\":%zu,\"exec_failures\":%" PRIu64 ",\"hv_failures\":%" PRIu64
		",\"recoveries\":%" PRIu64 ",\"restarts\":%" PRIu64 ",\"period_failure_share\":%.4f"
		",\"unhealthy\":%s,\"unconfirmed\":%" PRIu64 ",\"crashes\":%" PRIu64 ",\"workers\":%u"
		",\"worker_health\":", s->nreached, s->tot.exec_failures, s->tot.hv_failures,
		s->tot.recoveries, s->health.restarts, s->health.last_share,
		s->health.unhealthy_now || camp_health_bad(s, why, sizeof(why)) ? "true" : "false",
		s->tot.unconfirmed, s->crashes, workers);
	camp_health_json(f, s);
	fprintf(f, ",\"kmsg\":{\"findings\":%" PRIu64 ",\"unattributed\":%" PRIu64 ",\"foreign\":%" PRIu64
		",\"suppressed\":%" PRIu64 "}", s->tot.kmsg_findings, s->tot.kmsg_unattributed,
		s->tot.kmsg_foreign, s->tot.kmsg_suppressed);
	fputs(",\"lanes\":", f);
	json_lanes(f, s);
	json_new_buckets(f, s);
	fputs("}\n", f);
}

void camp_status_line(char *buf, size_t len, const struct camp_state *s, double t,
		      double rate)
{
	int n = snprintf(buf, len, "[%6.0fs] execs %" PRIu64 " (%.0f/s)  buckets %zu  known hits %" PRIu64
			 "  unsupported %.1f%%  mnemonics %zu  crashes %" PRIu64,
			 t, s->tot.execs, rate, camp_buckets_new(s), camp_known_hits(s),
			 100.0 * unsup_rate(s), s->nreached, s->crashes);
	/* Per lane: agreement and modeled share, "real16 97.1%/99.0%". */
	for (unsigned l = 0; l < LANE_COUNT && n > 0 && (size_t)n < len; l++) {
		const struct camp_lane_counts *lc = &s->tot.lane[l];
		if (!lc->execs)
			continue;
		n += snprintf(buf + n, len - (size_t)n, "%s%s %.1f%%/%.1f%%", l ? "  " : "  | ",
			      gen_lane_name((enum gen_lane)l),
			      100.0 * ratio(lc->agree, lc->execs - lc->exec_failures),
			      100.0 * ratio(lc->steps, lc->steps + lc->unsupported));
	}
	camp_health_status(buf, len, n, s);
}

static int by_hits(const void *x, const void *y)
{
	const struct camp_bucket *a = x, *b = y;
	return a->hits < b->hits ? 1 : a->hits > b->hits ? -1 : strcmp(a->sig, b->sig);
}

/* Clusters first: one line each (hits, buckets inside, key) and the case
 * of its most-hit bucket. */
#define CLUSTERS_SHOWN 20
static void print_clusters(FILE *f, const struct camp_state *s, int outlen, const char *out)
{
	struct camp_cluster *c;
	size_t nc = camp_clusters(s, &c);
	if (!nc)
		return;
	fprintf(f, "clusters (%zu: REF/KVM terminals, field class, family, mode, [needed knobs]):\n",
		nc);
	for (size_t i = 0; i < nc && i < CLUSTERS_SHOWN; i++)
		fprintf(f, "  %-66s %8" PRIu64 " hits %4zu bucket%s  e.g. %.*s/%s/case.case\n",
			c[i].key, c[i].hits, c[i].buckets, c[i].buckets == 1 ? " " : "s", outlen,
			out, c[i].example->dir);
	if (nc > CLUSTERS_SHOWN)
		fprintf(f, "  ... and %zu more clusters (stats.jsonl has the top %d)\n",
			nc - CLUSTERS_SHOWN, CLUSTERS_IN_JSON);
	free(c);
}

void camp_summary(FILE *f, const struct camp_state *s, const char *out, double secs)
{
	uint64_t run = s->tot.execs - s->execs_at_start;
	fprintf(f, "campaign summary: %" PRIu64 " execs this run in %.1f s (%.0f execs/s), "
		"%" PRIu64 " in total on %s\n", run, secs, secs > 0 ? run / secs : 0.0,
		s->tot.execs, out);
	/* Known hits are not a part of diverge: kernel-log lines and
	 * hypervisor failures the known list names count there too. */
	fprintf(f, "  agree %" PRIu64 ", diverge %" PRIu64 ", known-list hits %" PRIu64 ", unsupported %" PRIu64
		" (%.1f%%), unconfirmed %" PRIu64 ", executor failures %" PRIu64 " (hypervisor %" PRIu64
		"), recoveries %" PRIu64 ", worker crashes %" PRIu64 ", worker restarts %" PRIu64 "\n",
		s->tot.agree, s->tot.diverge, camp_known_hits(s), s->tot.unsupported,
		100.0 * unsup_rate(s), s->tot.unconfirmed, s->tot.exec_failures, s->tot.hv_failures,
		s->tot.recoveries, s->crashes, s->health.restarts);
	fprintf(f, "  host kernel log: %" PRIu64 " finding line(s) attributed to cases, %" PRIu64
		" not reproduced by a re-run, %" PRIu64 " naming other processes, %" PRIu64
		" suppressed by the kernel's rate limit\n", s->tot.kmsg_findings, s->tot.kmsg_unattributed,
		s->tot.kmsg_foreign, s->tot.kmsg_suppressed);
	size_t idx[5], nt = top5(s, idx);
	if (nt) {
		fprintf(f, "  unsupported top:");
		for (size_t i = 0; i < nt; i++)
			fprintf(f, " %s (%" PRIu64 ")", s->unsup[idx[i]].name, s->unsup[idx[i]].n);
		fputc('\n', f);
	}
	fprintf(f, "  reference reached %zu distinct mnemonics\n", s->nreached);
	fprintf(f, "  %-13s %9s %8s %8s %8s %8s %8s  %s\n", "lane", "execs", "agree%", "diverge%",
		"unsup%", "modeled%", "buckets", "top unsupported");
	for (unsigned l = 0; l < LANE_COUNT; l++) {
		const struct camp_lane_counts *lc = &s->tot.lane[l];
		if (!lc->execs)
			continue;
		uint64_t ran = lc->execs - lc->exec_failures;
		size_t li[5], lt = top5_of(s->lunsup[l], s->nlunsup[l], li);
		fprintf(f, "  %-13s %9" PRIu64 " %8.2f %8.2f %8.2f %8.2f %8zu ", gen_lane_name((enum gen_lane)l),
			lc->execs, 100.0 * ratio(lc->agree, ran), 100.0 * ratio(lc->diverge, ran),
			100.0 * ratio(lc->unsupported, ran), 100.0 * ratio(lc->steps, lc->steps + lc->unsupported),
			lane_buckets(s, l));
		for (size_t i = 0; i < lt && i < 3; i++)
			fprintf(f, " %s (%" PRIu64 ")", s->lunsup[l][li[i]].name, s->lunsup[l][li[i]].n);
		fputc('\n', f);
	}
	struct camp_bucket *sorted = malloc((s->nb ? s->nb : 1) * sizeof(*sorted));
	if (!sorted)
		return;
	memcpy(sorted, s->b, s->nb * sizeof(*sorted));
	qsort(sorted, s->nb, sizeof(*sorted), by_hits);
	/* The most-hit first; a long tail is only counted: every bucket is
	 * under OUT/buckets/ and in stats.jsonl. */
	enum { SHOW_NEW = 40, SHOW_KNOWN = 15 };
	size_t nn = camp_buckets_new(s), nk = 0, shown = 0;
	for (size_t i = 0; i < s->nb; i++)
		nk += s->b[i].known;
	/* OUT as given may end in '/': paths are printed without "//". */
	int outlen = (int)strlen(out);
	while (outlen > 1 && out[outlen - 1] == '/')
		outlen--;
	print_clusters(f, s, outlen, out);
	fprintf(f, "buckets (%zu new):\n", nn);
	for (size_t i = 0; i < s->nb && shown < SHOW_NEW; i++)
		if (!sorted[i].known && sorted[i].dir[0]) {
			fprintf(f, "  %-60s %10" PRIu64 "  %.*s/%s/case.case\n", sorted[i].sig,
				sorted[i].hits, outlen, out, sorted[i].dir);
			shown++;
		}
	if (nn > shown)
		fprintf(f, "  ... and %zu more new buckets under %.*s/buckets/\n", nn - shown,
			outlen, out);
	size_t unsaved = camp_buckets_unsaved(s);
	if (unsaved) {
		fprintf(f, "  %zu more signatures were hit but their case was not saved; not counted "
			"as buckets:", unsaved);
		for (size_t i = 0, k = 0; i < s->nb && k < 5; i++)
			if (!sorted[i].known && !sorted[i].dir[0] && k++ < 5)
				fprintf(f, " %s", sorted[i].sig);
		fputc('\n', f);
	}
	if (nk) {
		fprintf(f, "known divergences hit (%zu signatures):\n", nk);
		shown = 0;
		for (size_t i = 0; i < s->nb && shown < SHOW_KNOWN; i++)
			if (sorted[i].known) {
				fprintf(f, "  %-60s %10" PRIu64 "\n", sorted[i].sig, sorted[i].hits);
				shown++;
			}
		if (nk > shown)
			fprintf(f, "  ... and %zu more known signatures\n", nk - shown);
		if (s->known_other)
			fprintf(f, "  ... and %" PRIu64 " hits on further known signatures (past %d "
				"the parent sums them instead of keeping each)\n", s->known_other,
				CAMP_KNOWN_KEYS_MAX);
	}
	free(sorted);
	/* Last: an unhealthy run ends with its warning. */
	camp_health_summary(f, s);
}
