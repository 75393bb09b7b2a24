/*
 * exitdiff run --lockstep FILE.case [--against ref|unicorn] [--max-steps N]
 *
 * Single-steps the case in KVM (harness/kvm_step.c) and runs the other
 * executor for the same number of instructions (ref_run_steps, or
 * uc_run_steps), comparing after every instruction; names the first
 * instruction after which the two states part: its address, bytes and
 * Capstone mnemonic, both register states and the memory bytes that
 * differ. docs/lockstep.md explains the step rules and this KVM's
 * single-step pitfalls.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <capstone/capstone.h>
#include "case_text.h"
#include "cli.h"
#include "diff.h"
#include "kvm_internal.h"
#include "layout.h"
#include "mode.h"
#include "ref_steps.h"
#ifdef EXITDIFF_HAVE_UNICORN
#include "uc_oracle.h"
#endif

struct lockstep {
	struct session s;
	struct kvm_ctx k;
	int against_uc;
	uint32_t max_steps;
	const struct test_case *c;
	csh cs;
	int have_cs;
	uint32_t merged;   /* KVM steps that covered two instructions */
};

/* Runs the other side for n instructions. 0, or -1/-2 after a message. */
static int other_steps(struct lockstep *l, uint32_t n, struct outcome *o)
{
	int rc;
#ifdef EXITDIFF_HAVE_UNICORN
	if (l->against_uc) {
		rc = uc_run_steps(&l->s.uc, l->c, n, o);
		if (rc < 0)
			fprintf(stderr, "exitdiff run --lockstep: unicorn: %s\n", l->s.uc.err);
		return rc;
	}
#endif
	rc = ref_run_steps(&l->s.ref, l->c, n, o);
	if (rc < 0)
		fprintf(stderr, "exitdiff run --lockstep: reference: %s\n", l->s.ref.err);
	return rc;
}

static const char *other_name(const struct lockstep *l)
{
	return l->against_uc ? "unicorn" : "reference";
}

/* 1 when the outcome has ended by itself (not the step limit). */
static int ended(const struct outcome *o)
{
	const struct exit_event *t = outcome_terminal(o);
	return t && !(t->kind == EXIT_TIMEOUT && t->addr == 0);
}

/* The register fields compared after each step, as offsets into the end
 * state: a table so the comparison and the printing walk the same list. */
static const struct {
	const char *name;
	size_t off;
	int wide;      /* 1: a GPR/RIP/RFLAGS, masked to the mode's width */
} fields[] = {
#define G(r, n) { n, offsetof(struct end_state, gpr) + (r) * sizeof(uint64_t), 1 }
	G(RAX, "rax"), G(RCX, "rcx"), G(RDX, "rdx"), G(RBX, "rbx"),
	G(RSP, "rsp"), G(RBP, "rbp"), G(RSI, "rsi"), G(RDI, "rdi"),
	G(R8, "r8"), G(R9, "r9"), G(R10, "r10"), G(R11, "r11"),
	G(R12, "r12"), G(R13, "r13"), G(R14, "r14"), G(R15, "r15"),
#undef G
	{ "rip", offsetof(struct end_state, rip), 1 },
	{ "rflags", offsetof(struct end_state, rflags), 1 },
	{ "cr0", offsetof(struct end_state, cr0), 0 },
	{ "cr2", offsetof(struct end_state, cr2), 0 },
	{ "cr3", offsetof(struct end_state, cr3), 0 },
	{ "cr4", offsetof(struct end_state, cr4), 0 },
	{ "cr8", offsetof(struct end_state, cr8), 0 },
	{ "efer", offsetof(struct end_state, efer), 0 },
};
#define NFIELDS (sizeof(fields) / sizeof(fields[0]))
#define FIELD_RFLAGS 17

static uint64_t field(const struct end_state *st, unsigned i)
{
	uint64_t v;
	memcpy(&v, (const char *)st + fields[i].off, sizeof(v));
	return v;
}

