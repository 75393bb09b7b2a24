/* The known-divergence list: signatures a campaign counts but does not save
 * as new. File format, one entry per line:
 *
 *   SIGNATURE  reason text          # comments and blank lines ignored
 *
 * A signature with a '*' is a pattern: '*' matches any run of characters
 * (fnmatch), so "exception#PF/exception#PF:mem:*" or "hlt/hlt:*:tzcnt". */
#ifndef EXITDIFF_KNOWN_H
#define EXITDIFF_KNOWN_H

#include <stddef.h>
#include <stdint.h>
#include "config.h"

struct known_entry {
	char sig[SIGNATURE_MAX];
	char reason[200];
	int prefix;          /* sig holds a '*': a pattern, matched with fnmatch */
	unsigned line;
};

struct known_list {
	struct known_entry *e;
	size_t n, cap;
};

/* Parses text (len bytes) into k (appending). filename is for messages.
 * Returns 0, or -1 with "FILE:LINE: message" in err. */
int known_parse(struct known_list *k, const char *text, size_t len,
		const char *filename, char *err, size_t errlen);
/* Reads and parses a file. Returns 0, or -1 with the reason in err. */
int known_load(struct known_list *k, const char *path, char *err, size_t errlen);
/* The entry matching sig (exact before prefix), or NULL. */
const struct known_entry *known_find(const struct known_list *k, const char *sig);
void known_free(struct known_list *k);

#endif
