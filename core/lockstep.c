/*
 * The lockstep engine (core/lockstep.h). The step rules below were each
 * measured on KVM (kvm_pvm); docs/lockstep.md lists them with the
 * figures. They only ever merge or end steps, so they stay sound where the
 * stepped executor behaves architecturally.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "config.h"
#include "layout.h"
#include "lockstep.h"
#include "mode.h"

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
_Static_assert(FIELD_RFLAGS == GPR_COUNT + 1, "rflags follows the GPRs and RIP");

unsigned lockstep_field_count(void)
{
	return NFIELDS;
}

const char *lockstep_field_name(unsigned i)
{
	return fields[i].name;
}

uint64_t lockstep_field(const struct end_state *st, unsigned i)
{
	uint64_t v;
	memcpy(&v, (const char *)st + fields[i].off, sizeof(v));
	return v;
}

/* SDM Vol. 3B 17.3.1.4: RF is set in the frame of a fault, TF is the
 * debugger's: single-stepping may show either. */
uint64_t lockstep_field_mask(enum cpu_mode m, const struct outcome *theirs, unsigned i)
{
	uint64_t mask = fields[i].wide ? mode_reg_mask(m) : ~0ull;
	if (i == FIELD_RFLAGS)
		mask &= ~(theirs->undefined_flags | RFLAGS_TF | (1ull << 16));
	if (i < GPR_COUNT && (theirs->undefined_gprs >> i & 1))
		mask = 0;
	return mask;
}

int lockstep_events_equal(const struct exit_event *a, const struct exit_event *b)
{
	return a->kind == b->kind && a->dir == b->dir && a->size == b->size &&
	       a->addr == b->addr && a->data == b->data;
}

uint32_t lockstep_running_events(const struct outcome *o)
{
	const struct exit_event *t = outcome_terminal(o);
	return t && exit_kind_is_terminal((enum exit_kind)t->kind) ? o->n_events - 1 : o->n_events;
}

/* 1 when the outcome has ended by itself (not by its step bound). */
static int ended(const struct outcome *o)
{
	const struct exit_event *t = outcome_terminal(o);
	return t && !(t->kind == EXIT_TIMEOUT && t->addr == 0);
}

static uint16_t sel(const struct end_state *st, unsigned i)
{
	const uint16_t v[] = { st->es, st->cs, st->ss, st->ds, st->fs, st->gs };
	return v[i];
}

/* 1 when the states after a step differ (neither side has ended). */
static int states_differ(const struct lockstep *l, const struct outcome *o,
			 const struct outcome *k)
{
	enum cpu_mode m = (enum cpu_mode)l->c->mode;
	for (unsigned i = 0; i < NFIELDS; i++) {
		uint64_t mask = lockstep_field_mask(m, o, i);
		if ((lockstep_field(&o->state, i) & mask) != (lockstep_field(&k->state, i) & mask))
			return 1;
	}
	for (unsigned i = 0; i < 6; i++)
		if (sel(&o->state, i) != sel(&k->state, i))
			return 1;
	uint32_t no = lockstep_running_events(o), nk = lockstep_running_events(k);
	if (no != nk)
		return 1;
	for (uint32_t i = 0; i < no; i++)
		if (!lockstep_events_equal(&o->events[i], &k->events[i]))
			return 1;
	return memcmp(o->mem, k->mem, LAYOUT_CMP_SIZE) != 0;
}

/* Where the next instruction of the stepped side is: its RIP and linear
 * address. Before the first step, the mode's start. The layout's GDT
 * descriptors of the mode are the only ones a case runs with, so CS's
 * base is the mode's (real mode: selector * 16). */
static void next_insn(const struct lockstep *l, const struct mode_env *env, uint32_t step,
		      uint64_t *rip, uint64_t *la)
{
	enum cpu_mode m = (enum cpu_mode)l->c->mode;
	if (step == 0) {
		*rip = env->rip;
		*la = env->seg[SR_CS].base + env->rip;
		return;
	}
	*rip = l->mine->state.rip & mode_reg_mask(m);
	uint16_t cs = l->mine->state.cs;
	uint64_t base = mode_real_segs(m) ? mode_cs_base(m, cs, l->mine->state.rflags) :
			cs == env->seg[SR_CS].sel ? env->seg[SR_CS].base : 0;
	*la = base + *rip;
}

