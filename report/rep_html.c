/* HTML escaping (rep_html.h). */
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "rep_html.h"

/* Length of the valid UTF-8 sequence at s (at most n bytes), 0 if none.
 * Overlong forms and surrogates are refused, as a browser would. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	unsigned need;
	uint32_t cp;
	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		need = 1;
		cp = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		need = 2;
		cp = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		need = 3;
		cp = s[0] & 0x07;
	} else {
		return 0;
	}
	if (n < need + 1)
		return 0;
	for (unsigned i = 1; i <= need; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((need == 2 && (cp < 0x800 || (cp >= 0xd800 && cp < 0xe000))) ||
	    (need == 3 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	/* U+FFFE and U+FFFF are not XML characters either. */
	if (cp == 0xfffe || cp == 0xffff)
		return 0;
	return need + 1;
}

void html_escn(FILE *f, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;
	while (i < n && p[i]) {
		unsigned char c = p[i];
		switch (c) {
		case '&': fputs("&amp;", f); i++; continue;
		case '<': fputs("&lt;", f); i++; continue;
		case '>': fputs("&gt;", f); i++; continue;
		case '"': fputs("&quot;", f); i++; continue;
		case '\'': fputs("&#39;", f); i++; continue;
		default: break;
		}
		if (c < 0x20 && c != '\t' && c != '\n') {
			fputc('?', f);
			i++;
			continue;
		}
		if (c == 0x7f) {
			fputc('?', f);
			i++;
			continue;
		}
		size_t rest = 0;
		while (i + rest < n && p[i + rest] && rest < 4)
			rest++;
		size_t l = utf8_len(p + i, rest);
		if (!l) {
			fputc('?', f);
			i++;
			continue;
		}
		fwrite(p + i, 1, l, f);
		i += l;
	}
}

void html_esc(FILE *f, const char *s)
{
	html_escn(f, s, (size_t)-1);
}

void html_escf(FILE *f, const char *fmt, ...)
{
	va_list ap;
	char buf[1024];
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n < sizeof(buf)) {
		html_esc(f, buf);
		return;
	}
	char *big = malloc((size_t)n + 1);
	if (!big)
		return;
	va_start(ap, fmt);
	vsnprintf(big, (size_t)n + 1, fmt, ap);
	va_end(ap);
	html_esc(f, big);
	free(big);
}
