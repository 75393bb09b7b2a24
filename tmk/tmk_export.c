/*
 * `exitdiff export CASE... -o DIR`: a self-contained TMK reproducer
 * directory. It holds the generated cases.c, a copy of the runtime
 * (every file of tmk/runtime) and of the core files it needs (layout,
 * mode, knobs and their headers), a Makefile needing only gcc, ld
 * and objcopy, the built image tmk.bin, a README with the exact QEMU
 * commands and expected output, and a kvm-unit-tests unittests.cfg stanza.
 *
 * The embedded expectation is the case's recorded one (its expect
 * section) or else the reference outcome; for a known divergence that is
 * the architectural behaviour, so the TMK FAILS where KVM diverges.
 */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "executor.h"
#include "knobs.h"
#include "mode.h"
#include "source_tree.h"
#include "tmk_gen.h"
#include "tmk_host.h"

#define ERR(...) do { fprintf(stderr, "exitdiff export: " __VA_ARGS__); fputc('\n', stderr); } while (0)

static int copy_file(const char *from, const char *to)
{
	FILE *in = fopen(from, "rb");
	if (!in) {
		ERR("%s: %s", from, strerror(errno));
		return -1;
	}
	FILE *out = fopen(to, "wb");
	if (!out) {
		ERR("%s: %s", to, strerror(errno));
		fclose(in);
		return -1;
	}
	char buf[8192];
	size_t n;
	while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
		fwrite(buf, 1, n, out);
	int bad = ferror(in) || fclose(out) != 0;
	fclose(in);
	if (bad)
		ERR("copying %s to %s failed", from, to);
	return bad ? -1 : 0;
}

/* Every regular file of tmk/runtime/, then the core files it builds. */
static int copy_runtime(const char *outdir)
{
	char from[1024], to[1024];
	snprintf(from, sizeof(from), "%s/tmk/runtime", source_dir());
	DIR *d = opendir(from);
	if (!d) {
		ERR("%s: %s (set EXITDIFF_SOURCE_DIR to the exitdiff source tree)",
		    from, strerror(errno));
		return -1;
	}
	struct dirent *de;
	int rc = 0;
	while (!rc && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(from, sizeof(from), "%s/tmk/runtime/%s", source_dir(), de->d_name);
		struct stat st;
		if (stat(from, &st) < 0 || !S_ISREG(st.st_mode))
			continue;
		snprintf(to, sizeof(to), "%s/%s", outdir, de->d_name);
		rc = copy_file(from, to);
	}
	closedir(d);
	/* The layout, and mode_env_init() with what it includes: the runtime
	 * starts every case from the same state the executors do. */
	static const char *const core[] = {
		"layout.c", "layout.h", "mode.c", "mode.h", "knobs.c", "knobs.h",
		"case.h", "case_event.h", "outcome.h", "config.h", "exit_kinds.def",
		"carried_msrs.def",
	};
	for (size_t i = 0; !rc && i < sizeof(core) / sizeof(core[0]); i++) {
		const char *f = core[i];
		snprintf(from, sizeof(from), "%s/core/%s", source_dir(), f);
		snprintf(to, sizeof(to), "%s/%s", outdir, f);
		rc = copy_file(from, to);
	}
	return rc;
}

struct exporter {
	struct executor kvm, ref;
	struct cpuid_table *cpuid;
	int have_kvm, have_ref;
};

static void executors_open(struct exporter *x, int use_kvm)
{
	memset(x, 0, sizeof(*x));
	if (use_kvm) {
		x->kvm.ops = &kvm_executor_ops;
		if (x->kvm.ops->init(&x->kvm, x->kvm.err, sizeof(x->kvm.err)) == 0)
			x->have_kvm = 1;
		else
			fprintf(stderr, "exitdiff export: note: no KVM outcome in the comments: %s\n",
				x->kvm.err);
	}
	x->ref.ops = &ref_executor_ops;
	x->ref.cpuid = x->have_kvm ? x->kvm.cpuid : NULL;
	if (x->ref.ops->init(&x->ref, x->ref.err, sizeof(x->ref.err)) == 0)
		x->have_ref = 1;
	else
		ERR("reference executor: %s", x->ref.err);
}

static void executors_close(struct exporter *x)
{
	if (x->have_ref)
		x->ref.ops->fini(&x->ref);
	if (x->have_kvm)
		x->kvm.ops->fini(&x->kvm);
}

struct slot {
	struct case_file cf;
	struct outcome ref, kvm;
	struct tmk_gen_case g;
};

