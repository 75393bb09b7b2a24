/*
 * exitdiff run --lockstep FILE.case [--stepped kvm|native]
 *                                   [--against ref|unicorn|native] [--max-steps N]
 *
 * Steps the case in KVM (or the host CPU) against the reference, Unicorn
 * or the host CPU with the lockstep engine (core/lockstep.c) and prints what it found: the first
 * instruction after which the two states part (its address, bytes and
 * Capstone mnemonic), both register states and the memory bytes that
 * differ. docs/lockstep.md explains the step rules and this KVM's
 * single-step pitfalls.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "case_text.h"
#include "cli.h"
#include "layout.h"
#include "lockstep.h"
#include "mode.h"
#include "show.h"

static const char *const sel_names[] = { "es", "cs", "ss", "ds", "fs", "gs" };

static uint16_t sel_of(const struct end_state *st, unsigned i)
{
	const uint16_t v[] = { st->es, st->cs, st->ss, st->ds, st->fs, st->gs };
	return v[i];
}

/* The executors a lockstep run can pair: the stepped side needs a real
 * trap after each instruction or an exact instruction count (KVM, the
 * host CPU), the other side any step operations. */
static const struct {
	const char *arg, *shown;
	unsigned need;
	size_t off;      /* of its struct executor in struct session */
	int can_be_stepped;
} sides[] = {
	{ "kvm", "kvm", NEED_KVM, offsetof(struct session, kvm), 1 },
	{ "native", "cpu", NEED_NATIVE, offsetof(struct session, native), 1 },
	{ "ref", "reference", NEED_REF, offsetof(struct session, ref), 0 },
	{ "unicorn", "unicorn", NEED_UNICORN, offsetof(struct session, uc), 0 },
};
#define NSIDES (sizeof(sides) / sizeof(sides[0]))

static int side_named(const char *arg)
{
	for (unsigned i = 0; i < NSIDES; i++)
		if (!strcmp(sides[i].arg, arg))
			return (int)i;
	return -1;
}

static const char *stepped_name = "kvm";

static void print_states(const struct lockstep *l, const char *other)
{
	const struct outcome *o = l->theirs, *k = l->mine;
	enum cpu_mode m = (enum cpu_mode)l->c->mode;
	printf("  %-8s %-20s %-20s\n", "", other, stepped_name);
	for (unsigned i = 0; i < lockstep_field_count(); i++) {
		uint64_t mask = lockstep_field_mask(m, o, i);
		uint64_t a = lockstep_field(&o->state, i) & mask, b = lockstep_field(&k->state, i) & mask;
		printf("%c %-8s 0x%-18llx 0x%-18llx\n", a != b ? '!' : ' ', lockstep_field_name(i),
		       (unsigned long long)a, (unsigned long long)b);
	}
	for (unsigned i = 0; i < 6; i++) {
		uint16_t a = sel_of(&o->state, i), b = sel_of(&k->state, i);
		printf("%c %-8s 0x%-18x 0x%-18x\n", a != b ? '!' : ' ', sel_names[i], a, b);
	}
	uint32_t no = lockstep_running_events(o), nk = lockstep_running_events(k);
	for (uint32_t i = 0; i < no || i < nk; i++) {
		const struct exit_event *a = i < no ? &o->events[i] : NULL;
		const struct exit_event *b = i < nk ? &k->events[i] : NULL;
		printf("%c event%-3u %-20s %-20s\n", a && b && lockstep_events_equal(a, b) ? ' ' : '!',
		       i, a ? exit_kind_name((enum exit_kind)a->kind) : "-",
		       b ? exit_kind_name((enum exit_kind)b->kind) : "-");
	}
	unsigned shown = 0, total = 0;
	for (uint32_t i = 0; i < LAYOUT_CMP_SIZE; i++) {
		if (o->mem[i] == k->mem[i])
			continue;
		if (shown++ < 16)
			printf("! mem[0x%05x] 0x%02x%18s 0x%02x\n", LAYOUT_CMP_BASE + i, o->mem[i], "",
			       k->mem[i]);
		total++;
	}
	if (total > 16)
		printf("  ... %u differing memory bytes in all\n", total);
}

