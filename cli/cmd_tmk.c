/* exitdiff tmk IMAGE [--list] [TEST]: runs a TMK image in our own minimal
 * KVM runner (tmk/tmk_kvm.c) and reports per test. Exit 0 all passed,
 * 1 a test failed (or the image never reported), 2 bad image or usage. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "tmk_host.h"

static void usage(void)
{
	fprintf(stderr, "usage: exitdiff tmk IMAGE [--list] [--entry64] [--verbose] "
		"[--timeout S] [TEST]\n");
}

int cmd_tmk(int argc, char **argv)
{
	const char *image = NULL, *test = NULL;
	int list = 0;
	struct tmk_run_opts o = { .out = stdout, .timeout_s = 120 };
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--list"))
			list = 1;
		else if (!strcmp(argv[i], "--entry64"))
			o.entry64 = 1;
		else if (!strcmp(argv[i], "--verbose") || !strcmp(argv[i], "-v"))
			o.verbose = 1;
		else if (!strcmp(argv[i], "--timeout") && i + 1 < argc)
			o.timeout_s = (unsigned)strtoul(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			usage();
			return 0;
		} else if (argv[i][0] == '-') {
			cli_error("tmk", "unknown option '%s'", argv[i]);
			usage();
			return EXIT_USAGE;
		} else if (!image)
			image = argv[i];
		else if (!test)
			test = argv[i];
		else {
			cli_error("tmk", "unexpected argument '%s'", argv[i]);
			return EXIT_USAGE;
		}
	}
	if (!image) {
		usage();
		return EXIT_USAGE;
	}

	static struct tmk_image img;
	char err[512];
	if (tmk_image_load(image, &img, err, sizeof(err)) < 0) {
		cli_error("tmk", "%s", err);
		return EXIT_USAGE;
	}
	if (list) {
		if (!img.has_xd)
			printf("(a multiboot image without an exitdiff test table)\n");
		for (int i = 0; i < img.n_names; i++)
			printf("%s\n", img.names[i]);
		tmk_image_free(&img);
		return 0;
	}
	if (test && tmk_image_find(&img, test) < 0) {
		cli_error("tmk", "%s: no test named '%s' (see --list)", image, test);
		tmk_image_free(&img);
		return EXIT_USAGE;
	}
	o.test = test;
	struct tmk_run_result res;
	int rc = tmk_run_image(&img, &o, &res, err, sizeof(err));
	tmk_image_free(&img);
	if (rc < 0) {
		cli_error("tmk", "%s: %s", image, err);
		return EXIT_USAGE;
	}
	int pass = res.exit_code_seen && res.exit_value == 0 && res.failed == 0 &&
		   res.summary[0];
	printf("tmk: %u started, %u passed, %u failed, %u skipped; %s -> %s\n",
	       res.started, res.passed, res.failed, res.skipped, res.end_reason,
	       pass ? "PASS" : "FAIL");
	return pass ? EXIT_AGREE : EXIT_DIVERGE;
}