/* Loads one case, runs what is available, picks the expectation. */
static int prepare(struct exporter *x, const char *path, struct slot *s)
{
	char err[512];
	if (case_load(path, &s->cf, err, sizeof(err)) < 0) {
		ERR("%s", err);
		return -1;
	}
	s->g.path = path;
	s->g.cf = &s->cf;
	if (x->have_ref && x->ref.ops->run(&x->ref, &s->cf.c, &s->ref) == 0)
		s->g.ref = &s->ref;
	if (x->have_kvm && x->kvm.ops->run(&x->kvm, &s->cf.c, &s->kvm) == 0)
		s->g.kvm = &s->kvm;
	if (s->cf.has_expect) {
		s->g.expect = &s->cf.expect;
		s->g.expect_source = s->cf.expect_from_kvm ?
			"the case file's recorded expectation (recorded from KVM: "
			"the reference does not model an instruction)" :
			"the case file's recorded expectation (the reference outcome)";
	} else if (s->g.ref && tmk_gen_expressible(&s->ref)) {
		s->g.expect = &s->ref;
		s->g.expect_source = "the reference outcome (the case file records none)";
	} else {
		ERR("%s: no recorded expectation and no usable reference outcome%s%s",
		    path, s->g.ref ? ": the reference ended " : "",
		    s->g.ref ? exit_kind_name((enum exit_kind)outcome_terminal(&s->ref)->kind) : "");
		return -1;
	}
	if (s->g.ref && s->ref.read_runtime_bytes)
		fprintf(stderr, "exitdiff export: note: %s: case %s reads bytes the TMK runtime "
			"rewrites; under the TMK it may FAIL on any hypervisor (README.md)\n",
			path, s->cf.c.id);
	if (!tmk_gen_expressible(s->g.expect)) {
		ERR("%s: the expected outcome ends in '%s', which a TMK cannot observe "
		    "from inside the guest", path,
		    exit_kind_name((enum exit_kind)outcome_terminal(s->g.expect)->kind));
		return -1;
	}
	return 0;
}

static int write_cases(const char *outdir, struct slot *slots, unsigned n)
{
	char p[1024];
	snprintf(p, sizeof(p), "%s/cases.c", outdir);
	FILE *f = fopen(p, "w");
	if (!f) {
		ERR("%s: %s", p, strerror(errno));
		return -1;
	}
	fprintf(f, "/*\n * Generated by `exitdiff export`: the cases this TMK replays, as data\n"
		" * for tmk.h's struct tmk_case. Edit an expectation here and `make` to\n"
		" * see the TMK fail.\n */\n#include \"tmk.h\"\n");
	struct tmk_gen_case *g = calloc(n, sizeof(*g));
	for (unsigned i = 0; i < n; i++) {
		tmk_gen_case(f, i, &slots[i].g);
		g[i] = slots[i].g;
	}
	tmk_gen_tables(f, g, n);
	free(g);
	if (fclose(f) != 0) {
		ERR("%s: write failed", p);
		return -1;
	}
	return 0;
}

static const char *base_name(const char *p)
{
	const char *s = strrchr(p, '/');
	while (s && !s[1] && s > p) { /* trailing slash */
		const char *t = s;
		while (t > p && t[-1] != '/')
			t--;
		return t;
	}
	return s ? s + 1 : p;
}