/* Compares two ended outcomes the way `exitdiff run` does. */
static void final_verdict(struct lockstep *l, uint32_t step)
{
	struct outcome *o = l->theirs, *k = l->mine;
	enum cpu_mode m = (enum cpu_mode)l->c->mode;
	l->step = step;
	/* Measured: an exception delivered while stepping pushes RFLAGS with
	 * the TF that KVM sets for single-stepping, and the frame is where
	 * the end state's RFLAGS comes from. TF is never the case's. */
	k->state.rflags &= ~(uint64_t)RFLAGS_TF;
	const struct exit_event *kt = outcome_terminal(k), *ot = outcome_terminal(o);
	if (!mode_long(m) && m != MODE_V86 && kt && kt->kind == EXIT_EXCEPTION) {
		/* Outside long mode that frame is on the case's stack, in the
		 * compared memory: its EFLAGS image has the same TF. RSP is
		 * past the frame now; EFLAGS was its last slot (mode.c). v86's
		 * frame is on SS0:ESP0, outside the compared memory. */
		uint64_t slot = m == MODE_REAL16 ?
			((uint64_t)k->state.ss << 4) + (uint16_t)(k->state.gpr[RSP] - 2) :
			(uint32_t)(k->state.gpr[RSP] - 4);
		uint64_t byte = slot + 1; /* TF is bit 8 */
		if (byte >= LAYOUT_CMP_BASE && byte < LAYOUT_CMP_BASE + LAYOUT_CMP_SIZE)
			k->mem[byte - LAYOUT_CMP_BASE] &= (uint8_t)~1u;
		k->mem_stamp = 0; /* mem no longer what a reference run wrote */
	}
	if (kt && ot && kt->kind == EXIT_EXCEPTION && kt->addr == 1 &&
	    !(ot->kind == EXIT_EXCEPTION && ot->addr == 1)) {
		/* Measured on kvm_pvm at CPL3 (native code): the single-step
		 * trap is not turned into KVM_EXIT_DEBUG but delivered to the
		 * guest as #DB. Nothing can be said about the case then. */
		l->end = LOCKSTEP_LEAK;
		return;
	}
	enum verdict v = outcome_diff(o, k, &l->d);
	/* Outside long mode the reference runs the stub's HLT as one more
	 * instruction after delivering an exception; KVM's step covered it. */
	uint32_t stub_step = !mode_long(m) && ot && ot->kind == EXIT_EXCEPTION;
	if (v == VERDICT_AGREE) {
		/* Measured on kvm_pvm: natively run code (CPL3) is not
		 * single-stepped, so one "step" ran the rest of the case. */
		l->undercounted = o->steps > step + stub_step + l->merged;
		l->end = LOCKSTEP_AGREE;
	} else {
		l->end = v == VERDICT_UNSUPPORTED ? LOCKSTEP_UNSUPPORTED : LOCKSTEP_DIVERGE;
	}
}

static int failed(struct lockstep *l, const struct executor *ex, const char *where)
{
	snprintf(l->err, sizeof(l->err), "%.63s%.15s: %.600s", where, ex->ops->name, ex->err);
	return -1;
}

