/* exitdiff convert: between the text (.case) and binary (.bin) forms. The
 * direction follows the output's extension. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "case_bin.h"
#include "case_text.h"
#include "cli.h"

static int has_ext(const char *path, const char *ext)
{
	const char *dot = strrchr(path, '.');
	return dot && !strcmp(dot, ext);
}

static int load_any(const char *path, struct case_file *cf)
{
	if (has_ext(path, ".case")) {
		char err[512];
		if (case_load(path, cf, err, sizeof(err)) == 0)
			return 0;
		fprintf(stderr, "%s\n", err);
		return -1;
	}
	FILE *f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "exitdiff convert: cannot open %s: %s\n", path, strerror(errno));
		return -1;
	}
	static uint8_t buf[CASE_BIN_MAX];
	size_t n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	memset(cf, 0, sizeof(*cf));
	case_decode(buf, n, &cf->c);
	return 0;
}

int cmd_convert(int argc, char **argv)
{
	if (argc != 3 || argv[1][0] == '-' || argv[2][0] == '-') {
		cli_error("convert", "usage: exitdiff convert IN OUT (IN/OUT: .case text or binary)");
		return EXIT_USAGE;
	}
	struct case_file *cf = malloc(sizeof(*cf));
	int rc = EXIT_USAGE;
	if (load_any(argv[1], cf) < 0)
		goto out;
	char tmp[4096];
	snprintf(tmp, sizeof(tmp), "%s.tmp", argv[2]);
	FILE *f = fopen(tmp, "wb");
	if (!f) {
		fprintf(stderr, "exitdiff convert: cannot write %s: %s\n", tmp, strerror(errno));
		goto out;
	}
	if (has_ext(argv[2], ".case")) {
		case_print(f, cf);
	} else {
		static uint8_t buf[CASE_BIN_MAX];
		size_t n = case_encode(&cf->c, buf, sizeof(buf));
		fwrite(buf, 1, n, f);
	}
	if (fclose(f) != 0 || rename(tmp, argv[2]) != 0) {
		fprintf(stderr, "exitdiff convert: cannot write %s: %s\n", argv[2], strerror(errno));
		goto out;
	}
	rc = 0;
out:
	free(cf);
	return rc;
}
