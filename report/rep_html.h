/* Text into HTML: everything the report prints from a campaign's files
 * (signatures, case files, mnemonics, the host's strings) goes through
 * here, so no byte of theirs can open a tag, end an attribute or break
 * the page's well-formedness. */
#ifndef EXITDIFF_REP_HTML_H
#define EXITDIFF_REP_HTML_H

#include <stddef.h>
#include <stdio.h>

/* s escaped for element text and quoted attribute values: & < > " ' as
 * references, control characters other than tab and newline and bytes
 * that are not UTF-8 as '?' (XML forbids the first, browsers would guess
 * at the second). */
void html_esc(FILE *f, const char *s);
/* The first n bytes of s (or up to its NUL), escaped the same way. */
void html_escn(FILE *f, const char *s, size_t n);
/* printf, then the escaped string: html_escf(f, "%s/%s", a, b). */
void html_escf(FILE *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
