/* JSON for the report (rep_json.h): a recursive-descent parser into a
 * flat node array. Recursion depth is bounded so a hostile file cannot
 * blow the stack. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "rep_json.h"

#define JSON_MAX_DEPTH 64

struct parser {
	struct json_doc *d;
	const char *p, *start, *end;
	char *err;
	size_t errlen;
	int failed;
};

static int fail(struct parser *ps, const char *what)
{
	if (!ps->failed)
		snprintf(ps->err, ps->errlen, "%s at column %zu", what, (size_t)(ps->p - ps->start) + 1);
	ps->failed = 1;
	return -1;
}

static void skip_ws(struct parser *ps)
{
	while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\r' || *ps->p == '\n'))
		ps->p++;
}

static int new_node(struct parser *ps, enum json_type t)
{
	struct json_doc *d = ps->d;
	if (d->nn == d->ncap) {
		size_t cap = d->ncap ? 2 * d->ncap : 256;
		struct json_node *n = realloc(d->n, cap * sizeof(*n));
		if (!n)
			return fail(ps, "out of memory");
		d->n = n;
		d->ncap = cap;
	}
	struct json_node *n = &d->n[d->nn];
	memset(n, 0, sizeof(*n));
	n->type = t;
	n->child = n->next = -1;
	return (int)d->nn++;
}

static int put_char(struct parser *ps, char c)
{
	struct json_doc *d = ps->d;
	if (d->slen == d->scap) {
		size_t cap = d->scap ? 2 * d->scap : 4096;
		char *s = realloc(d->s, cap);
		if (!s)
			return fail(ps, "out of memory");
		d->s = s;
		d->scap = cap;
	}
	d->s[d->slen++] = c;
	return 0;
}

static int put_utf8(struct parser *ps, unsigned cp)
{
	if (cp < 0x80)
		return put_char(ps, (char)cp);
	if (cp < 0x800)
		return put_char(ps, (char)(0xc0 | cp >> 6)) | put_char(ps, (char)(0x80 | (cp & 0x3f)));
	if (cp < 0x10000)
		return put_char(ps, (char)(0xe0 | cp >> 12)) |
		       put_char(ps, (char)(0x80 | ((cp >> 6) & 0x3f))) |
		       put_char(ps, (char)(0x80 | (cp & 0x3f)));
	return put_char(ps, (char)(0xf0 | cp >> 18)) | put_char(ps, (char)(0x80 | ((cp >> 12) & 0x3f))) |
	       put_char(ps, (char)(0x80 | ((cp >> 6) & 0x3f))) | put_char(ps, (char)(0x80 | (cp & 0x3f)));
}

static int hex4(struct parser *ps, unsigned *v)
{
	*v = 0;
	for (int i = 0; i < 4; i++, ps->p++) {
		if (ps->p >= ps->end)
			return fail(ps, "unfinished \\u escape");
		char c = *ps->p;
		unsigned x = c >= '0' && c <= '9' ? (unsigned)(c - '0') :
			     c >= 'a' && c <= 'f' ? (unsigned)(c - 'a' + 10) :
			     c >= 'A' && c <= 'F' ? (unsigned)(c - 'A' + 10) : 16;
		if (x == 16)
			return fail(ps, "bad \\u escape");
		*v = *v << 4 | x;
	}
	return 0;
}

/* At the opening quote; leaves the decoded string's offset in *off. */
static int parse_string(struct parser *ps, size_t *off)
{
	ps->p++;
	*off = ps->d->slen;
	while (ps->p < ps->end && *ps->p != '"') {
		char c = *ps->p++;
		if ((unsigned char)c < 0x20)
			return fail(ps, "control character in a string");
		if (c != '\\') {
			if (put_char(ps, c) < 0)
				return -1;
			continue;
		}
		if (ps->p >= ps->end)
			break;
		c = *ps->p++;
		const char *from = "\"\\/bfnrt", *to = "\"\\/\b\f\n\r\t";
		const char *k = strchr(from, c);
		if (k && c) {
			if (put_char(ps, to[k - from]) < 0)
				return -1;
			continue;
		}
		if (c != 'u')
			return fail(ps, "bad escape in a string");
		unsigned cp;
		if (hex4(ps, &cp) < 0)
			return -1;
		if (cp >= 0xd800 && cp < 0xdc00 && ps->end - ps->p >= 6 && ps->p[0] == '\\' && ps->p[1] == 'u') {
			unsigned lo;
			ps->p += 2;
			if (hex4(ps, &lo) < 0)
				return -1;
			cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
		}
		if (put_utf8(ps, cp) < 0)
			return -1;
	}
	if (ps->p >= ps->end)
		return fail(ps, "unterminated string");
	ps->p++;
	return put_char(ps, 0);
}

