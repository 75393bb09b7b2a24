/* The one-line error every command prints for bad input (docs/guide.md:
 * "exitdiff CMD: what, where"), kept apart from main.c so that commands
 * and the dispatcher do not call each other. */
#include <stdarg.h>
#include <stdio.h>
#include "cli.h"

void cli_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "exitdiff %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}