static int write_docs(const char *outdir, struct slot *slots, unsigned n)
{
	char p[1024], name[128];
	snprintf(name, sizeof(name), "%s", base_name(outdir));
	char *slash = strchr(name, '/');
	if (slash)
		*slash = 0;
	const char *qemu = "qemu-system-x86_64 -kernel tmk.bin -m 64 "
		"-device isa-debug-exit,iobase=0xf4,iosize=0x04 -serial stdio -display none -no-reboot";

	snprintf(p, sizeof(p), "%s/unittests.cfg", outdir);
	FILE *f = fopen(p, "w");
	if (!f) {
		ERR("%s: %s", p, strerror(errno));
		return -1;
	}
	fprintf(f, "# kvm-unit-tests style stanza (x86/unittests.cfg); run_tests.sh adds\n"
		"# -kernel and its own debug-exit device.\n"
		"[exitdiff-%s]\nfile = tmk.bin\nsmp = 1\nextra_params = -m 64\ngroups = exitdiff\n",
		name);
	fclose(f);

	snprintf(p, sizeof(p), "%s/README.md", outdir);
	f = fopen(p, "w");
	if (!f) {
		ERR("%s: %s", p, strerror(errno));
		return -1;
	}
	fprintf(f, "# TMK reproducer: %s\n\n", name);
	fprintf(f, "A test microkernel generated by `exitdiff export`. It builds the exitdiff guest\n"
		"environment (`layout.c`), replays %u case(s), each in its own CPU mode (`mode.c`), and compares\n"
		"each end state with the expectation embedded in `cases.c` (registers, RIP, RFLAGS,\n"
		"exception, the code/data/stack pages). Nothing of exitdiff is needed to build or run it.\n\n",
		n);
	fprintf(f, "| case | mode, knobs | expected end | source file |\n|---|---|---|---|\n");
	uint32_t all_knobs = 0;
	for (unsigned i = 0; i < n; i++) {
		const struct test_case *c = &slots[i].cf.c;
		const struct exit_event *t = outcome_terminal(slots[i].g.expect);
		char kn[256];
		all_knobs |= c->knobs;
		fprintf(f, "| `%s` | %s%s%s | %s", c->id, mode_name((enum cpu_mode)c->mode),
			c->knobs ? ", " : "", c->knobs ? knobs_format(c->knobs, kn, sizeof(kn)) : "",
			exit_kind_name((enum exit_kind)t->kind));
		if (t->kind == EXIT_EXCEPTION)
			fprintf(f, " vector %llu at 0x%llx", (unsigned long long)t->addr,
				(unsigned long long)t->rip);
		fprintf(f, " | `%s` |\n", slots[i].g.path);
	}
	if (all_knobs & (KNOB_CR4_UMIP | KNOB_CR4_SMAP | KNOB_CR4_FSGSBASE | KNOB_CR4_OSXSAVE))
		fprintf(f, "\n**CPU features.** A case here sets a CR4 bit that needs a CPUID feature\n"
			"(UMIP, SMAP, FSGSBASE, XSAVE). QEMU's default TCG CPU lacks some: add `-cpu max`\n"
			"to the TCG command; a CPU without the feature reports the case as `SKIP`.\n");
	for (unsigned i = 0; i < n; i++) {
		const struct outcome *e = slots[i].g.expect;
		for (uint32_t k = 0; k < e->n_events; k++) {
			const struct exit_event *ev = &e->events[k];
			if ((ev->kind != EXIT_IO && ev->kind != EXIT_MMIO) || ev->dir != DIR_IN)
				continue;
			if (ev->kind == EXIT_MMIO && !mode_long((enum cpu_mode)slots[i].cf.c.mode) &&
			    ev->addr + ev->size <= TMK_LEGACY_MMIO_END)
				continue; /* answered all ones by the runtime itself */
			fprintf(f, "\n**Device read** in `%s`: it reads %s 0x%llx and expects all ones.\n"
				"`exitdiff tmk` answers all ones; QEMU answers all ones only for unassigned\n"
				"ports and reads 0 from its unassigned MMIO at 0xc0000000 (measured, QEMU 7.2),\n"
				"so under QEMU this case is expected to FAIL on that value.\n",
				slots[i].cf.c.id, ev->kind == EXIT_IO ? "port" : "MMIO",
				(unsigned long long)ev->addr);
			break;
		}
	}
	for (unsigned i = 0; i < n; i++) {
		const struct outcome *k = slots[i].g.kvm;
		const struct exit_event *t = k ? outcome_terminal(k) : NULL;
		if (t && (t->kind == EXIT_INTERNAL_ERROR || t->kind == EXIT_SHUTDOWN))
			fprintf(f, "\n**The VM ends** in `%s` under exitdiff's KVM harness (%s): under\n"
				"`-accel kvm` QEMU then stops (an internal error pauses the VM without exiting:\n"
				"wrap the command in `timeout`); `exitdiff tmk` reports the case failed and boots\n"
				"the image again for the remaining cases.\n",
				slots[i].cf.c.id, exit_kind_name((enum exit_kind)t->kind));
	}
	for (unsigned i = 0; i < n; i++)
		if (slots[i].g.ref && slots[i].ref.read_runtime_bytes)
			fprintf(f, "\n**Runtime bytes** in `%s`: it reads bytes this TMK's runtime rewrites\n"
				"(an IDT gate's offset, PML4 entry 256, the legacy modes' NMI vectors: docs/tmk.md,\n"
				"\"Differences from the harness environment\"), or walks a page table through them.\n"
				"The expectation is what the case sees in exitdiff's harness, so under this TMK the\n"
				"case may FAIL on any hypervisor: such a FAIL is the runtime's, not the instruction's.\n",
				slots[i].cf.c.id);
	for (unsigned i = 0; i < n; i++)
		if (slots[i].cf.known_reason[0])
			fprintf(f, "\n**Known divergence** in `%s`: %s (signature `%s`). The TMK expects\n"
				"the architectural (reference) outcome, so it passes under `-accel tcg` and\n"
				"FAILS under `-accel kvm` on a host with the divergence: that is the reproducer.\n",
				slots[i].cf.c.id, slots[i].cf.known_reason, slots[i].cf.known_signature);
	fprintf(f, "\n## Build\n\n    make            # gcc, ld, objcopy only -> tmk.bin (and tmk.elf)\n\n");
	fprintf(f, "## Run\n\n    %s -accel kvm\n    %s -accel tcg\n\n", qemu, qemu);
	fprintf(f, "or `make run-kvm` / `make run-tcg`; with exitdiff: `exitdiff tmk tmk.bin`\n"
		"(`--list` lists the cases, `exitdiff tmk tmk.bin ID` runs one). One case alone under\n"
		"QEMU: add `-append test=ID`.\n\n");
	fprintf(f, "QEMU's exit status comes from the isa-debug-exit port: the TMK writes 0 when every\n"
		"case passed, so QEMU exits with **1**; it writes 1 on a failure, QEMU exits with **3**.\n"
		"(Status 0 means the guest reset, e.g. a triple fault with `-no-reboot`.)\n\n");
	fprintf(f, "## Expected output (serial)\n\n```\nTMK: exitdiff test microkernel, %u case(s)\n", n);
	unsigned skipped = 0;
	for (unsigned i = 0; i < n; i++) {
		const struct exit_event *t = outcome_terminal(slots[i].g.expect);
		if (t->kind == EXIT_SHUTDOWN) {
			fprintf(f, "SKIP: %s: expected a triple fault (shutdown), which resets the guest\n",
				slots[i].cf.c.id);
			skipped++;
		} else
			fprintf(f, "START: %s\nPASS: %s\n", slots[i].cf.c.id, slots[i].cf.c.id);
	}
	fprintf(f, "SUMMARY: %u tests, 0 unexpected failures", n);
	if (skipped)
		fprintf(f, ", %u skipped", skipped);
	fprintf(f, "\n```\n\nA failing case prints `FAIL: ID: FIELD wanted 0x.. got 0x..` instead of `PASS: ID`.\n\n");
	fprintf(f, "## What a TMK can and cannot check\n\n"
		"- The I/O and MMIO *exit trace* cannot be observed from inside a guest: only its effect\n"
		"  on registers and memory is checked. Reads are answered by the platform: all ones under\n"
		"  exitdiff; under QEMU only for unassigned ports (0x60, 0x70, 0x3f8... are real devices),\n"
		"  and QEMU's unassigned MMIO at 0xc0000000 may read differently.\n"
		"- Control and segment registers are not compared: a divergence only there passes.\n"
		"- A case that ends in a triple fault resets the guest: it is reported as SKIP.\n"
		"- A case is bounded by a one-shot PIT (50 ms) delivered as an NMI; a HLT ends there too.\n"
		"- prot32 / real16 cases: the NMI's own frame below the final ESP (12 / 6 bytes), RF in a\n"
		"  prot32 fault frame on the stack and, in real16, ESP[31:16] are not compared; memory\n"
		"  outside the layout is RAM here (MMIO in exitdiff's harness).\n"
		"- See docs/tmk.md in the exitdiff tree for the design.\n");
	fclose(f);
	return 0;
}

