/* The known-divergence list (format in known.h). Looked up when a
 * campaign meets a signature it has not met before (hundreds a second
 * early on): a linear scan over the packed heads (struct known_head), a
 * pattern matched only where its literal head does. */
/* memmem */
#define _GNU_SOURCE
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cluster.h"
#include "known.h"
#include "file_io.h"
#include "knobs.h"
#include "host.h"

static int is_space(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r';
}

/* fnmatch(p, s, 0) for a pattern of literal bytes, '*' and '?' (the
 * list's patterns, "*" + "/" + KVM's side mostly): glibc's fnmatch, made
 * for locales and brackets, took 60% of a lookup. A '*' that fails is
 * retried one byte further on. */
static int glob_match(const char *p, const char *s)
{
	const char *star = NULL, *resume = NULL;
	while (*s) {
		if (*p == '?' || (*p != '*' && *p == *s)) {
			p++;
			s++;
		} else if (*p == '*') {
			star = p++;
			resume = s;
		} else if (star) {
			p = star + 1;
			s = ++resume;
		} else {
			return 0;
		}
	}
	while (*p == '*')
		p++;
	return !*p;
}

/* s (n bytes) matches e's pattern. Most keys lack the pattern's longest
 * literal run, which memmem finds out faster than matching would (each
 * '*' retried at every byte: 7 us a lookup over the list's patterns). */
static int entry_matches(const struct known_entry *e, const char *s, size_t n)
{
	if (e->seg_len && !memmem(s, n, e->sig + e->seg, e->seg_len))
		return 0;
	return e->brackets ? fnmatch(e->sig, s, 0) == 0 : glob_match(e->sig, s);
}

/* e->seg and e->seg_len: its longest run without * ? [ \; none for a
 * pattern with brackets or escapes, whose runs are not all literal. */
static void longest_literal(struct known_entry *e)
{
	size_t best = 0, best_len = 0;
	for (size_t i = 0; !e->brackets && e->sig[i];) {
		size_t n = strcspn(e->sig + i, "*?[\\");
		if (n > best_len)
			best = i, best_len = n;
		i += n ? n : 1;
	}
	e->seg = (uint16_t)best;
	e->seg_len = (uint16_t)best_len;
}

/* The hash of a head of n bytes, one byte at a time (FNV-1a), so a key's
 * heads of every length come from one pass (key_heads). */
#define HEAD_BASIS 2166136261u
static uint32_t head_step(uint32_t h, char ch)
{
	return (h ^ (uint8_t)ch) * 16777619u;
}

/* The hashes of key's first 0..n bytes into h[]; n = its length, at most
 * KNOWN_HEAD_MAX. */
static size_t key_heads(const char *key, uint32_t h[KNOWN_HEAD_MAX + 1])
{
	size_t n = strnlen(key, KNOWN_HEAD_MAX);
	h[0] = HEAD_BASIS;
	for (size_t i = 0; i < n; i++)
		h[i + 1] = head_step(h[i], key[i]);
	return n;
}

/* Whether head hd can match a key whose heads key_heads gave. */
static int head_fits(const struct known_head *hd, const uint32_t *h, size_t n)
{
	return hd->len <= n && h[hd->len] == hd->hash;
}

static int add(struct known_list *k, const struct known_entry *e)
{
	if (k->n == k->cap) {
		size_t cap = k->cap ? 2 * k->cap : 16;
		struct known_entry *ne = realloc(k->e, cap * sizeof(*ne));
		if (!ne)
			return -1;
		k->e = ne;
		struct known_head *nh = realloc(k->head, cap * sizeof(*nh));
		if (!nh)
			return -1;
		k->head = nh;
		k->cap = cap;
	}
	struct known_head *hd = &k->head[k->n];
	hd->len = e->lit < KNOWN_HEAD_MAX ? e->lit : KNOWN_HEAD_MAX;
	hd->hash = HEAD_BASIS;
	for (unsigned i = 0; i < hd->len; i++)
		hd->hash = head_step(hd->hash, e->sig[i]);
	k->e[k->n++] = *e;
	return 0;
}

/* "vendor=NAME", "backend=MODULE" or "vmm=NAME" into e: 1 when name is
 * one, 0 when not (a knob then), -1 with a message when its value is bad. */