static int parse_value(struct parser *ps, int depth);

/* Appends child to parent's children (tail tracked by the caller). */
static int parse_items(struct parser *ps, int self, int depth, int object)
{
	char close = object ? '}' : ']';
	int tail = -1;
	ps->p++;
	skip_ws(ps);
	if (ps->p < ps->end && *ps->p == close) {
		ps->p++;
		return self;
	}
	for (;;) {
		size_t key = 0;
		skip_ws(ps);
		if (object) {
			if (ps->p >= ps->end || *ps->p != '"')
				return fail(ps, "expected a member name");
			if (parse_string(ps, &key) < 0)
				return -1;
			skip_ws(ps);
			if (ps->p >= ps->end || *ps->p != ':')
				return fail(ps, "expected ':'");
			ps->p++;
		}
		int c = parse_value(ps, depth + 1);
		if (c < 0)
			return -1;
		ps->d->n[c].key = key;
		if (tail < 0)
			ps->d->n[self].child = c;
		else
			ps->d->n[tail].next = c;
		tail = c;
		skip_ws(ps);
		if (ps->p < ps->end && *ps->p == ',') {
			ps->p++;
			continue;
		}
		if (ps->p < ps->end && *ps->p == close) {
			ps->p++;
			return self;
		}
		return fail(ps, object ? "expected ',' or '}'" : "expected ',' or ']'");
	}
}

static int parse_value(struct parser *ps, int depth)
{
	if (depth > JSON_MAX_DEPTH)
		return fail(ps, "nested too deep");
	skip_ws(ps);
	if (ps->p >= ps->end)
		return fail(ps, "unexpected end of line");
	char c = *ps->p;
	int self;
	if (c == '{' || c == '[') {
		if ((self = new_node(ps, c == '{' ? JSON_OBJ : JSON_ARR)) < 0)
			return -1;
		return parse_items(ps, self, depth, c == '{');
	}
	if (c == '"') {
		size_t off;
		if ((self = new_node(ps, JSON_STR)) < 0 || parse_string(ps, &off) < 0)
			return -1;
		ps->d->n[self].str = off;
		return self;
	}
	static const struct { const char *w; enum json_type t; } words[] = {
		{ "null", JSON_NULL }, { "true", JSON_TRUE }, { "false", JSON_FALSE },
	};
	for (unsigned i = 0; i < 3; i++) {
		size_t l = strlen(words[i].w);
		if ((size_t)(ps->end - ps->p) >= l && !memcmp(ps->p, words[i].w, l)) {
			ps->p += l;
			return new_node(ps, words[i].t);
		}
	}
	if (c == '-' || (c >= '0' && c <= '9')) {
		char tmp[64];
		size_t l = 0;
		while (ps->p + l < ps->end && l < sizeof(tmp) - 1 && strchr("+-.eE0123456789", ps->p[l]))
			l++;
		memcpy(tmp, ps->p, l);
		tmp[l] = 0;
		char *e;
		double v = strtod(tmp, &e);
		if (e != tmp + l || !isfinite(v))
			return fail(ps, "bad number");
		ps->p += l;
		if ((self = new_node(ps, JSON_NUM)) < 0)
			return -1;
		ps->d->n[self].num = v;
		return self;
	}
	return fail(ps, "unexpected character");
}