static int run_make(const char *outdir)
{
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0) {
		ERR("fork: %s", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		dup2(2, 1); /* keep our stdout for results */
		execlp("make", "make", "-s", "-C", outdir, (char *)NULL);
		fprintf(stderr, "exitdiff export: cannot run make: %s\n", strerror(errno));
		_exit(127);
	}
	int st;
	if (waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st)) {
		ERR("%s: make failed (status 0x%x)", outdir, st);
		return -1;
	}
	return 0;
}

int tmk_export(char **paths, int n, const struct tmk_export_opts *o)
{
	if (mkdir(o->outdir, 0777) < 0 && errno != EEXIST) {
		ERR("%s: %s", o->outdir, strerror(errno));
		return -1;
	}
	struct exporter x;
	executors_open(&x, o->use_kvm);
	struct slot *slots = calloc((size_t)n, sizeof(*slots));
	unsigned ok = 0;
	int rc = 0;
	for (int i = 0; i < n; i++) {
		if (prepare(&x, paths[i], &slots[ok]) == 0)
			ok++;
		else
			fprintf(stderr, "exitdiff export: skipping %s\n", paths[i]);
	}
	executors_close(&x);
	if (!ok) {
		ERR("no cases to export");
		rc = -1;
	}
	if (rc == 0)
		rc = copy_runtime(o->outdir);
	if (rc == 0)
		rc = write_cases(o->outdir, slots, ok);
	if (rc == 0)
		rc = write_docs(o->outdir, slots, ok);
	if (rc == 0 && o->build)
		rc = run_make(o->outdir);
	if (rc == 0)
		printf("exported %u case(s) to %s%s\n", ok, o->outdir,
		       o->build ? " (built tmk.bin)" : "");
	free(slots);
	return rc;
}