/* What of field i is compared: the mode's width; in RFLAGS not the bits
 * the other side says are undefined, nor TF and RF, which single-stepping
 * may show (SDM Vol. 3B 17.3.1.4: RF is set in the frame of a fault, TF
 * is the debugger's); no GPR the other side cannot predict. */
static uint64_t field_mask(const struct lockstep *l, const struct outcome *o, unsigned i)
{
	uint64_t m = fields[i].wide ? mode_reg_mask((enum cpu_mode)l->c->mode) : ~0ull;
	if (i == FIELD_RFLAGS)
		m &= ~(o->undefined_flags | RFLAGS_TF | (1ull << 16));
	if (i < GPR_COUNT && (o->undefined_gprs >> i & 1))
		m = 0;
	return m;
}

static const uint16_t *sel_of(const struct end_state *st, unsigned i)
{
	const uint16_t *v[] = { &st->es, &st->cs, &st->ss, &st->ds, &st->fs, &st->gs };
	return v[i];
}
static const char *const sel_names[] = { "es", "cs", "ss", "ds", "fs", "gs" };

static int events_equal(const struct exit_event *a, const struct exit_event *b)
{
	return a->kind == b->kind && a->dir == b->dir && a->size == b->size &&
	       a->addr == b->addr && a->data == b->data;
}

/* Non-terminal events of o: all of them while it runs, all but the last
 * once it has a terminal one. */
static uint32_t running_events(const struct outcome *o)
{
	const struct exit_event *t = outcome_terminal(o);
	return t && exit_kind_is_terminal((enum exit_kind)t->kind) ? o->n_events - 1 : o->n_events;
}

/* 1 when the states after a step differ (neither side has ended). */
static int states_differ(const struct lockstep *l, const struct outcome *o,
			 const struct outcome *k)
{
	for (unsigned i = 0; i < NFIELDS; i++) {
		uint64_t m = field_mask(l, o, i);
		if ((field(&o->state, i) & m) != (field(&k->state, i) & m))
			return 1;
	}
	for (unsigned i = 0; i < 6; i++)
		if (*sel_of(&o->state, i) != *sel_of(&k->state, i))
			return 1;
	uint32_t no = running_events(o), nk = running_events(k);
	if (no != nk)
		return 1;
	for (uint32_t i = 0; i < no; i++)
		if (!events_equal(&o->events[i], &k->events[i]))
			return 1;
	return memcmp(o->mem, k->mem, LAYOUT_CMP_SIZE) != 0;
}

