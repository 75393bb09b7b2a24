/* A JSON reader for one line of a JSON-lines file (stats.jsonl,
 * runs.jsonl): the whole line parsed into a flat node array, looked up by
 * member name. Small on purpose: the report reads what the campaign wrote,
 * numbers, strings, arrays and objects, nothing else. */
#ifndef EXITDIFF_REP_JSON_H
#define EXITDIFF_REP_JSON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum json_type { JSON_NULL, JSON_FALSE, JSON_TRUE, JSON_NUM, JSON_STR, JSON_ARR, JSON_OBJ };

struct json_node {
	enum json_type type;
	double num;
	size_t str, key;      /* offsets into the doc's strings (decoded), key: member name */
	int child, next;      /* first child, next sibling; -1 = none */
};

struct json_doc {
	struct json_node *n;
	size_t nn, ncap;
	char *s;              /* decoded strings, NUL-terminated, back to back */
	size_t slen, scap;
};

/* Parses text[0..len) (one JSON value, nothing after it but blanks) into
 * d, reusing its memory. Returns 0, or -1 with err saying what and at
 * which column. Node 0 is the root. */
int json_parse(struct json_doc *d, const char *text, size_t len, char *err, size_t errlen);
void json_doc_free(struct json_doc *d);

/* Member key of object node o (NULL when o is not an object or lacks it). */
const struct json_node *json_get(const struct json_doc *d, const struct json_node *o, const char *key);
const struct json_node *json_first(const struct json_doc *d, const struct json_node *p);
const struct json_node *json_next(const struct json_doc *d, const struct json_node *n);
const char *json_key(const struct json_doc *d, const struct json_node *n);
/* The string of a JSON_STR node ("" for any other). */
const char *json_string(const struct json_doc *d, const struct json_node *n);
/* The number of member key of o, or dflt when it is absent or not a number. */
double json_num(const struct json_doc *d, const struct json_node *o, const char *key, double dflt);
/* The string of member key of o, or "" when absent. */
const char *json_str_of(const struct json_doc *d, const struct json_node *o, const char *key);

/* Reads a JSON-lines file line by line. Errors name path:line. */
struct jsonl_reader {
	FILE *f;
	const char *path;
	unsigned line;
	char *buf;
	size_t cap;
};
/* Opens path; -1 with err ("PATH: No such file or directory"). */
int jsonl_open(struct jsonl_reader *r, const char *path, char *err, size_t errlen);
/* The next non-empty line parsed into d: 1, 0 at the end, -1 with err
 * ("PATH:LINE: ..."): a malformed line, or a last line with no newline
 * (a file cut short). */
int jsonl_next(struct jsonl_reader *r, struct json_doc *d, char *err, size_t errlen);
void jsonl_close(struct jsonl_reader *r);

#endif
