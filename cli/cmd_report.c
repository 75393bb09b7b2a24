/* exitdiff report OUT [-o FILE]: a campaign's report as one self-contained
 * HTML file (report/report.h), and exitdiff report --compare OUT1 OUT2:
 * what one campaign found that the other did not. */
#include <stdio.h>
#include <string.h>
#include "cli.h"
#include "report.h"

static const char usage_line[] =
	"usage: exitdiff report OUT [-o OUT/report.html] | exitdiff report --compare OUT1 OUT2";

int cmd_report(int argc, char **argv)
{
	const char *dirs[2] = { NULL, NULL }, *html = NULL;
	int compare = 0;
	unsigned nd = 0;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			printf("%s\n", usage_line);
			return 0;
		}
		if (!strcmp(argv[i], "--compare"))
			compare = 1;
		else if (!strcmp(argv[i], "-o")) {
			if (i + 1 >= argc) {
				cli_error("report", "option '-o' needs a file (%s)", usage_line);
				return EXIT_USAGE;
			}
			html = argv[++i];
		} else if (argv[i][0] == '-') {
			cli_error("report", "unknown option '%s' (%s)", argv[i], usage_line);
			return EXIT_USAGE;
		} else if (nd < 2)
			dirs[nd++] = argv[i];
		else {
			cli_error("report", "too many directories ('%s' is extra; %s)", argv[i], usage_line);
			return EXIT_USAGE;
		}
	}
	char err[1024];
	if (compare) {
		if (nd != 2 || html) {
			cli_error("report", "--compare takes two campaign directories and no -o (%s)", usage_line);
			return EXIT_USAGE;
		}
		if (report_compare(dirs[0], dirs[1], stdout, err, sizeof(err)) < 0) {
			cli_error("report", "%s", err);
			return EXIT_USAGE;
		}
		return 0;
	}
	if (nd != 1) {
		cli_error("report", nd ? "one campaign directory only (%s)" : "no campaign directory (%s)",
			  usage_line);
		return EXIT_USAGE;
	}
	char path[4200];
	if (!html) {
		snprintf(path, sizeof(path), "%s/report.html", dirs[0]);
		html = path;
	}
	if (report_write(dirs[0], html, err, sizeof(err)) < 0) {
		cli_error("report", "%s", err);
		return EXIT_USAGE;
	}
	printf("report: %s\n", html);
	return 0;
}
