/*
 * The campaign's files. Only the parent writes here, and every file is
 * written to a temporary name and renamed, so a reader (or a resume after
 * kill -9) sees each file whole or not at all. A bucket's `hits` file is
 * written last: it is what marks the bucket as complete.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "camp_internal.h"
#include "file_io.h"
#include "case_text.h"
#include "host.h"
#include "knobs.h"

#define STATE_MAGIC "exitdiff-campaign-state 1"


static int mkdir_ok(const char *path, char *err, size_t errlen)
{
	if (mkdir(path, 0777) < 0 && errno != EEXIST) {
		snprintf(err, errlen, "cannot create %s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

int camp_store_init(const char *out, char *err, size_t errlen)
{
	char p[4096];
	if (mkdir_ok(out, err, errlen) < 0)
		return -1;
	snprintf(p, sizeof(p), "%s/buckets", out);
	if (mkdir_ok(p, err, errlen) < 0)
		return -1;
	snprintf(p, sizeof(p), "%s/crashes", out);
	if (mkdir_ok(p, err, errlen) < 0)
		return -1;
	if (access(out, W_OK | X_OK) < 0) {
		snprintf(err, errlen, "cannot write to %s: %s", out, strerror(errno));
		return -1;
	}
	return 0;
}

/* A missing or unreadable file reads as absent (NULL). */
static char *slurp(const char *path, size_t *len)
{
	char *buf, err[16];
	return file_read_all(path, 0, &buf, len, err, sizeof(err)) == 0 ? buf : NULL;
}

/* A bucket directory without its hits file is one whose writing a kill -9
 * interrupted: nothing counted it, so it goes (its files are ours, written
 * in the order case.case, kvm-outcome.txt, hits, each via a .tmp name),
 * and the signature makes a new one if it comes again. The directory is
 * kept when it holds anything else. */
static void remove_partial_bucket(const char *out, const char *name)
{
	static const char *const files[] = {
		"case.case", "case.case.tmp", "kvm-outcome.txt", "kvm-outcome.txt.tmp", "hits.tmp",
	};
	char p[4096];
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(p, sizeof(p), "%s/buckets/%s/%s", out, name, files[i]);
		unlink(p);
	}
	snprintf(p, sizeof(p), "%s/buckets/%s", out, name);
	if (rmdir(p) == 0)
		fprintf(stderr, "exitdiff fuzz: removed %s: an interrupted bucket (no hits file)\n", p);
}

/* "needs MODE KNOB KNOB..." or "carries ...": the environment line of a
 * hits file (write_hits). */
static void parse_env(char *line, struct camp_bucket *env)
{
	env->env_minimized = line[0] == 'n';
	char *save, *tok = strtok_r(strchr(line, ' '), " ", &save);
	for (unsigned m = 0; tok && m < MODE_COUNT; m++)
		if (!strcmp(tok, mode_name((enum cpu_mode)m))) {
			env->mode = m;
			env->env_known = 1;
		}
	while (tok && (tok = strtok_r(NULL, " ", &save))) {
		const struct knob_def *k = knob_by_name(tok);
		if (k)
			env->knobs |= k->bit;
	}
}

/* Loads one bucket from OUT/buckets/NAME/hits; a bucket counts only when
 * its case, KVM outcome and hits are all there. */
static void load_bucket(const char *out, const char *name, struct camp_state *s)
{
	char p[4096];
	size_t len;
	snprintf(p, sizeof(p), "%s/buckets/%s/case.case", out, name);
	int has_case = access(p, R_OK) == 0;
	snprintf(p, sizeof(p), "%s/buckets/%s/kvm-outcome.txt", out, name);
	int has_kvm = access(p, R_OK) == 0;
	snprintf(p, sizeof(p), "%s/buckets/%s/hits", out, name);
	char *t = has_case && has_kvm ? slurp(p, &len) : NULL;
	if (!t) {
		remove_partial_bucket(out, name);
		return;
	}
	char sig[SIGNATURE_MAX] = "";
	uint64_t hits = 0, seed = 0;
	struct camp_bucket env = { .mode = 0 };
	for (char *line = strtok(t, "\n"); line; line = strtok(NULL, "\n")) {
		if (!strncmp(line, "signature ", 10))
			snprintf(sig, sizeof(sig), "%s", line + 10);
		else if (!strncmp(line, "hits ", 5))
			hits = strtoull(line + 5, NULL, 0);
		else if (!strncmp(line, "seed ", 5))
			seed = strtoull(line + 5, NULL, 0);
		else if (!strncmp(line, "needs ", 6) || !strncmp(line, "carries ", 8))
			parse_env(line, &env);
	}
	free(t);
	if (!sig[0] || camp_bucket_find(s, sig))
		return;
	struct camp_bucket *b = camp_bucket_add(s, sig, 0);
	if (!b)
		return;
	b->hits = hits;
	b->seed = seed;
	b->mode = env.mode;
	b->knobs = env.knobs;
	b->env_known = env.env_known;
	b->env_minimized = env.env_minimized;
	b->announced = 1;
	snprintf(b->dir, sizeof(b->dir), "buckets/%.200s", name);
}

