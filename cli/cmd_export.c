/* exitdiff export CASE... -o DIR [--no-build] [--no-kvm]: writes a
 * self-contained TMK reproducer directory (tmk/tmk_export.c). Exit 0 when
 * written (and built), 2 on usage, input or build errors. */
#include <stdio.h>
#include <string.h>
#include "cli.h"
#include "tmk_host.h"

int cmd_export(int argc, char **argv)
{
	struct tmk_export_opts o = { .build = 1, .use_kvm = 1 };
	char *cases[argc > 1 ? argc : 1];
	int n = 0;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-o") && i + 1 < argc)
			o.outdir = argv[++i];
		else if (!strcmp(argv[i], "--no-build"))
			o.build = 0;
		else if (!strcmp(argv[i], "--no-kvm"))
			o.use_kvm = 0;
		else if (argv[i][0] == '-') {
			cli_error("export", "unknown option '%s'", argv[i]);
			return EXIT_USAGE;
		} else
			cases[n++] = argv[i];
	}
	if (!n || !o.outdir) {
		fprintf(stderr, "usage: exitdiff export CASE.case|DIR... -o DIR [--no-build] [--no-kvm]\n");
		return EXIT_USAGE;
	}
	char **paths;
	int np = collect_case_paths("export", cases, n, &paths);
	if (np < 0)
		return EXIT_USAGE;
	int rc = tmk_export(paths, np, &o);
	paths_free(paths, np);
	return rc < 0 ? EXIT_USAGE : 0;
}