static int host_condition(const char *name, struct known_entry *e, char *err, size_t errlen)
{
	if (!strncmp(name, "vmm=", 4)) {
		if (!name[4] || strlen(name + 4) >= sizeof(e->vmm)) {
			snprintf(err, errlen, "bad vmm '%s' (want a VMM executor's name: qemu-tcg)",
				 name + 4);
			return -1;
		}
		snprintf(e->vmm, sizeof(e->vmm), "%s", name + 4);
		return 1;
	}
	if (!strncmp(name, "vendor=", 7)) {
		int v = vendor_from_name(name + 7);
		if (v < 0) {
			snprintf(err, errlen, "unknown vendor '%s' (want intel or amd)", name + 7);
			return -1;
		}
		e->vendor = v;
		return 1;
	}
	if (!strncmp(name, "backend=", 8)) {
		if (!name[8] || strlen(name + 8) >= sizeof(e->backend)) {
			snprintf(err, errlen, "bad backend '%s' (want a KVM module name: kvm_pvm, kvm_intel, kvm_amd)",
				 name + 8);
			return -1;
		}
		snprintf(e->backend, sizeof(e->backend), "%s", name + 8);
		return 1;
	}
	return 0;
}

/* The knob names of a cluster key's "[k1,k2]" part (text..end) into
 * *knobs; "none", "?" and "*" add nothing (any case). 0, or -1 with a
 * message. */
static int cluster_knobs(const char *text, size_t len, uint32_t *knobs, char *err, size_t errlen)
{
	for (size_t a = 0; a < len;) {
		size_t b = a;
		while (b < len && text[b] != ',')
			b++;
		char name[32];
		if (b - a >= sizeof(name)) {
			snprintf(err, errlen, "unknown knob '%.*s' in a cluster key", (int)(b - a), text + a);
			return -1;
		}
		memcpy(name, text + a, b - a);
		name[b - a] = 0;
		if (strcmp(name, "none") && strcmp(name, "?") && strcmp(name, "*")) {
			const struct knob_def *d = knob_by_name(name);
			if (!d) {
				snprintf(err, errlen, "unknown knob '%s' in a cluster key", name);
				return -1;
			}
			*knobs |= d->bit;
		}
		a = b + 1;
	}
	return 0;
}

/* "{REF/KVM CLASS FAMILY MODE [KNOBS]}" from s[*i] (at the '{') into e:
 * the four fields, single-spaced, as e->sig; the knob part into *knobs.
 * 0, or -1 with a message. */
static int parse_cluster(const char *s, size_t len, size_t *i, struct known_entry *e,
			 uint32_t *knobs, char *err, size_t errlen)
{
	const char *open = s + *i + 1, *close = memchr(open, '}', len - *i - 1);
	if (!close) {
		snprintf(err, errlen, "unclosed '{' (want: {REF/KVM CLASS FAMILY MODE [KNOBS]}  reason)");
		return -1;
	}
	*i = (size_t)(close - s) + 1;
	const char *end = close;
	while (end > open && is_space(end[-1]))
		end--;
	if (end > open && end[-1] == ']') {
		const char *lb = end - 1;
		while (lb > open && *lb != '[')
			lb--;
		if (*lb != '[') {
			snprintf(err, errlen, "a cluster key's knobs want [...]");
			return -1;
		}
		if (cluster_knobs(lb + 1, (size_t)(end - 1 - (lb + 1)), knobs, err, errlen) < 0)
			return -1;
		end = lb;
	}
	/* The fields, single-spaced: the summary pads nothing inside a key,
	 * but a hand-written line may. */
	size_t n = 0;
	unsigned fields = 0;
	int stars_only = 1;
	for (const char *p = open; p < end;) {
		while (p < end && is_space(*p))
			p++;
		if (p == end)
			break;
		if (fields++ && n < sizeof(e->sig) - 1)
			e->sig[n++] = ' ';
		for (; p < end && !is_space(*p); p++) {
			if ((unsigned char)*p < 0x21 || (unsigned char)*p > 0x7e) {
				snprintf(err, errlen, "cluster key has a non-printable character");
				return -1;
			}
			stars_only &= *p == '*';
			if (n < sizeof(e->sig) - 1)
				e->sig[n++] = *p;
		}
	}
	e->sig[n] = 0;
	if (fields != 4) {
		snprintf(err, errlen, "a cluster key has 4 fields before its knobs, REF/KVM CLASS "
			 "FAMILY MODE (got %u)", fields);
		return -1;
	}
	if (stars_only) {
		snprintf(err, errlen, "a cluster key of '*' alone would match every divergence");
		return -1;
	}
	e->cluster = 1;
	e->prefix = strchr(e->sig, '*') != NULL;
	return 0;
}

/* Parses one line (no newline). Returns 0 (entry filled, or *empty set for
 * a blank/comment line) or -1 with a message (no location) in err. */