static int lane_by_name(const char *n)
{
	for (int l = 0; l < LANE_COUNT; l++)
		if (!strcmp(n, gen_lane_name((enum gen_lane)l)))
			return l;
	return -1;
}

/* "lane LANE FIELD N", "fam LANE FAMILY FIELD N", "lane_unsup LANE NAME N":
 * the per-lane counters (camp_store_flush). Returns 1 when line was one. */
static int load_lane_line(const char *line, struct camp_state *s)
{
	char k[32], ln[32], a[64], b[32];
	unsigned long long v;
	int n = sscanf(line, "%31s %31s %63s %31s %llu", k, ln, a, b, &v);
	int l = n >= 4 ? lane_by_name(ln) : -1;
	if (l < 0)
		return 0;
	if (n == 4 && !strcmp(k, "lane")) {
		v = strtoull(b, NULL, 10);
		for (unsigned i = 0; i < CAMP_LANE_FIELDS; i++)
			if (!strcmp(a, camp_lane_field_names[i]))
				((uint64_t *)&s->tot.lane[l])[i] = v;
		return 1;
	}
	if (n == 4 && !strcmp(k, "lane_unsup")) {
		camp_names_add(&s->lunsup[l], &s->nlunsup[l], &s->caplunsup[l], a,
			       strtoull(b, NULL, 10));
		return 1;
	}
	if (n == 5 && !strcmp(k, "fam")) {
		for (unsigned f = 0; f < FAM_COUNT; f++)
			if (!strcmp(a, gen_family_name(f)))
				for (unsigned i = 0; i < CAMP_FAM_FIELDS; i++)
					if (!strcmp(b, camp_fam_field_names[i]))
						((uint64_t *)&s->tot.fam[l][f])[i] = v;
		return 1;
	}
	return 0;
}

