/* exitdiff: differential fuzzing of VM exits. Dispatches to subcommands. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "cli.h"

static const struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *help;
} commands[] = {
	{ "run",     cmd_run,     "run FILE.case... [--record [--known REASON]] [--oracle] [--against native|unicorn] [--kvm-trace]  both executors, outcomes side by side, the diff\n"
	  "      (--against: a third executor on every case, beside KVM, and who agrees with whom;\n"
	  "      --kvm-trace: KVM's tracepoints while the case ran, from a private tracefs instance);\n"
	  "      run --lockstep FILE.case [--stepped kvm|native] [--against ref|unicorn|native] [--max-steps N]  single-step KVM (or the CPU) beside the other, name the first instruction where they part" },
	{ "replay",  cmd_replay,  "replay DIR|FILE... [--tap] [--oracle]  corpus regression against recorded expectations" },
	{ "bench",   cmd_bench,   "bench [--seconds S] [--vmm NAME | --no-vmm | --only-vmm]  cases/s: KVM only, reference only, both, against the floor; the VMM per transport" },
	{ "convert", cmd_convert, "convert IN OUT               between .case text and binary (.bin) forms" },
	{ "gen",     cmd_gen,     "gen [--generator NAME] --seed S --count N -o DIR   write generated .case files (--list)" },
	{ "fuzz",    cmd_fuzz,    "fuzz [--jobs N] [--time S] [--execs N] [--seed S] [--generator NAME] [--out DIR] [--known FILE]  built-in campaign" },
	{ "minimize", cmd_minimize, "minimize CASE -o OUT [--budget N] [--seconds S]  shrink a diverging case keeping its signature" },
	{ "export",  cmd_export,  "export CASE... -o DIR [--no-build]  a self-contained TMK reproducer directory" },
	{ "tmk",     cmd_tmk,     "tmk IMAGE [--list] [TEST]   run a TMK image in our own KVM runner" },
	{ "env",     cmd_env,     "env                         the host fingerprint recorded with expectations (also --version)" },
	{ "report",  cmd_report,  "report OUT [-o FILE]          a campaign as one self-contained HTML page (charts, clusters, buckets, lanes, host)\n"
	  "      report --compare OUT1 OUT2  clusters one campaign found that the other did not, and changed verdicts" },
	{ "triage",  cmd_triage,  "triage OUT [--no-oracle] [--no-native] [--no-lockstep] [--kvm-trace]  a campaign's findings with a verdict (the CPU, then Unicorn) and where KVM parts (lockstep), KVM suspects first" },
};
#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static void usage(FILE *f)
{
	fprintf(f, "usage: exitdiff COMMAND [ARGS]\n\ncommands:\n");
	for (size_t i = 0; i < NCOMMANDS; i++)
		fprintf(f, "  %s\n", commands[i].help);
	fprintf(f, "\nexit codes: 0 agree/pass, 1 divergence/regression, 2 usage or input error\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--version")) {
		printf("exitdiff %s\n", EXITDIFF_VERSION);
		return cmd_env(1, argv + 1);
	}
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "exitdiff: unknown command '%s' (try exitdiff --help)\n", argv[1]);
	return EXIT_USAGE;
}
