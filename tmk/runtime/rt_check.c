/*
 * TMK runtime: what a case did (from the trap the trampoline caught) and
 * the comparison with the expectation embedded in the image, in the order
 * of core/diff.h: terminal kind, exception, RIP, GPRs, RFLAGS, memory.
 */
#include "tmk.h"
#include "layout.h"

static const char *const gpr_names[16] = {
	"rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
	"r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15",
};

static const char *kind_name(unsigned k)
{
	switch (k) {
	case TMK_HLT:       return "hlt";
	case TMK_EXCEPTION: return "exception";
	case TMK_SHUTDOWN:  return "shutdown";
	case TMK_TIMEOUT:   return "timeout";
	default:            return "other";
	}
}

static uint64_t read_cr2(void)
{
	uint64_t v;
	__asm__ volatile("movq %%cr2, %0" : "=r"(v));
	return v;
}

static int code_byte_is(uint64_t gva, uint8_t b)
{
	return gva >= LAYOUT_CODE && gva < LAYOUT_CODE + PAGE_SIZE &&
	       *rt_phys(gva) == b;
}

/*
 * Every exception and the NMI arrive on IST1 (layout.c), so the frame
 * depth tells whether the CPU pushed an error code, as in the harness:
 * 48 bytes below LAYOUT_IST_TOP with one, 40 without (SDM Vol. 3A 6.14.2).
 * Vector 2 is the timer's NMI (a HLT ends there too: the NMI's RIP is the
 * byte after the HLT) unless the case itself executed INT 2 (CD 02).
 */
void rt_observe(struct tmk_obs *o)
{
	memset(o, 0, sizeof(*o));
	uint64_t *frame = (uint64_t *)(uintptr_t)rt_trap_frame;
	unsigned vector = rt_trap_vector & 0xff;
	if (rt_trap_frame == LAYOUT_IST_TOP - 48) {
		o->has_error_code = 1;
		o->error_code = (uint32_t)frame[0];
		frame++;
	}
	for (int i = 0; i < 16; i++)
		o->gpr[i] = rt_regs[i];
	o->rip = frame[0];
	o->rflags = frame[2];
	o->gpr[4] = frame[3];
	if (vector == 2 && !o->has_error_code) {
		if (code_byte_is(o->rip - 1, 0xf4)) {
			o->kind = TMK_HLT;
			return;
		}
		if (!(code_byte_is(o->rip - 2, 0xcd) && code_byte_is(o->rip - 1, 0x02))) {
			o->kind = TMK_TIMEOUT;
			return;
		}
	}
	o->kind = TMK_EXCEPTION;
	o->vector = (uint8_t)vector;
	o->exc_rip = o->rip;
	if (vector == 14)
		o->cr2 = read_cr2();
}

static int fail(const struct tmk_case *c, const char *field, uint64_t want, uint64_t got)
{
	rt_puts("FAIL: ");
	rt_puts(c->id);
	rt_puts(": ");
	rt_puts(field);
	rt_puts(" wanted ");
	rt_puthex(want);
	rt_puts(" got ");
	rt_puthex(got);
	rt_puts("\n");
	return 0;
}

static int fail_kind(const struct tmk_case *c, const struct tmk_obs *o)
{
	rt_puts("FAIL: ");
	rt_puts(c->id);
	rt_puts(": exit wanted ");
	rt_puthex(c->expect.kind);
	rt_puts(" (");
	rt_puts(kind_name(c->expect.kind));
	rt_puts(") got ");
	rt_puthex(o->kind);
	rt_puts(" (");
	rt_puts(kind_name(o->kind));
	if (o->kind == TMK_EXCEPTION) {
		rt_puts(" vector ");
		rt_putdec(o->vector);
		rt_puts(" at ");
		rt_puthex(o->exc_rip);
	} else if (o->kind == TMK_HLT) {
		rt_puts(" at ");
		rt_puthex(o->rip);
	}
	rt_puts(")\n");
	return 0;
}

/* The expected compare window: the initial one with the runs applied. */
static uint8_t expected_window[LAYOUT_CMP_SIZE];

static void build_expected(const struct tmk_expect *e, const uint8_t *initial)
{
	memcpy(expected_window, initial, LAYOUT_CMP_SIZE);
	for (uint32_t i = 0; i < e->n_mem; i++) {
		const struct tmk_mem_run *r = &e->mem[i];
		if (r->addr >= LAYOUT_CMP_BASE &&
		    r->addr - LAYOUT_CMP_BASE + r->len <= LAYOUT_CMP_SIZE)
			memcpy(expected_window + (r->addr - LAYOUT_CMP_BASE), r->bytes, r->len);
	}
}

/* Offset of the first differing byte, or LAYOUT_CMP_SIZE (REPE CMPSB:
 * one instruction where the runtime's code is emulated). */
static uint32_t first_difference(const uint8_t *want, const uint8_t *got)
{
	uint64_t left = LAYOUT_CMP_SIZE;
	uint8_t ne;
	__asm__ volatile("repe cmpsb\n\tsetne %0"
			 : "=qm"(ne), "+S"(want), "+D"(got), "+c"(left) : : "memory", "cc");
	return ne ? LAYOUT_CMP_SIZE - (uint32_t)left - 1 : LAYOUT_CMP_SIZE;
}

int rt_check(const struct tmk_case *c, const struct tmk_obs *o,
	     const uint8_t *initial)
{
	const struct tmk_expect *e = &c->expect;
	if (e->kind != o->kind)
		return fail_kind(c, o);
	/* Both TIMEOUT agree whatever the state (core/diff.h). */
	if (o->kind == TMK_TIMEOUT)
		goto pass;
	if (o->kind == TMK_EXCEPTION) {
		if (e->vector != o->vector)
			return fail(c, "exception.vector", e->vector, o->vector);
		if (e->has_error_code != o->has_error_code)
			return fail(c, "exception.has_error_code", e->has_error_code,
				    o->has_error_code);
		if (e->has_error_code && e->error_code != o->error_code)
			return fail(c, "exception.error_code", e->error_code, o->error_code);
		if (e->exc_rip != o->exc_rip)
			return fail(c, "exception.rip", e->exc_rip, o->exc_rip);
		if (e->vector == 14 && e->cr2 != o->cr2)
			return fail(c, "exception.cr2", e->cr2, o->cr2);
	}
	if (e->rip != o->rip)
		return fail(c, "rip", e->rip, o->rip);
	for (int i = 0; i < 16; i++)
		if (e->gpr[i] != o->gpr[i])
			return fail(c, gpr_names[i], e->gpr[i], o->gpr[i]);
	/* RF (bit 16) is how the frame was pushed, not what the case did. */
	uint64_t mask = ~(e->undefined_flags | (1ull << 16));
	if ((e->rflags & mask) != (o->rflags & mask))
		return fail(c, "rflags", e->rflags & mask, o->rflags & mask);
	build_expected(e, initial);
	const uint8_t *now = rt_phys(LAYOUT_CMP_BASE);
	uint32_t off = first_difference(expected_window, now);
	if (off < LAYOUT_CMP_SIZE) {
		rt_puts("FAIL: ");
		rt_puts(c->id);
		rt_puts(": mem[");
		rt_puthex(LAYOUT_CMP_BASE + off);
		rt_puts("] wanted ");
		rt_puthex(expected_window[off]);
		rt_puts(" got ");
		rt_puthex(now[off]);
		rt_puts("\n");
		return 0;
	}
pass:
	rt_puts("PASS: ");
	rt_puts(c->id);
	rt_puts("\n");
	return 1;
}
