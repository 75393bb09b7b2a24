/* Stepping a native case (the executor's step operations): the child runs
 * the case with TF set and counts the single-step traps in its SIGTRAP
 * handler; at the bound it reports the state like an ending signal does.
 * A step is re-run from the start (core/exec_rerun.c), so nothing here
 * survives from one step to the next.
 *
 * What the count must not see (SDM Vol. 3B 18.3.1.4):
 *   - traps inside native_enter, after each MOV that follows its POPF;
 *   - the trap after each element of a REP string instruction (RIP still
 *     on it): the reference and KVM's stepping count it once;
 * and what the case must not undo: TF cleared by its own POPF (set again on
 * return). PUSHF, which would show our TF, is refused (native_scan.c). */
#define _GNU_SOURCE
#include <signal.h>
#include <string.h>
#include <ucontext.h>
#include "layout.h"
#include "native_internal.h"

static struct {
	uint32_t bound;
	int entered;
	uint64_t prev_rip;   /* the instruction the next trap ends */
} st;

void native_step_arm(uint32_t bound)
{
	memset(&st, 0, sizeof(st));
	st.bound = bound;
}

/* The opcode byte of the instruction at rip past its legacy prefixes and
 * REX, and whether a REP/REPNE prefix was among them; -1 when rip is not
 * in the case's code page (the only executable page it has). */
NATIVE_NO_ASAN static int opcode_at(uint64_t rip, int *rep)
{
	*rep = 0;
	if (rip < LAYOUT_CODE || rip >= LAYOUT_CODE + PAGE_SIZE - 16)
		return -1;
	const uint8_t *p = (const uint8_t *)(uintptr_t)rip;
	for (unsigned i = 0; i < 15; i++) {
		uint8_t b = p[i];
		if (b == 0xf2 || b == 0xf3)
			*rep = 1;
		if (b == 0xf0 || b == 0xf2 || b == 0xf3 || b == 0x2e || b == 0x36 || b == 0x3e ||
		    b == 0x26 || b == 0x64 || b == 0x65 || b == 0x66 || b == 0x67 ||
		    (b >= 0x40 && b <= 0x4f))
			continue;
		return b;
	}
	return -1;
}

static int is_string_op(int op)
{
	return (op >= 0x6c && op <= 0x6f) || (op >= 0xa4 && op <= 0xa7) || (op >= 0xaa && op <= 0xaf);
}

NATIVE_NO_ASAN int native_step_trap(const siginfo_t *si, ucontext_t *uc, struct native_report *r)
{
	if (!st.bound || si->si_code != TRAP_TRACE)
		return 0;
	greg_t *g = uc->uc_mcontext.gregs;
	uint64_t rip = (uint64_t)g[REG_RIP];
	int rep;
	if (!st.entered) {
		if (rip >= (uint64_t)(uintptr_t)native_enter &&
		    rip < (uint64_t)(uintptr_t)native_enter_end)
			return 1;
		st.entered = 1;   /* at the case's first instruction */
		st.prev_rip = rip;
		return 1;
	}
	int op = opcode_at(st.prev_rip, &rep);
	if (op == 0xf1)
		return 0;     /* ICEBP's own #DB: the case's end, not a step */
	if (!(rip == st.prev_rip && rep && is_string_op(op)))
		r->steps++;
	st.prev_rip = rip;
	if (r->steps >= st.bound) {
		r->bounded = 1;
		g[REG_EFL] &= ~(greg_t)RFLAGS_TF;
		return 0;
	}
	g[REG_EFL] |= RFLAGS_TF;
	return 1;
}