int camp_store_load(const char *out, struct camp_state *s, char *err, size_t errlen)
{
	char p[4096];
	size_t len;
	snprintf(p, sizeof(p), "%s/state", out);
	char *t = slurp(p, &len);
	if (t) {
		if (strncmp(t, STATE_MAGIC "\n", strlen(STATE_MAGIC) + 1)) {
			snprintf(err, errlen, "%s:1: not a campaign state file (want '%s')", p, STATE_MAGIC);
			free(t);
			return -1;
		}
		struct camp_counts *c = &s->tot;
		struct { const char *key; uint64_t *v; } nums[] = {
			{ "execs", &c->execs }, { "agree", &c->agree }, { "diverge", &c->diverge },
			{ "unsupported", &c->unsupported }, { "known", &c->known },
			{ "exec_failures", &c->exec_failures }, { "crashes", &s->crashes },
			{ "unconfirmed", &c->unconfirmed }, { "hv_failures", &c->hv_failures },
			{ "recoveries", &c->recoveries }, { "kmsg_findings", &c->kmsg_findings },
			{ "kmsg_unattributed", &c->kmsg_unattributed }, { "kmsg_foreign", &c->kmsg_foreign },
			{ "kmsg_suppressed", &c->kmsg_suppressed }, { "known_other", &s->known_other },
		};
		char *save;
		for (char *line = strtok_r(t, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
			char k[64], a[SIGNATURE_MAX];
			unsigned long long v;
			double d;
			if (sscanf(line, "elapsed %lf", &d) == 1) {
				s->elapsed_before = d;
				continue;
			}
			if (load_lane_line(line, s))
				continue;
			if (sscanf(line, "%63s %127s %llu", k, a, &v) == 3) {
				int kind = exit_kind_from_name(a);
				if (!strcmp(k, "exits_ref") && kind >= 0)
					c->exits_ref[kind] = v;
				else if (!strcmp(k, "exits_kvm") && kind >= 0)
					c->exits_kvm[kind] = v;
				else if (!strcmp(k, "known_hit"))
					camp_known_hit(s, a, v);
				else if (!strcmp(k, "unsupported_mnemonic"))
					camp_names_add(&s->unsup, &s->nunsup, &s->capunsup, a, v);
				continue;
			}
			if (sscanf(line, "reached %31s", a) == 1) {
				camp_names_add(&s->reached, &s->nreached, &s->capreached, a, 0);
				continue;
			}
			if (sscanf(line, "%63s %llu", k, &v) == 2)
				for (size_t i = 0; i < sizeof(nums) / sizeof(nums[0]); i++)
					if (!strcmp(k, nums[i].key))
						*nums[i].v = v;
		}
		free(t);
	}
	snprintf(p, sizeof(p), "%s/buckets", out);
	DIR *d = opendir(p);
	if (d) {
		struct dirent *e;
		while ((e = readdir(d)))
			if (e->d_name[0] != '.')
				load_bucket(out, e->d_name, s);
		closedir(d);
	}
	return 0;
}

/* Directory name of a signature: the signature with anything but
 * [A-Za-z0-9._-] turned into '_', then a hash of the exact signature, so
 * two signatures that sanitize alike still get two directories. */
static void bucket_dirname(const char *sig, char *buf, size_t len)
{
	uint32_t h = 2166136261u;
	for (const char *p = sig; *p; p++)
		h = (h ^ (uint8_t)*p) * 16777619u;
	char clean[96];
	size_t n = 0;
	for (const char *p = sig; *p && n < sizeof(clean) - 1; p++) {
		char ch = *p;
		int ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
			 (ch >= '0' && ch <= '9') || ch == '.' || ch == '-' || ch == '_';
		clean[n++] = ok ? ch : '_';
	}
	clean[n] = 0;
	snprintf(buf, len, "%s-%08x", clean, h);
}

int camp_store_bucket_saved(const char *out, const char *sig)
{
	char name[160], p[4096];
	struct stat sb;
	if (!out)
		return 0;
	bucket_dirname(sig, name, sizeof(name));
	snprintf(p, sizeof(p), "%s/buckets/%s/hits", out, name);
	return stat(p, &sb) == 0;
}

static int write_hits(const char *out, const struct camp_bucket *b, char *err, size_t errlen)
{
	char p[4096], text[768], kn[128];
	snprintf(p, sizeof(p), "%s/%s/hits", out, b->dir);
	int n = snprintf(text, sizeof(text), "signature %s\nhits %" PRIu64 "\nseed 0x%016" PRIx64
			 "\ncase case.case\n", b->sig, b->hits, b->seed);
	/* The saved case's environment: "needs" when the minimizer showed
	 * every knob left is needed, else just what the case carries. */
	if (b->env_known)
		n += snprintf(text + n, sizeof(text) - (size_t)n, "%s %s %s\n",
			      b->env_minimized ? "needs" : "carries",
			      mode_name((enum cpu_mode)b->mode), knobs_format(b->knobs, kn, sizeof(kn)));
	return file_write_atomic(p, text, (size_t)n, err, errlen);
}

int camp_store_new_bucket(const char *out, struct camp_bucket *b, const char *case_text,
			  size_t len1, const char *kvm_text, size_t len2,
			  char *err, size_t errlen)
{
	char name[160], p[4096];
	bucket_dirname(b->sig, name, sizeof(name));
	snprintf(b->dir, sizeof(b->dir), "buckets/%.200s", name);
	snprintf(p, sizeof(p), "%s/%s", out, b->dir);
	if (mkdir_ok(p, err, errlen) < 0)
		goto fail;
	snprintf(p, sizeof(p), "%s/%s/case.case", out, b->dir);
	if (file_write_atomic(p, case_text, len1, err, errlen) < 0)
		goto fail;
	snprintf(p, sizeof(p), "%s/%s/kvm-outcome.txt", out, b->dir);
	if (file_write_atomic(p, kvm_text, len2, err, errlen) < 0)
		goto fail;
	b->dirty = 0;
	if (write_hits(out, b, err, errlen) < 0)
		goto fail;
	return 0;
fail:
	/* Not saved: not a bucket (camp_buckets_new counts saved ones). */
	b->dir[0] = 0;
	return -1;
}

int camp_store_flush(const char *out, struct camp_state *s, double elapsed,
		     char *err, size_t errlen)
{
	for (size_t i = 0; i < s->nb; i++) {
		struct camp_bucket *b = &s->b[i];
		if (!b->dirty || b->known || !b->dir[0])
			continue;
		if (write_hits(out, b, err, errlen) < 0)
			return -1;
		b->dirty = 0;
	}
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	if (!f) {
		snprintf(err, errlen, "open_memstream: %s", strerror(errno));
		return -1;
	}
	const struct camp_counts *c = &s->tot;
	fprintf(f, STATE_MAGIC "\nexecs %" PRIu64 "\nagree %" PRIu64 "\ndiverge %" PRIu64
		"\nunsupported %" PRIu64 "\nknown %" PRIu64 "\nexec_failures %" PRIu64
		"\ncrashes %" PRIu64 "\nunconfirmed %" PRIu64 "\nhv_failures %" PRIu64 "\nrecoveries %" PRIu64
		"\nkmsg_findings %" PRIu64 "\nkmsg_unattributed %" PRIu64 "\nkmsg_foreign %" PRIu64
		"\nkmsg_suppressed %" PRIu64 "\nknown_other %" PRIu64 "\nelapsed %.3f\n", c->execs,
		c->agree, c->diverge, c->unsupported, c->known, c->exec_failures, s->crashes,
		c->unconfirmed, c->hv_failures, c->recoveries, c->kmsg_findings, c->kmsg_unattributed,
		c->kmsg_foreign, c->kmsg_suppressed, s->known_other, elapsed);
	for (int i = 0; i < EXIT_KIND_COUNT; i++) {
		if (c->exits_ref[i])
			fprintf(f, "exits_ref %s %" PRIu64 "\n", exit_kind_name((enum exit_kind)i), c->exits_ref[i]);
		if (c->exits_kvm[i])
			fprintf(f, "exits_kvm %s %" PRIu64 "\n", exit_kind_name((enum exit_kind)i), c->exits_kvm[i]);
	}
	for (size_t i = 0; i < s->nb; i++)
		if (s->b[i].known)
			fprintf(f, "known_hit %s %" PRIu64 "\n", s->b[i].sig, s->b[i].hits);
	/* Mnemonics may hold spaces ("rep movsb"): stored with '_' there. */
	for (size_t i = 0; i < s->nunsup; i++) {
		char nm[32];
		snprintf(nm, sizeof(nm), "%s", s->unsup[i].name);
		for (char *q = nm; *q; q++)
			if (*q == ' ')
				*q = '_';
		fprintf(f, "unsupported_mnemonic %s %" PRIu64 "\n", nm, s->unsup[i].n);
	}
	for (unsigned l = 0; l < LANE_COUNT; l++) {
		const char *ln = gen_lane_name((enum gen_lane)l);
		const uint64_t *lv = (const uint64_t *)&c->lane[l];
		for (unsigned i = 0; i < CAMP_LANE_FIELDS; i++)
			if (lv[i])
				fprintf(f, "lane %s %s %" PRIu64 "\n", ln, camp_lane_field_names[i], lv[i]);
		for (unsigned fa = 0; fa < FAM_COUNT; fa++) {
			const uint64_t *fv = (const uint64_t *)&c->fam[l][fa];
			for (unsigned i = 0; i < CAMP_FAM_FIELDS; i++)
				if (fv[i])
					fprintf(f, "fam %s %s %s %" PRIu64 "\n", ln, gen_family_name(fa),
						camp_fam_field_names[i], fv[i]);
		}
		for (size_t i = 0; i < s->nlunsup[l]; i++) {
			char nm[32];
			snprintf(nm, sizeof(nm), "%s", s->lunsup[l][i].name);
			for (char *q = nm; *q; q++)
				if (*q == ' ')
					*q = '_';
			fprintf(f, "lane_unsup %s %s %" PRIu64 "\n", ln, nm, s->lunsup[l][i].n);
		}
	}
	for (size_t i = 0; i < s->nreached; i++) {
		char nm[32];
		snprintf(nm, sizeof(nm), "%s", s->reached[i].name);
		for (char *q = nm; *q; q++)
			if (*q == ' ')
				*q = '_';
		fprintf(f, "reached %s\n", nm);
	}
	fclose(f);
	char p[4096];
	snprintf(p, sizeof(p), "%s/state", out);
	int rc = file_write_atomic(p, text, len, err, errlen);
	free(text);
	return rc;
}

int camp_store_crash(const char *out, const struct test_case *c, const char *why,
		     char *path, size_t pathlen, char *err, size_t errlen)
{
	static struct case_file cf;
	memset(&cf, 0, sizeof(cf));
	cf.c = *c;
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	if (!f) {
		snprintf(err, errlen, "open_memstream: %s", strerror(errno));
		return -1;
	}
	fprintf(f, "# exitdiff fuzz: %s\n", why);
	case_print(f, &cf);
	fclose(f);
	snprintf(path, pathlen, "%s/crashes/%s.case", out, c->id);
	int rc = file_write_atomic(path, text, len, err, errlen);
	free(text);
	return rc;
}

/* Appends text (whole lines) to OUT/name in one write() with O_APPEND:
 * a kill -9 leaves whole lines only. */
static int append_line(const char *out, const char *name, const char *text, size_t len)
{
	char p[4096];
	snprintf(p, sizeof(p), "%s/%s", out, name);
	int fd = open(p, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	int rc = -1;
	if (fd >= 0) {
		rc = write(fd, text, len) == (ssize_t)len ? 0 : -1;
		close(fd);
	}
	return rc;
}

int camp_store_stats_line(const char *out, struct camp_state *s, double t,
			  double rate, unsigned workers)
{
	char *text = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&text, &len);
	if (!m)
		return -1;
	camp_stats_json(m, s, t, rate, workers);
	fclose(m);
	int rc = append_line(out, "stats.jsonl", text, len);
	free(text);
	if (rc == 0)
		for (size_t i = 0; i < s->nb; i++)
			if (s->b[i].dir[0])
				s->b[i].announced = 1;
	return rc;
}

int camp_store_run_line(const char *out, const struct campaign_opts *o, double elapsed_before)
{
	char *text = NULL, host[256] = "", env[512] = "";
	size_t len = 0;
	FILE *m = open_memstream(&text, &len);
	if (!m)
		return -1;
	if (gethostname(host, sizeof(host) - 1) < 0)
		snprintf(host, sizeof(host), "unknown");
	struct environment_info ei = { .kernel = "" };
	environment_from_host(&ei);
	environment_format(&ei, env, sizeof(env));
	fprintf(m, "{\"unix\":%lld,\"time\":%.1f,\"host\":", (long long)time(NULL), elapsed_before);
	camp_json_str(m, host);
	fputs(",\"kernel\":", m);
	camp_json_str(m, ei.kernel);
	fputs(",\"backend\":", m);
	camp_json_str(m, ei.backend);
	fputs(",\"vendor\":", m);
	camp_json_str(m, ei.vendor);
	fputs(",\"cpu\":", m);
	camp_json_str(m, ei.cpu);
	fputs(",\"env\":", m);
	camp_json_str(m, env);
	/* The seed as a string: a JSON number is a double to most readers,
	 * and a 64-bit seed must come back exactly. */
	fprintf(m, ",\"jobs\":%u,\"seed\":\"%" PRIu64 "\",\"generator\":", o->jobs, o->seed);
	camp_json_str(m, o->gen ? o->gen->name : "");
	fprintf(m, ",\"seconds\":%.1f,\"execs\":%" PRIu64 ",\"stats_period\":%.1f,\"known\":",
		o->seconds, o->execs, o->stats_period);
	camp_json_str(m, o->known_path ? o->known_path : "");
	fputs(",\"against\":", m);
	camp_json_str(m, o->against ? o->against : "kvm");
	fputs(",\"command\":", m);
	camp_json_str(m, o->cmdline ? o->cmdline : "");
	fputs("}\n", m);
	fclose(m);
	int rc = append_line(out, "runs.jsonl", text, len);
	free(text);
	return rc;
}