static int parse_line(const char *s, size_t len, struct known_entry *e, int *empty,
		      char *err, size_t errlen)
{
	size_t i = 0;
	*empty = 0;
	while (i < len && is_space(s[i]))
		i++;
	if (i == len || s[i] == '#') {
		*empty = 1;
		return 0;
	}
	uint32_t knobs = 0;
	memset(e, 0, sizeof(*e));
	if (s[i] == '[') {
		/* [knob,knob]: the entry holds only for cases with them. */
		size_t k0 = ++i;
		while (i < len && s[i] != ']' && !is_space(s[i]))
			i++;
		if (i == len || s[i] != ']') {
			snprintf(err, errlen, "unclosed '[' (want: [KNOB,KNOB] SIGNATURE  reason)");
			return -1;
		}
		for (size_t a = k0; a < i;) {
			size_t b = a;
			while (b < i && s[b] != ',')
				b++;
			char name[32];
			const struct knob_def *d = NULL;
			if (b - a < sizeof(name)) {
				memcpy(name, s + a, b - a);
				name[b - a] = 0;
				int host = host_condition(name, e, err, errlen);
				if (host < 0)
					return -1;
				if (host) {
					a = b + 1;
					continue;
				}
				d = knob_by_name(name);
			}
			if (!d) {
				snprintf(err, errlen, "unknown knob '%.*s' in [...]", (int)(b - a), s + a);
				return -1;
			}
			knobs |= d->bit;
			a = b + 1;
		}
		if (!knobs && !e->vendor && !e->backend[0] && !e->vmm[0]) {
			snprintf(err, errlen, "empty [] (name at least one knob or host condition)");
			return -1;
		}
		i++;
		while (i < len && is_space(s[i]))
			i++;
	}
	if (i < len && s[i] == '{') {
		if (parse_cluster(s, len, &i, e, &knobs, err, errlen) < 0)
			return -1;
		while (i < len && is_space(s[i]))
			i++;
		size_t end = len;
		while (end > i && is_space(s[end - 1]))
			end--;
		if (i == end) {
			snprintf(err, errlen, "cluster '{%s}' has no reason (want: {KEY}  reason)", e->sig);
			return -1;
		}
		e->knobs = knobs;
		size_t rl = end - i < sizeof(e->reason) - 1 ? end - i : sizeof(e->reason) - 1;
		memcpy(e->reason, s + i, rl);
		return 0;
	}
	size_t sig0 = i;
	while (i < len && !is_space(s[i]))
		i++;
	if (i == sig0) {
		snprintf(err, errlen, "no signature after the knobs");
		return -1;
	}
	size_t siglen = i - sig0;
	if (siglen >= SIGNATURE_MAX) {
		snprintf(err, errlen, "signature longer than %d characters", SIGNATURE_MAX - 1);
		return -1;
	}
	for (size_t j = sig0; j < i; j++)
		if ((unsigned char)s[j] < 0x21 || (unsigned char)s[j] > 0x7e) {
			snprintf(err, errlen, "signature has a non-printable character");
			return -1;
		}
	while (i < len && is_space(s[i]))
		i++;
	size_t end = len;
	while (end > i && is_space(s[end - 1]))
		end--;
	if (i == end) {
		snprintf(err, errlen, "signature '%.*s' has no reason (want: SIGNATURE  reason)",
			 (int)siglen, s + sig0);
		return -1;
	}
	memcpy(e->sig, s + sig0, siglen);
	e->knobs = knobs;
	if (memchr(e->sig, '*', siglen)) {
		e->prefix = 1;
		if (siglen == 1) {
			snprintf(err, errlen, "a lone '*' would match every divergence");
			return -1;
		}
	}
	size_t rl = end - i < sizeof(e->reason) - 1 ? end - i : sizeof(e->reason) - 1;
	memcpy(e->reason, s + i, rl);
	return 0;
}

