/* exitdiff fuzz: the built-in campaign (campaign/campaign.h). This file
 * parses options and gives the workers their executors via session_open. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "campaign.h"
#include "cli.h"
#include "host.h"
#include "source_tree.h"
#include "vmm.h"


static struct session fuzz_session;
/* --against vmm:VMM: the VMM takes KVM's place in every worker, and the
 * reference answers CPUID as the VMM's guest does (docs/vmm.md). */
static const char *fuzz_vmm;

static void *fuzz_open(struct executor **ref, struct executor **kvm)
{
	if (session_open_vmm(&fuzz_session, (fuzz_vmm ? NEED_VMM : NEED_KVM) | NEED_REF,
			     fuzz_vmm) < 0)
		return NULL;
	*ref = &fuzz_session.ref;
	*kvm = fuzz_vmm ? &fuzz_session.vmm : &fuzz_session.kvm;
	return &fuzz_session;
}

static void fuzz_close(void *h)
{
	session_close(h);
}

static const struct campaign_backend session_backend = { fuzz_open, fuzz_close };

static const char usage_line[] =
	"usage: exitdiff fuzz [--jobs N] [--time SECONDS] [--execs N] [--seed S] "
	"[--generator NAME] [--mode long64|prot32|prot32-paged|real16|compat32|prot32-pae|v86|all] "
	"[--knobs none|random|NAME,...] [--out DIR] [--known FILE] [--no-known] [--report-period S] "
	"[--against vmm:qemu-tcg|vmm:COMMAND]";

int cmd_fuzz(int argc, char **argv)
{
	struct campaign_opts o = {
		.jobs = 1, .seed = 1, .out = "fuzz-out", .stats_period = 2.0,
		.report_period = 60.0,
	};
	const char *gen_name = "insn", *known = NULL;
	/* Default: every mode (weighted toward long64), a share of CPL3 and
	 * a little of random knobs (generators/gen_table.c). */
	static struct gen_config gcfg = { .modes = 0, .policy = GEN_KNOBS_DEFAULT };
	o.gcfg = &gcfg;
	int no_known = 0;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		uint64_t n;
		char *end;
		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			printf("%s\n", usage_line);
			return 0;
		}
		if (!v && a[0] == '-' && strcmp(a, "--no-known")) {
			int known_opt = !strcmp(a, "--jobs") || !strcmp(a, "--time") ||
					!strcmp(a, "--execs") || !strcmp(a, "--seed") ||
					!strcmp(a, "--generator") || !strcmp(a, "--out") ||
					!strcmp(a, "--known") || !strcmp(a, "--stats-period") ||
					!strcmp(a, "--mode") || !strcmp(a, "--knobs") ||
					!strcmp(a, "--report-period") || !strcmp(a, "--against");
			if (known_opt) {
				cli_error("fuzz", "option '%s' needs a value", a);
				return EXIT_USAGE;
			}
		}
		if (!strcmp(a, "--jobs")) {
			if (cli_parse_u64(v, &n) < 0 || n < 1 || n > 256) {
				cli_error("fuzz", "bad --jobs '%s' (want 1..256)", v);
				return EXIT_USAGE;
			}
			o.jobs = (unsigned)n;
		} else if (!strcmp(a, "--time") || !strcmp(a, "--stats-period")) {
			double d = strtod(v, &end);
			if (*end || end == v || d <= 0) {
				cli_error("fuzz", "bad %s '%s' (want seconds > 0)", a, v);
				return EXIT_USAGE;
			}
			if (a[2] == 't')
				o.seconds = d;
			else
				o.stats_period = d;
		} else if (!strcmp(a, "--execs")) {
			if (cli_parse_u64(v, &o.execs) < 0 || !o.execs) {
				cli_error("fuzz", "bad --execs '%s' (want a number > 0)", v);
				return EXIT_USAGE;
			}
		} else if (!strcmp(a, "--seed")) {
			if (cli_parse_u64(v, &o.seed) < 0) {
				cli_error("fuzz", "bad --seed '%s' (want a number)", v);
				return EXIT_USAGE;
			}
		} else if (!strcmp(a, "--generator")) {
			gen_name = v;
		} else if (!strcmp(a, "--mode") || !strcmp(a, "--knobs")) {
			if (cli_gen_option("fuzz", a, v, &gcfg) < 0)
				return EXIT_USAGE;
		} else if (!strcmp(a, "--out")) {
			o.out = v;
		} else if (!strcmp(a, "--against")) {
			if (strncmp(v, "vmm:", 4) || !v[4]) {
				cli_error("fuzz", "--against '%s': want vmm:qemu-tcg or vmm:COMMAND "
					  "(a command line holding {image})", v);
				return EXIT_USAGE;
			}
			fuzz_vmm = v + 4;
			o.against = v;
			/* The known list's name for it: a profile's, else "command". */
			o.vmm = vmm_name_of(fuzz_vmm);
		} else if (!strcmp(a, "--known")) {
			known = v;
		} else if (!strcmp(a, "--no-known")) {
			no_known = 1;
			continue;
		} else if (!strcmp(a, "--report-period")) {
			/* 0: no report while running nor at the end. */
			double d = strtod(v, &end);
			if (*end || end == v || d < 0) {
				cli_error("fuzz", "bad --report-period '%s' (want seconds >= 0)", v);
				return EXIT_USAGE;
			}
			o.report_period = d;
		} else {
			cli_error("fuzz", "unknown option '%s' (%s)", a, usage_line);
			return EXIT_USAGE;
		}
		i++;
	}
	o.gen = gen_lookup(gen_name);
	if (!o.gen) {
		cli_error("fuzz", "unknown generator '%s' (exitdiff gen --list)", gen_name);
		return EXIT_USAGE;
	}
	char err[300];
	if (gen_config_check(&gcfg, err, sizeof(err)) < 0) {
		cli_error("fuzz", "%s", err);
		return EXIT_USAGE;
	}
	if (!known && !no_known)
		known = known_default_path();
	o.known_path = no_known ? NULL : known;
	/* The command as typed, for the report's options section. */
	char cmdline[2048] = "exitdiff fuzz";
	for (int i = 1; i < argc; i++) {
		size_t n = strlen(cmdline);
		snprintf(cmdline + n, sizeof(cmdline) - n, " %s", argv[i]);
	}
	o.cmdline = cmdline;
	if (fuzz_vmm)
		return campaign_run(&o, &session_backend);
	/* Say it once, clearly, before any worker tries. */
	int fd = open(host_kvm_device(), O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		cli_error("fuzz", "%s: %s (the campaign needs KVM; --against vmm:qemu-tcg fuzzes QEMU's "
			  "TCG without it)", host_kvm_device(), strerror(errno));
		return EXIT_USAGE;
	}
	close(fd);
	return campaign_run(&o, &session_backend);
}