static void print_states(const struct lockstep *l, const struct outcome *o,
			 const struct outcome *k)
{
	printf("  %-8s %-20s %-20s\n", "", other_name(l), "kvm");
	for (unsigned i = 0; i < NFIELDS; i++) {
		uint64_t m = field_mask(l, o, i);
		uint64_t a = field(&o->state, i) & m, b = field(&k->state, i) & m;
		printf("%c %-8s 0x%-18llx 0x%-18llx\n", a != b ? '!' : ' ', fields[i].name,
		       (unsigned long long)a, (unsigned long long)b);
	}
	for (unsigned i = 0; i < 6; i++) {
		uint16_t a = *sel_of(&o->state, i), b = *sel_of(&k->state, i);
		printf("%c %-8s 0x%-18x 0x%-18x\n", a != b ? '!' : ' ', sel_names[i], a, b);
	}
	uint32_t no = running_events(o), nk = running_events(k);
	for (uint32_t i = 0; i < no || i < nk; i++) {
		const struct exit_event *a = i < no ? &o->events[i] : NULL;
		const struct exit_event *b = i < nk ? &k->events[i] : NULL;
		printf("%c event%-3u %-20s %-20s\n", a && b && events_equal(a, b) ? ' ' : '!', i,
		       a ? exit_kind_name((enum exit_kind)a->kind) : "-",
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

/* Prints "0x10000: f3 0f bc c1  tzcnt eax, ecx" for the instruction at
 * linear address la in the guest's RAM. */
static void print_insn(struct lockstep *l, uint64_t la, uint64_t rip, uint32_t step)
{
	uint8_t b[15];
	unsigned n = 0;
	while (n < sizeof(b) && la + n < LAYOUT_RAM_SIZE) {
		b[n] = l->k.ram[la + n];
		n++;
	}
	cs_insn *insn = NULL;
	size_t got = l->have_cs && n ? cs_disasm(l->cs, b, n, rip, 1, &insn) : 0;
	printf("  instruction #%u at 0x%llx:", step, (unsigned long long)rip);
	unsigned len = got ? insn[0].size : (n < 4 ? n : 4);
	for (unsigned i = 0; i < len; i++)
		printf(" %02x", b[i]);
	if (got)
		printf("  %s %s\n", insn[0].mnemonic, insn[0].op_str);
	else
		printf("  (%s)\n", n ? "undecodable" : "outside RAM");
	if (got)
		cs_free(insn, got);
}

/* Compares two ended outcomes the way `exitdiff run` does. Returns the
 * exit code. */
static int final_verdict(struct lockstep *l, const struct outcome *o, struct outcome *k,
			 uint32_t step, uint64_t la, uint64_t rip)
{
	struct divergence d;
	/* Measured: an exception delivered while stepping pushes RFLAGS with
	 * the TF that KVM sets for single-stepping, and the frame is where
	 * the end state's RFLAGS comes from. TF is never the case's. */
	k->state.rflags &= ~(uint64_t)RFLAGS_TF;
	const struct exit_event *kend = outcome_terminal(k);
	if (l->c->mode != MODE_LONG64 && kend && kend->kind == EXIT_EXCEPTION) {
		/* Outside long mode that frame is on the case's stack, in the
		 * compared memory: its EFLAGS image has the same TF. RSP is
		 * past the frame now; EFLAGS was its last slot (mode.c). */
		uint64_t slot = l->c->mode == MODE_REAL16 ?
			((uint64_t)k->state.ss << 4) + (uint16_t)(k->state.gpr[RSP] - 2) :
			(uint32_t)(k->state.gpr[RSP] - 4);
		uint64_t byte = slot + 1; /* TF is bit 8 */
		if (byte >= LAYOUT_CMP_BASE && byte < LAYOUT_CMP_BASE + LAYOUT_CMP_SIZE)
			k->mem[byte - LAYOUT_CMP_BASE] &= (uint8_t)~1u;
	}
	/* KVM has no event yet when the other side ended unsupported while
	 * KVM was still stepping. */
	const struct exit_event *kt = outcome_terminal(k), *ot = outcome_terminal(o);
	if (kt && ot && kt->kind == EXIT_EXCEPTION && kt->addr == 1 &&
	    !(ot->kind == EXIT_EXCEPTION && ot->addr == 1)) {
		/* Measured on kvm_pvm at CPL3 (native code): the single-step
		 * trap is not turned into KVM_EXIT_DEBUG but delivered to the
		 * guest as #DB. Nothing can be said about the case then. */
		printf("not compared: single-stepping leaked into the guest as #DB at step %u "
		       "(this KVM does not single-step natively run code, e.g. CPL3)\n", step);
		return EXIT_USAGE;
	}
	enum verdict v = outcome_diff(o, k, &d);
	/* Outside long mode the reference runs the stub's HLT as one more
	 * instruction after delivering an exception; KVM's step covered it. */
	uint32_t stub_step = l->c->mode != MODE_LONG64 && ot && ot->kind == EXIT_EXCEPTION;
	if (v == VERDICT_AGREE && o->steps > step + stub_step + l->merged)
		/* Measured on kvm_pvm: natively run code (CPL3) is not
		 * single-stepped, so one "step" ran the rest of the case. */
		printf("note: KVM ran %u instructions in %u steps (the %s counted %u): "
		       "single-step did not stop it everywhere, so the step named is the "
		       "last one KVM stopped at\n", o->steps, step, other_name(l), o->steps);
	if (v == VERDICT_AGREE) {
		printf("no divergence in %u steps (both end %s)\n", step,
		       kt ? exit_kind_name((enum exit_kind)kt->kind) : "-");
		return EXIT_AGREE;
	}
	if (v == VERDICT_UNSUPPORTED) {
		printf("not compared: the %s does not model '%s' (step %u)\n", other_name(l),
		       o->mnemonic, step);
		return EXIT_AGREE;
	}
	char line[256];
	divergence_describe(&d, line, sizeof(line));
	printf("first divergence at step %u: %s\n", step, d.signature);
	print_insn(l, la, rip, step);
	printf("  %s\n", line);
	printf("  ends: %s %s, kvm %s\n", other_name(l),
	       ot ? exit_kind_name((enum exit_kind)ot->kind) : "-",
	       kt ? exit_kind_name((enum exit_kind)kt->kind) : "(still running)");
	print_states(l, o, k);
	return EXIT_DIVERGE;
}

static int lockstep_run(struct lockstep *l)
{
	struct outcome *o = malloc(sizeof(*o)), *k = malloc(sizeof(*k)), *o2 = malloc(sizeof(*o2));
	struct kvm_step st;
	char err[320];
	int rc = EXIT_USAGE;
	if (!o || !k || !o2) {
		fprintf(stderr, "exitdiff run --lockstep: out of memory\n");
		goto out;
	}
	outcome_init(k);
	int b = kvm_step_begin(&st, &l->k, l->c, err, sizeof(err));
	if (b < 0) {
		fprintf(stderr, "exitdiff run --lockstep: %s\n", err);
		goto out;
	}
	uint32_t step = 0;
	for (;;) {
		/* The instruction this step runs, named by KVM's RIP: up to
		 * here both states were equal. */
		uint64_t rip = kvm_regs_of(&l->k)->rip & mode_reg_mask((enum cpu_mode)l->c->mode);
		uint64_t la = kvm_sregs_of(&l->k)->cs.base + rip;
		int r = kvm_step_next(&st, k, err, sizeof(err));
		if (r < 0) {
			fprintf(stderr, "exitdiff run --lockstep: case %s, step %u: %s\n", l->c->id,
				step + 1, err);
			break;
		}
		step++;
		/* When KVM has ended, the other side runs to its own end:
		 * the final comparison is then the one `exitdiff run` makes
		 * (same signature), and an exception delivered outside long
		 * mode, one more instruction (the stub's HLT) for the
		 * reference but part of KVM's step, needs no special case. */
		int b2 = other_steps(l, r == 0 ? REF_STEP_BUDGET : step + l->merged, o);
		if (b2 < 0) {
			rc = EXIT_USAGE;
			break;
		}
		if (r == 1 && ended(o)) {
			if (outcome_terminal(o)->kind == EXIT_UNSUPPORTED) {
				rc = final_verdict(l, o, k, step, la, rip);
				break;
			}
			/* The other side ended here: so must KVM, one step on. */
			r = kvm_step_next(&st, k, err, sizeof(err));
			if (r < 0) {
				fprintf(stderr, "exitdiff run --lockstep: case %s: %s\n", l->c->id, err);
				break;
			}
			if (r == 1) {
				struct exit_event t = { .kind = EXIT_OTHER, .addr = 4 /* debug */ };
				outcome_push(k, &t);
			}
		}
		if (r == 0 || ended(o)) {
			rc = final_verdict(l, o, k, step, la, rip);
			break;
		}
		if (states_differ(l, o, k) && o2 &&
		    other_steps(l, step + l->merged + 1, o2) == 0 && !ended(o2) &&
		    !states_differ(l, o2, k)) {
			/* Measured on kvm_pvm: after some instructions
			 * (SWAPGS) the debug exit comes only after the next
			 * one. KVM's state equals the other side's one
			 * instruction later: a merged step, not a divergence. */
			printf("note: KVM's step %u covered two instructions (from 0x%llx); the %s "
			       "agrees one instruction later\n", step, (unsigned long long)rip,
			       other_name(l));
			l->merged++;
			struct outcome *t = o;
			o = o2;
			o2 = t;
		} else if (states_differ(l, o, k)) {
			printf("first divergence at step %u: the states part after this instruction\n",
			       step);
			print_insn(l, la, rip, step);
			print_states(l, o, k);
			rc = EXIT_DIVERGE;
			break;
		}
		if (step >= l->max_steps) {
			printf("no divergence in %u steps (the step limit; neither side has ended)\n",
			       step);
			rc = EXIT_AGREE;
			break;
		}
	}
	printf("kvm: %u debug exits, %u merged inside REP instructions, %u I/O steps completed "
	       "by an immediate exit\n", st.debug_exits, st.rep_merged, st.io_completions);
	kvm_step_end(&st);
out:
	free(o);
	free(o2);
	free(k);
	return rc;
}

int cmd_lockstep(int argc, char **argv)
{
	static struct lockstep l;
	const char *file = NULL;
	l.max_steps = REF_STEP_BUDGET;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--lockstep"))
			continue;
		if (!strcmp(argv[i], "--against") && i + 1 < argc) {
			const char *a = argv[++i];
			if (strcmp(a, "ref") && strcmp(a, "unicorn")) {
				cli_error("run", "--against takes ref or unicorn, not '%s'", a);
				return EXIT_USAGE;
			}
			l.against_uc = !strcmp(a, "unicorn");
		} else if (!strcmp(argv[i], "--max-steps") && i + 1 < argc) {
			uint64_t n;
			if (cli_parse_u64(argv[++i], &n) < 0 || n == 0 || n > REF_STEP_BUDGET) {
				cli_error("run", "--max-steps wants 1..%u", REF_STEP_BUDGET);
				return EXIT_USAGE;
			}
			l.max_steps = (uint32_t)n;
		} else if (argv[i][0] == '-' || file) {
			cli_error("run", "usage: exitdiff run --lockstep FILE.case [--against ref|unicorn] "
				  "[--max-steps N] (one file; '%s' not understood)", argv[i]);
			return EXIT_USAGE;
		} else {
			file = argv[i];
		}
	}
	if (!file) {
		cli_error("run", "--lockstep needs one case file");
		return EXIT_USAGE;
	}
	struct case_file *cf = malloc(sizeof(*cf));
	struct outcome *probe = malloc(sizeof(*probe));
	char err[512];
	int rc = EXIT_USAGE;
	if (!cf || !probe) {
		cli_error("run", "out of memory");
		goto out;
	}
	if (case_load(file, cf, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		goto out;
	}
	l.c = &cf->c;
	if (session_open(&l.s, NEED_KVM | NEED_REF | (l.against_uc ? NEED_UNICORN : 0)) < 0)
		goto out;
	/* The KVM executor runs the case once normally: a mode it cannot
	 * run yet is refused here with its own message. */
	if (l.s.kvm.ops->run(&l.s.kvm, l.c, probe) < 0) {
		fprintf(stderr, "exitdiff run --lockstep: %s\n", l.s.kvm.err);
		session_close(&l.s);
		goto out;
	}
	if (kvm_vm_open(&l.k, err, sizeof(err)) < 0) {
		fprintf(stderr, "exitdiff run --lockstep: %s\n", err);
		kvm_vm_close(&l.k);
		session_close(&l.s);
		goto out;
	}
	struct mode_env env;
	mode_env_init(&env, (enum cpu_mode)l.c->mode, l.c->knobs);
	l.have_cs = cs_open(CS_ARCH_X86, env.code_bits == 16 ? CS_MODE_16 :
			    env.code_bits == 32 ? CS_MODE_32 : CS_MODE_64, &l.cs) == CS_ERR_OK;
	printf("== %s (%s): lockstep kvm against the %s, mode %s\n", l.c->id, file,
	       other_name(&l), mode_name((enum cpu_mode)l.c->mode));
	rc = lockstep_run(&l);
	if (l.have_cs)
		cs_close(&l.cs);
	kvm_vm_close(&l.k);
	session_close(&l.s);
out:
	free(cf);
	free(probe);
	return rc;
}