int known_parse(struct known_list *k, const char *text, size_t len,
		const char *filename, char *err, size_t errlen)
{
	unsigned line = 0;
	size_t pos = 0;
	while (pos < len) {
		line++;
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t ll = nl ? (size_t)(nl - (text + pos)) : len - pos;
		struct known_entry e;
		int empty;
		char msg[200];
		if (memchr(text + pos, 0, ll)) {
			snprintf(err, errlen, "%s:%u: NUL byte in line", filename, line);
			return -1;
		}
		if (parse_line(text + pos, ll, &e, &empty, msg, sizeof(msg)) < 0) {
			snprintf(err, errlen, "%s:%u: %s", filename, line, msg);
			return -1;
		}
		if (!empty) {
			for (size_t i = 0; i < k->n; i++)
				if (!strcmp(k->e[i].sig, e.sig) && k->e[i].knobs == e.knobs &&
				    k->e[i].cluster == e.cluster &&
				    k->e[i].vendor == e.vendor && !strcmp(k->e[i].backend, e.backend)) {
					snprintf(err, errlen, "%s:%u: signature '%s' already listed at line %u",
						 filename, line, e.sig, k->e[i].line);
					return -1;
				}
			e.line = line;
			e.len = (uint16_t)strlen(e.sig);
			e.lit = (uint16_t)strcspn(e.sig, "*?[\\");
			e.brackets = strpbrk(e.sig, "[\\") != NULL;
			longest_literal(&e);
			k->knob_entries += e.knobs != 0;
			if (add(k, &e) < 0) {
				snprintf(err, errlen, "%s:%u: out of memory", filename, line);
				return -1;
			}
		}
		pos += ll + (nl ? 1 : 0);
	}
	return 0;
}

int known_load(struct known_list *k, const char *path, char *err, size_t errlen)
{
	char *buf;
	size_t len;
	if (file_read_all(path, 0, &buf, &len, err, errlen) < 0)
		return -1;
	int rc = known_parse(k, buf, len, path, err, errlen);
	free(buf);
	return rc;
}

/* Whether e's conditions (knobs, host, VMM) hold for a case with knobs
 * here, in list k. */
static int holds(const struct known_list *k, const struct known_entry *e, uint32_t knobs)
{
	if (e->knobs & ~knobs)
		return 0;
	/* A VMM's entries are its own; the others describe KVM. */
	if (strcmp(e->vmm, k->vmm))
		return 0;
	/* Host conditions: the host this process runs on. */
	return !(e->vendor && e->vendor != (int)host_info()->vendor) &&
	       !(e->backend[0] && strcmp(e->backend, host_info()->backend));
}

/* The cluster entry for sig: the longest pattern matching its cluster
 * key's head (an unconditional entry before a conditional one of the
 * same length; exact heads count as longest). */
static const struct known_entry *find_cluster(const struct known_list *k, const char *sig,
					      uint32_t knobs)
{
	char head[160];
	if (cluster_key_head(sig, head, sizeof(head)) < 0)
		return NULL;
	const struct known_entry *best = NULL;
	size_t best_len = 0;
	uint32_t hh[KNOWN_HEAD_MAX + 1];
	size_t hn = key_heads(head, hh), head_len = strlen(head);
	for (size_t i = 0; i < k->n; i++) {
		if (!head_fits(&k->head[i], hh, hn))
			continue;
		const struct known_entry *e = &k->e[i];
		if (!e->cluster || strncmp(e->sig, head, e->lit) || !holds(k, e, knobs))
			continue;
		size_t pl = e->prefix ? e->len : (size_t)-1;
		if ((!best || pl > best_len || (pl == best_len && best->knobs && !e->knobs)) &&
		    entry_matches(e, head, head_len)) {
			best = e;
			best_len = pl;
		}
	}
	return best;
}

const struct known_entry *known_find_for(const struct known_list *k, const char *sig,
					 uint32_t knobs)
{
	const struct known_entry *best = NULL;
	size_t best_len = 0;
	uint32_t sh[KNOWN_HEAD_MAX + 1];
	size_t sn = key_heads(sig, sh), sig_len = strlen(sig);
	for (size_t i = 0; i < k->n; i++) {
		if (!head_fits(&k->head[i], sh, sn))
			continue;
		const struct known_entry *e = &k->e[i];
		if (e->cluster || strncmp(e->sig, sig, e->lit) || !holds(k, e, knobs))
			continue;
		if (!e->prefix) {
			if (!strcmp(e->sig, sig) && (!best || best->prefix || best->knobs))
				best = e, best_len = (size_t)-1;
			continue;
		}
		/* The longest matching pattern is the most specific one. */
		size_t pl = e->len;
		if (best_len != (size_t)-1 &&
		    (pl > best_len || (pl == best_len && best && best->knobs && !e->knobs)) &&
		    entry_matches(e, sig, sig_len)) {
			best = e;
			best_len = pl;
		}
	}
	return best ? best : find_cluster(k, sig, knobs);
}

const struct known_entry *known_find(const struct known_list *k, const char *sig)
{
	return known_find_for(k, sig, 0);
}

void known_free(struct known_list *k)
{
	free(k->e);
	free(k->head);
	k->e = NULL;
	k->head = NULL;
	k->n = k->cap = 0;
	k->knob_entries = 0;
}