/* The steps. Returns 0 with l->end, or -1 with l->err. */
static int steps(struct lockstep *l, struct outcome *spare)
{
	struct executor *kx = l->stepped, *ox = l->other;
	struct outcome *o = l->theirs, *k = l->mine;
	struct mode_env env;
	char where[64];
	mode_env_init(&env, (enum cpu_mode)l->c->mode, l->c->knobs);
	for (uint32_t step = 0;;) {
		/* The instruction this step runs: up to here both states were
		 * equal. */
		next_insn(l, &env, step, &l->rip, &l->la);
		int r = kx->ops->step(kx, 1, k);
		if (r < 0) {
			snprintf(where, sizeof(where), "case %.36s, step %u: ", l->c->id, step + 1);
			return failed(l, kx, where);
		}
		step++;
		l->step = step;
		/* When the stepped side has ended, the other runs to its own
		 * end: the final comparison is then the one `exitdiff run`
		 * makes (same signature), and an exception delivered outside
		 * long mode, one more instruction (the stub's HLT) for the
		 * reference but part of KVM's step, needs no special case. */
		if (ox->ops->step(ox, r == EXEC_ENDED ? REF_STEP_BUDGET : 1, o) < 0)
			return failed(l, ox, "");
		if (r == EXEC_STEPPED && ended(o)) {
			if (outcome_terminal(o)->kind == EXIT_UNSUPPORTED) {
				final_verdict(l, step);
				return 0;
			}
			/* The other side ended here: so must the stepped one,
			 * one step on. */
			r = kx->ops->step(kx, 1, k);
			if (r < 0) {
				snprintf(where, sizeof(where), "case %.40s: ", l->c->id);
				return failed(l, kx, where);
			}
			if (r == EXEC_STEPPED) {
				struct exit_event t = { .kind = EXIT_OTHER, .addr = 4 /* debug */ };
				outcome_push(k, &t);
			}
		}
		if (r == EXEC_ENDED || ended(o)) {
			final_verdict(l, step);
			return 0;
		}
		if (states_differ(l, o, k)) {
			/* Measured on kvm_pvm: after some instructions (SWAPGS)
			 * the debug exit comes only after the next one. The
			 * stepped state equals the other side's one instruction
			 * later: a merged step, not a divergence. */
			memcpy(spare, o, sizeof(*o));
			if (ox->ops->step(ox, 1, spare) >= 0 && !ended(spare) &&
			    !states_differ(l, spare, k)) {
				if (l->merged < LOCKSTEP_MERGES_SHOWN) {
					l->merges[l->merged].step = step;
					l->merges[l->merged].rip = l->rip;
				}
				l->merged++;
				l->theirs = spare;
				spare = o;
				o = l->theirs;
			} else {
				l->end = LOCKSTEP_PART;
				return 0;
			}
		}
		if (step >= l->max_steps) {
			l->end = LOCKSTEP_LIMIT;
			return 0;
		}
	}
}

int lockstep_run(struct lockstep *l)
{
	struct executor *kx = l->stepped, *ox = l->other;
	struct outcome *spare = malloc(sizeof(*spare));
	struct outcome *theirs = malloc(sizeof(*theirs));
	l->theirs = theirs;
	l->mine = malloc(sizeof(*l->mine));
	l->merged = 0;
	l->undercounted = 0;
	l->note[0] = l->err[0] = 0;
	int rc = -1;
	if (!spare || !theirs || !l->mine) {
		snprintf(l->err, sizeof(l->err), "out of memory");
		goto out;
	}
	if (!kx->ops->step_begin || !ox->ops->step_begin) {
		snprintf(l->err, sizeof(l->err), "the %s executor cannot step",
			 kx->ops->step_begin ? ox->ops->name : kx->ops->name);
		goto out;
	}
	if (kx->ops->step_begin(kx, l->c, l->mine) < 0) {
		snprintf(l->err, sizeof(l->err), "%s", kx->err);
		goto out;
	}
	if (ox->ops->step_begin(ox, l->c, theirs) < 0)
		rc = failed(l, ox, "");
	else
		rc = steps(l, spare);
	char none[1];
	ox->ops->step_end(ox, none, sizeof(none));
	kx->ops->step_end(kx, l->note, sizeof(l->note));
out:
	/* A merged step swaps the other side's outcome with the spare one. */
	free(l->theirs == spare ? theirs : spare);
	return rc;
}

void lockstep_free(struct lockstep *l)
{
	free(l->theirs);
	free(l->mine);
	l->theirs = l->mine = NULL;
}
