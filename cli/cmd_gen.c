/* exitdiff gen: writes N generated cases as .case files. Deterministic:
 * the same generator, seed, count, --mode and --knobs give byte-identical
 * files. Case i of seed S is the case a campaign's worker 0 runs as its
 * exec i with the same --mode and --knobs. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "case_text.h"
#include "cli.h"
#include "gen.h"
#include "knobs.h"

int cli_parse_u64(const char *s, uint64_t *out)
{
	if (!s || !*s || *s == '-')
		return -1;
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 0);
	if (errno || *end)
		return -1;
	*out = v;
	return 0;
}

static void list_generators(FILE *f)
{
	for (size_t i = 0; i < gen_table_n; i++)
		fprintf(f, "  %-6s %s\n", gen_table[i].name, gen_table[i].help);
	fprintf(f, "modes (--mode, comma list or all): long64 prot32 prot32-paged real16 compat32 prot32-pae v86\n"
		"knobs (--knobs none|random|NAME,...):\n");
	for (unsigned i = 0; i < knob_def_count; i++)
		fprintf(f, "  %-13s %s\n", knob_defs[i].name, knob_defs[i].why);
}

int cli_gen_option(const char *cmd, const char *opt, const char *v, struct gen_config *cfg)
{
	char err[300];
	if (!strcmp(opt, "--mode")) {
		cfg->modes = gen_parse_modes(v);
		if (!cfg->modes) {
			cli_error(cmd, "bad --mode '%s' (want long64, prot32, prot32-paged, real16, compat32, prot32-pae, v86, "
				  "all, or a comma list)", v ? v : "");
			return -1;
		}
		return 0;
	}
	if (gen_parse_knobs(v, cfg, err, sizeof(err)) < 0) {
		cli_error(cmd, "%s", err);
		return -1;
	}
	return 0;
}

/* Writes one case atomically (temp + rename): an interrupted run never
 * leaves half a file. Returns 0 or -1 after printing the error. */
static int write_case(const char *dir, const struct test_case *c)
{
	char path[4096], tmp[4200];
	snprintf(path, sizeof(path), "%s/%s.case", dir, c->id);
	snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, (int)getpid());
	FILE *f = fopen(tmp, "w");
	if (!f) {
		cli_error("gen", "%s: %s", tmp, strerror(errno));
		return -1;
	}
	static struct case_file cf; /* large: keep it off the stack */
	memset(&cf, 0, sizeof(cf));
	cf.c = *c;
	fprintf(f, "# generated: exitdiff gen (seed 0x%016llx)\n", (unsigned long long)c->seed);
	case_print(f, &cf);
	if (fflush(f) != 0 || ferror(f)) {
		cli_error("gen", "%s: write failed: %s", tmp, strerror(errno));
		fclose(f);
		unlink(tmp);
		return -1;
	}
	fclose(f);
	if (rename(tmp, path) < 0) {
		cli_error("gen", "rename %s -> %s: %s", tmp, path, strerror(errno));
		unlink(tmp);
		return -1;
	}
	return 0;
}

int cmd_gen(int argc, char **argv)
{
	const char *name = "insn", *out = NULL;
	uint64_t seed = 1, count = 1;
	struct gen_config cfg = { .modes = 0, .policy = GEN_KNOBS_DEFAULT };
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(a, "--list")) {
			list_generators(stdout);
			return 0;
		} else if (!strcmp(a, "--generator") || !strcmp(a, "-g")) {
			if (!v) goto missing;
			name = v;
			i++;
		} else if (!strcmp(a, "--seed")) {
			if (cli_parse_u64(v, &seed) < 0) {
				cli_error("gen", "bad --seed '%s' (want a number)", v ? v : "");
				return EXIT_USAGE;
			}
			i++;
		} else if (!strcmp(a, "--count") || !strcmp(a, "-n")) {
			if (cli_parse_u64(v, &count) < 0 || count > 10000000) {
				cli_error("gen", "bad --count '%s' (want 0..10000000)", v ? v : "");
				return EXIT_USAGE;
			}
			i++;
		} else if (!strcmp(a, "--mode") || !strcmp(a, "--knobs")) {
			if (!v) goto missing;
			if (cli_gen_option("gen", a, v, &cfg) < 0)
				return EXIT_USAGE;
			i++;
		} else if (!strcmp(a, "-o") || !strcmp(a, "--out")) {
			if (!v) goto missing;
			out = v;
			i++;
		} else {
			cli_error("gen", "unknown option '%s' (usage: exitdiff gen --generator NAME "
				  "--seed S --count N [--mode M] [--knobs K] -o DIR; --list)", a);
			return EXIT_USAGE;
		}
		continue;
missing:
		cli_error("gen", "option '%s' needs a value", a);
		return EXIT_USAGE;
	}
	const struct generator *g = gen_lookup(name);
	if (!g) {
		cli_error("gen", "unknown generator '%s' (exitdiff gen --list)", name);
		return EXIT_USAGE;
	}
	char err[300];
	if (gen_config_check(&cfg, err, sizeof(err)) < 0) {
		cli_error("gen", "%s", err);
		return EXIT_USAGE;
	}
	if (!out) {
		cli_error("gen", "no output directory (-o DIR)");
		return EXIT_USAGE;
	}
	if (mkdir(out, 0777) < 0 && errno != EEXIST) {
		cli_error("gen", "cannot create %s: %s", out, strerror(errno));
		return EXIT_USAGE;
	}
	if (access(out, W_OK | X_OK) < 0) {
		cli_error("gen", "cannot write to %s: %s", out, strerror(errno));
		return EXIT_USAGE;
	}
	static struct test_case c;
	for (uint64_t i = 0; i < count; i++) {
		gen_make_ex(g, &cfg, gen_case_seed(seed, 0, i), &c, NULL);
		snprintf(c.id, sizeof(c.id), "%s-%llu-%llu", g->name,
			 (unsigned long long)seed, (unsigned long long)i);
		if (write_case(out, &c) < 0)
			return EXIT_USAGE;
	}
	printf("wrote %llu %s case(s) to %s\n", (unsigned long long)count, g->name, out);
	return 0;
}
