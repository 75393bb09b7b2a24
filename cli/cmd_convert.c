/* exitdiff convert: between the text (.case) and binary (.bin) forms. The
 * direction follows the output's extension. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "case_bin.h"
#include "case_text.h"
#include "cli.h"
#include "file_io.h"

static int has_ext(const char *path, const char *ext)
{
	const char *dot = strrchr(path, '.');
	return dot && !strcmp(dot, ext);
}

static int load_any(const char *path, struct case_file *cf, char *err, size_t errlen)
{
	if (has_ext(path, ".case"))
		return case_load(path, cf, err, errlen);
	char *buf;
	size_t n;
	if (file_read_all(path, CASE_BIN_MAX, &buf, &n, err, errlen) < 0)
		return -1;
	memset(cf, 0, sizeof(*cf));
	case_decode((const uint8_t *)buf, n, &cf->c);
	free(buf);
	return 0;
}

int cmd_convert(int argc, char **argv)
{
	if (argc != 3 || argv[1][0] == '-' || argv[2][0] == '-') {
		cli_error("convert", "usage: exitdiff convert IN OUT (IN/OUT: .case text or binary)");
		return EXIT_USAGE;
	}
	struct case_file *cf = malloc(sizeof(*cf));
	char err[512], *text = NULL;
	size_t len = 0;
	int rc = EXIT_USAGE;
	if (!cf || load_any(argv[1], cf, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", cf ? err : "exitdiff convert: out of memory");
		goto out;
	}
	if (has_ext(argv[2], ".case")) {
		FILE *m = open_memstream(&text, &len);
		if (!m)
			goto out;
		case_print(m, cf);
		fclose(m);
	} else if ((text = malloc(CASE_BIN_MAX))) {
		len = case_encode(&cf->c, (uint8_t *)text, CASE_BIN_MAX);
	}
	if (!text || file_write_atomic(argv[2], text, len, err, sizeof(err)) < 0) {
		fprintf(stderr, "exitdiff convert: %s\n", text ? err : "out of memory");
		goto out;
	}
	rc = 0;
out:
	free(text);
	free(cf);
	return rc;
}