/* The report of a run; returns the exit code. */
static int report(const struct lockstep *l, const char *other)
{
	for (uint32_t i = 0; i < l->merged && i < LOCKSTEP_MERGES_SHOWN; i++)
		printf("note: the %s's step %u covered two instructions (from 0x%llx); the %s "
		       "agrees one instruction later\n", stepped_name, l->merges[i].step,
		       (unsigned long long)l->merges[i].rip, other);
	const struct exit_event *kt = outcome_terminal(l->mine), *ot = outcome_terminal(l->theirs);
	char line[256];
	switch (l->end) {
	case LOCKSTEP_LEAK:
		printf("not compared: single-stepping leaked into the guest as #DB at step %u "
		       "(this KVM does not single-step natively run code, e.g. CPL3)\n", l->step);
		return EXIT_USAGE;
	case LOCKSTEP_AGREE:
		if (l->undercounted)
			printf("note: the %s ran %u instructions in %u steps (the %s counted %u): "
			       "single-step did not stop it everywhere, so the step named is the "
			       "last one it stopped at\n", stepped_name, l->theirs->steps, l->step,
			       other, l->theirs->steps);
		printf("no divergence in %u steps (both end %s)\n", l->step,
		       kt ? exit_kind_name((enum exit_kind)kt->kind) : "-");
		return EXIT_AGREE;
	case LOCKSTEP_LIMIT:
		printf("no divergence in %u steps (the step limit; neither side has ended)\n",
		       l->step);
		return EXIT_AGREE;
	case LOCKSTEP_UNSUPPORTED: {
		/* Either side may be the one that cannot run the case on. */
		int mine = kt && kt->kind == EXIT_UNSUPPORTED;
		printf("not compared: the %s does not model '%s' (step %u)\n",
		       mine ? stepped_name : other, mine ? l->mine->mnemonic : l->theirs->mnemonic,
		       l->step);
		return EXIT_AGREE;
	}
	case LOCKSTEP_PART:
		printf("first divergence at step %u: the states part after this instruction\n",
		       l->step);
		show_lockstep_insn(stdout, l);
		print_states(l, other);
		return EXIT_DIVERGE;
	case LOCKSTEP_DIVERGE:
		divergence_describe(&l->d, line, sizeof(line));
		printf("first divergence at step %u: %s\n", l->step, l->d.signature);
		show_lockstep_insn(stdout, l);
		printf("  %s\n", line);
		printf("  ends: %s %s, %s %s\n", other,
		       ot ? exit_kind_name((enum exit_kind)ot->kind) : "-", stepped_name,
		       kt ? exit_kind_name((enum exit_kind)kt->kind) : "(still running)");
		print_states(l, other);
		return EXIT_DIVERGE;
	}
	return EXIT_USAGE;
}

int cmd_lockstep(int argc, char **argv)
{
	static struct lockstep l;
	const char *file = NULL;
	int stepped = side_named("kvm"), other = side_named("ref");
	l.max_steps = REF_STEP_BUDGET;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--lockstep"))
			continue;
		if (!strcmp(argv[i], "--against") && i + 1 < argc) {
			const char *a = argv[++i];
			other = side_named(a);
			if (other < 0 || !strcmp(a, "kvm")) {
				cli_error("run", "--against takes ref, unicorn or native, not '%s'", a);
				return EXIT_USAGE;
			}
		} else if (!strcmp(argv[i], "--stepped") && i + 1 < argc) {
			const char *a = argv[++i];
			stepped = side_named(a);
			if (stepped < 0 || !sides[stepped].can_be_stepped) {
				cli_error("run", "--stepped takes kvm or native, not '%s'", a);
				return EXIT_USAGE;
			}
		} else if (!strcmp(argv[i], "--max-steps") && i + 1 < argc) {
			uint64_t n;
			if (cli_parse_u64(argv[++i], &n) < 0 || n == 0 || n > REF_STEP_BUDGET) {
				cli_error("run", "--max-steps wants 1..%u", REF_STEP_BUDGET);
				return EXIT_USAGE;
			}
			l.max_steps = (uint32_t)n;
		} else if (argv[i][0] == '-' || file) {
			cli_error("run", "usage: exitdiff run --lockstep FILE.case [--stepped kvm|native] "
				  "[--against ref|unicorn|native] [--max-steps N] (one file; '%s' not "
				  "understood)", argv[i]);
			return EXIT_USAGE;
		} else {
			file = argv[i];
		}
	}
	if (!file) {
		cli_error("run", "--lockstep needs one case file");
		return EXIT_USAGE;
	}
	if (stepped == other) {
		cli_error("run", "--lockstep: the %s against itself says nothing", sides[other].arg);
		return EXIT_USAGE;
	}
	struct case_file *cf = malloc(sizeof(*cf));
	char err[512];
	int rc = EXIT_USAGE;
	struct session s;
	if (!cf) {
		cli_error("run", "out of memory");
		goto out;
	}
	if (case_load(file, cf, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		goto out;
	}
	l.c = &cf->c;
	/* The native executor refuses with the reference's CPUID table:
	 * KVM's calibration fills it, so KVM is always opened. */
	if (session_open(&s, NEED_KVM | NEED_REF | sides[stepped].need | sides[other].need) < 0)
		goto out;
	l.stepped = (struct executor *)((char *)&s + sides[stepped].off);
	l.other = (struct executor *)((char *)&s + sides[other].off);
	stepped_name = sides[stepped].shown;
	const char *oname = sides[other].shown;
	printf("== %s (%s): lockstep %s against the %s, mode %s\n", l.c->id, file, stepped_name,
	       oname, mode_name((enum cpu_mode)l.c->mode));
	if (lockstep_run(&l) < 0)
		fprintf(stderr, "exitdiff run --lockstep: %s\n", l.err);
	else
		rc = report(&l, oname);
	if (l.note[0])
		printf("%s\n", l.note);
	lockstep_free(&l);
	session_close(&s);
out:
	free(cf);
	return rc;
}
