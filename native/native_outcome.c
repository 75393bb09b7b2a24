/* The child's report -> an outcome in the KVM executor's terms.
 *
 * Linux turns each CPU exception taken at CPL3 into a signal and leaves the
 * vector in the ucontext's TRAPNO and the error code in ERR
 * (arch/x86/kernel/traps.c, fault.c; the sigcontext's trapno/err):
 *   SIGFPE  0 #DE, 16 #MF, 19 #XM      SIGILL  6 #UD
 *   SIGSEGV 13 #GP, 14 #PF, 5 #BR      SIGBUS  12 #SS, 11 #NP, 17 #AC
 *   SIGTRAP 1 #DB, 3 #BP (traps: RIP is after the instruction, as in the
 *           guest's frame)
 * SIGSYS is the seccomp filter (a system call the case tried), SIGVTALRM
 * the budget. Faults report RIP of the faulting instruction, like the
 * guest's frame. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <linux/audit.h>
#include "mode.h"
#include "native_internal.h"
#include "native_outcome.h"

/* The vector behind a signal, or -1 when the pair makes no sense (a
 * signal the kernel sent for another reason). */
static int vector_of(int signo, uint64_t trapno)
{
	static const struct { int signo; uint8_t vectors[4]; uint8_t n; } map[] = {
		{ SIGFPE, { 0, 16, 19 }, 3 },
		{ SIGILL, { 6 }, 1 },
		{ SIGSEGV, { 13, 14, 5, 12 }, 4 },
		{ SIGBUS, { 12, 11, 17 }, 3 },
		{ SIGTRAP, { 1, 3 }, 2 },
	};
	for (unsigned i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		for (unsigned j = 0; map[i].signo == signo && j < map[i].n; j++)
			if (map[i].vectors[j] == trapno)
				return (int)trapno;
	return -1;
}

static void end(struct outcome *o, enum exit_kind k, uint64_t addr, uint64_t rip,
		const char *mnemonic)
{
	struct exit_event e = { .kind = (uint8_t)k, .addr = addr, .rip = rip };
	outcome_push(o, &e);
	if (mnemonic)
		snprintf(o->mnemonic, sizeof(o->mnemonic), "%s", mnemonic);
}

/* The #PF error code as the guest would see it. The native run leaves
 * unmapped what the guest maps for the supervisor only (system pages, the
 * IST stack), and Linux sets P for any address above the user range
 * (fault.c: "error_code |= X86_PF_PROT"); the layout says which pages are
 * present, so P comes from it (SDM Vol. 3A 4.7). */
static uint32_t pf_error_code(uint64_t err, uint64_t cr2)
{
	uint32_t e = (uint32_t)err & ~1u;
	if (layout_page_flags(cr2) & PTE_P)
		e |= 1u;
	return e;
}

static void state_from(struct outcome *o, const struct native_report *r,
		       const struct test_case *c)
{
	struct end_state *s = &o->state;
	memcpy(s->gpr, r->gpr, sizeof(s->gpr));
	s->rip = r->rip;
	/* RFLAGS as the CPU pushed it (RF set for faults, SDM Vol. 3A
	 * 17.3.1.1), but IF clear: the environment runs with IF=0 and CPL3
	 * code cannot change IF (POPF leaves it at IOPL 0), while the host
	 * runs user code with IF=1. A PUSHF image in memory still carries
	 * the host's IF=1 (docs/native.md). */
	s->rflags = r->rflags & ~(uint64_t)RFLAGS_IF;
	memcpy(s->xmm, r->xmm, sizeof(s->xmm));
	/* The native run sees none of the system registers: they are the
	 * environment's (core/mode.c), which no CPL3 instruction changes. */
	struct mode_env env;
	mode_env_init(&env, (enum cpu_mode)c->mode, c->knobs);
	s->cr0 = env.cr0;
	s->cr3 = env.cr3;
	s->cr4 = env.cr4;
	s->efer = env.efer;
	s->cs = env.seg[SR_CS].sel;
	s->ds = env.seg[SR_DS].sel;
	s->es = env.seg[SR_ES].sel;
	s->fs = env.seg[SR_FS].sel;
	s->gs = env.seg[SR_GS].sel;
	s->ss = env.seg[SR_SS].sel;
	layout_case_window(o->mem, c->code, c->code_len, c->data, c->data_len);
	memcpy(o->mem + (LAYOUT_CODE - LAYOUT_CMP_BASE), r->code, sizeof(r->code));
	memcpy(o->mem + (LAYOUT_DATA - LAYOUT_CMP_BASE), r->data, sizeof(r->data));
	memcpy(o->mem + (LAYOUT_STACK - LAYOUT_CMP_BASE), r->stack, sizeof(r->stack));
}

void native_outcome(const struct native_report *r, const struct test_case *c,
		    struct outcome *o)
{
	char m[32];
	state_from(o, r, c);
	o->steps = r->steps;
	if (r->stepping)
		o->state.rflags &= ~(uint64_t)RFLAGS_TF;   /* ours, never the case's */
	if (r->bounded) {
		/* Stopped by a step bound: the case goes on (the reference's
		 * form of it, core/executor.h). */
		end(o, EXIT_TIMEOUT, 0, r->rip, NULL);
		return;
	}
	if (r->signo == SIGVTALRM) {
		end(o, EXIT_TIMEOUT, 0, r->rip, NULL);
		return;
	}
	if (r->signo == SIGSYS) {
		/* SYSCALL, SYSENTER and INT 0x80 are all two bytes; the
		 * kernel reports RIP after them. What the guest would do
		 * (its LSTAR, its IDT) the host cannot show. */
		snprintf(m, sizeof(m), "native:%s %d",
			 r->syscall_arch == AUDIT_ARCH_X86_64 ? "syscall" : "syscall32",
			 r->syscall_nr);
		o->state.rip = r->rip - 2;
		end(o, EXIT_UNSUPPORTED, 0, r->rip - 2, m);
		return;
	}
	int v = vector_of(r->signo, r->trapno);
	/* An access to the MMIO window: the guest would exit to the VMM
	 * and go on with its answer; the host process cannot, so the run
	 * ends there, the access recorded (direction from the #PF error
	 * code's W bit, SDM Vol. 3A 4.7; size and data unknown). */
	if (r->signo == SIGSEGV && layout_in_mmio_window(r->addr)) {
		struct exit_event e = { .kind = EXIT_MMIO, .addr = r->addr, .rip = r->rip,
					.dir = (r->err & 2) ? DIR_OUT : DIR_IN };
		outcome_push(o, &e);
		end(o, EXIT_UNSUPPORTED, 0, r->rip, (r->err & 0x10) ? "native:mmio fetch" : "native:mmio");
		return;
	}
	if (v < 0) {
		snprintf(m, sizeof(m), "native:signal %d trap %d", r->signo, (int)r->trapno);
		end(o, EXIT_UNSUPPORTED, 0, r->rip, m);
		return;
	}
	if (v == 17) {
		/* Linux runs with CR0.AM=1, so RFLAGS.AC=1 makes misaligned
		 * user accesses fault; the environment's CR0.AM is 0, where
		 * they never do (SDM Vol. 3A 6.15, #AC). Not a verdict. */
		end(o, EXIT_UNSUPPORTED, 0, r->rip, "native:#AC with host CR0.AM");
		return;
	}
	struct exit_event e = { .kind = EXIT_EXCEPTION, .addr = (uint64_t)v, .rip = r->rip };
	if (VECTOR_HAS_ERROR_CODE(v)) {
		e.has_error_code = 1;
		e.error_code = v == 14 ? pf_error_code(r->err, r->addr) : (uint32_t)r->err;
	}
	if (v == 14) {
		e.cr2 = r->addr;
		o->state.cr2 = r->addr;
	}
	outcome_push(o, &e);
}