int json_parse(struct json_doc *d, const char *text, size_t len, char *err, size_t errlen)
{
	struct parser ps = { .d = d, .p = text, .start = text, .end = text + len, .err = err,
			     .errlen = errlen };
	d->nn = 0;
	d->slen = 0;
	/* Offset 0 is the empty string: keys of array items and non-strings. */
	if (put_char(&ps, 0) < 0 || parse_value(&ps, 0) < 0)
		return -1;
	skip_ws(&ps);
	if (ps.p != ps.end)
		return fail(&ps, "text after the value");
	return 0;
}

void json_doc_free(struct json_doc *d)
{
	free(d->n);
	free(d->s);
	memset(d, 0, sizeof(*d));
}

const struct json_node *json_first(const struct json_doc *d, const struct json_node *p)
{
	return p && (p->type == JSON_OBJ || p->type == JSON_ARR) && p->child >= 0 ? &d->n[p->child] : NULL;
}

const struct json_node *json_next(const struct json_doc *d, const struct json_node *n)
{
	return n && n->next >= 0 ? &d->n[n->next] : NULL;
}

const char *json_key(const struct json_doc *d, const struct json_node *n)
{
	return d->s + n->key;
}

const struct json_node *json_get(const struct json_doc *d, const struct json_node *o, const char *key)
{
	if (!o || o->type != JSON_OBJ)
		return NULL;
	for (const struct json_node *c = json_first(d, o); c; c = json_next(d, c))
		if (!strcmp(d->s + c->key, key))
			return c;
	return NULL;
}

const char *json_string(const struct json_doc *d, const struct json_node *n)
{
	return n && n->type == JSON_STR ? d->s + n->str : "";
}

double json_num(const struct json_doc *d, const struct json_node *o, const char *key, double dflt)
{
	const struct json_node *n = json_get(d, o, key);
	return n && n->type == JSON_NUM ? n->num : dflt;
}

const char *json_str_of(const struct json_doc *d, const struct json_node *o, const char *key)
{
	return json_string(d, json_get(d, o, key));
}

int jsonl_open(struct jsonl_reader *r, const char *path, char *err, size_t errlen)
{
	memset(r, 0, sizeof(*r));
	r->path = path;
	r->f = fopen(path, "r");
	if (!r->f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

int jsonl_next(struct jsonl_reader *r, struct json_doc *d, char *err, size_t errlen)
{
	for (;;) {
		ssize_t n = getline(&r->buf, &r->cap, r->f);
		if (n < 0) {
			if (ferror(r->f)) {
				snprintf(err, errlen, "%s:%u: %s", r->path, r->line + 1, strerror(errno));
				return -1;
			}
			return 0;
		}
		r->line++;
		if (r->buf[n - 1] != '\n') {
			snprintf(err, errlen, "%s:%u: truncated line (the file ends inside it)", r->path, r->line);
			return -1;
		}
		size_t len = (size_t)n - 1;
		while (len && (r->buf[len - 1] == ' ' || r->buf[len - 1] == '\r'))
			len--;
		if (!len)
			continue;
		char why[200];
		if (json_parse(d, r->buf, len, why, sizeof(why)) < 0) {
			snprintf(err, errlen, "%s:%u: %s", r->path, r->line, why);
			return -1;
		}
		if (d->n[0].type != JSON_OBJ) {
			snprintf(err, errlen, "%s:%u: not a JSON object", r->path, r->line);
			return -1;
		}
		return 1;
	}
}

void jsonl_close(struct jsonl_reader *r)
{
	if (r->f)
		fclose(r->f);
	free(r->buf);
	memset(r, 0, sizeof(*r));
}
