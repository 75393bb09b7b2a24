/*
 * TMK runtime: what a case did (from the trap the trampoline caught) and
 * the comparison with the expectation embedded in the image, in the order
 * of core/diff.h: terminal kind, exception, RIP, GPRs, RFLAGS, memory.
 */
#include "tmk.h"
#include "layout.h"
#include "mode.h"

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
void rt_observe(uint8_t mode, struct tmk_obs *o)
{
	/* compat32 reports what the executors report: the low halves. */
	uint64_t mask = mode_reg_mask((enum cpu_mode)mode);
	memset(o, 0, sizeof(*o));
	o->rsp_mask = ~0ull;
	uint64_t *frame = (uint64_t *)(uintptr_t)rt_trap_frame;
	unsigned vector = rt_trap_vector & 0xff;
	if (rt_trap_frame == LAYOUT_IST_TOP - 48) {
		o->has_error_code = 1;
		o->error_code = (uint32_t)frame[0];
		frame++;
	}
	for (int i = 0; i < 16; i++)
		o->gpr[i] = rt_regs[i] & mask;
	o->rip = frame[0] & mask;
	o->rflags = frame[2] & mask;
	o->gpr[4] = frame[3] & mask;
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

static uint16_t ram16(uint64_t pa)
{
	const uint8_t *p = rt_phys(pa);
	return (uint16_t)(p[0] | (p[1] << 8));
}

/*
 * Legacy modes: rt_modes.S's NMI handler saved the GPRs and where the NMI
 * frame is (prot32: it also copied EIP, CS, EFLAGS; real16: IP, CS, FLAGS
 * are read here at SS:SP, wrapping in the segment). The state at the NMI
 * is what an executor captures at a HLT exit, so the rest is the shared
 * reader: mode_stub_exception() turns a stub HLT into the EXCEPTION with
 * the state from the exception frame. Otherwise the byte before the NMI's
 * return address decides: F4 a HLT, CD 02 the case's own INT 2 (which
 * came straight to the handler), anything else a TIMEOUT.
 */
void rt_observe_legacy(const struct tmk_case *c, struct tmk_obs *o)
{
	enum cpu_mode m = (enum cpu_mode)c->mode;
	uint64_t mask = mode_reg_mask(m);
	const struct rt_leg *l = &rt_leg;
	struct end_state st;
	memset(&st, 0, sizeof(st));
	memset(o, 0, sizeof(*o));
	for (int i = 0; i < 16; i++)
		st.gpr[i] = (i < 8 ? l->out_gpr[i] : c->gpr[i]) & mask;
	st.ss = (uint16_t)l->out_ss;
	if (m == MODE_REAL16) {
		uint16_t sp = (uint16_t)l->out_esp;
		uint64_t ss = (uint64_t)st.ss << 4;
		st.rip = ram16(ss + sp);
		st.cs = ram16(ss + (uint16_t)(sp + 2));
		st.rflags = ram16(ss + (uint16_t)(sp + 4));
		st.gpr[RSP] = (l->out_esp & ~0xffffu) | (uint16_t)(sp + 6);
		o->nmi_frame = (uint32_t)(ss + sp);
		o->nmi_frame_len = 6;
	} else {
		st.rip = l->out_eip;
		st.cs = (uint16_t)l->out_cs;
		st.rflags = l->out_eflags;
		st.gpr[RSP] = (uint32_t)(l->out_esp + 12);
		o->nmi_frame = l->out_esp;
		o->nmi_frame_len = 12;
	}
	if (st.rflags & RFLAGS_VM) {
		/* The NMI came from v86 itself (a case that never stopped):
		 * ESP and SS follow in its frame on SS0:ESP0, then ES, DS,
		 * FS, GS (SDM Vol. 3A figure 6-5). */
		const uint32_t *f = (const uint32_t *)(uintptr_t)rt_phys(l->out_esp);
		st.gpr[RSP] = f[3];
		st.ss = (uint16_t)f[4];
		o->nmi_frame_len = 36;
	}
	st.cr2 = read_cr2();
	uint64_t after = mode_cs_base(m, st.cs, st.rflags) + st.rip;
	struct exit_event e;
	uint64_t stub_sp = st.gpr[RSP];
	int stub = mode_stub_exception(m, rt_phys(0), &st, &e);
	if (stub && stub_sp >= (uintptr_t)boot_stack && stub_sp <= (uintptr_t)boot_stack_top) {
		/* The frame is on the runtime's stack: the switch into the mode
		 * faulted (e.g. MOV CR0 setting PG). Read it from there. */
		const uint32_t *f = (const uint32_t *)(uintptr_t)rt_phys(stub_sp);
		o->kind = TMK_EXCEPTION;
		o->vector = (uint8_t)e.addr;
		o->entry_fault = 1;
		o->entry_fault_eip = f[e.has_error_code ? 1 : 0];
		o->entry_fault_cs = f[e.has_error_code ? 2 : 1] & 0xffff;
		o->has_error_code = e.has_error_code;
		o->error_code = e.has_error_code ? f[0] : 0;
		return;
	}
	if (stub) {
		o->kind = TMK_EXCEPTION;
		o->vector = (uint8_t)e.addr;
		o->has_error_code = e.has_error_code;
		o->error_code = e.error_code;
		o->exc_rip = e.rip;
		o->cr2 = e.cr2;
		/* The frame's EFLAGS byte with RF, where it is compared: on
		 * the case's stack (v86: on SS0:ESP0, never compared). */
		if (m != MODE_REAL16 && m != MODE_V86)
			o->rf_byte = (uint32_t)(st.gpr[RSP] - 2);
	} else if (code_byte_is(after - 1, 0xf4)) {
		o->kind = TMK_HLT;
	} else if (code_byte_is(after - 2, 0xcd) && code_byte_is(after - 1, 0x02)) {
		o->kind = TMK_EXCEPTION;
		o->vector = 2;
		o->exc_rip = st.rip;
	} else {
		o->kind = TMK_TIMEOUT;
	}
	for (int i = 0; i < 16; i++)
		o->gpr[i] = st.gpr[i] & mask;
	/* Real mode: KVM's injection of the runtime's NMI clears ESP[31:16]
	 * (measured, kvm_pvm; QEMU TCG keeps them as SDM Vol. 3B 20.1.4 has
	 * it), so only SP can be trusted after it. */
	if (m == MODE_REAL16)
		o->rsp_mask = 0xffff;
	o->rip = st.rip & mask;
	o->rflags = st.rflags & mask;
}

/* The compiler uses no SSE register here (-mgeneral-regs-only): these are
 * the case's. Plain 128-bit moves only: this code runs at CPL0, inside
 * KVM's instruction emulator under kvm_pvm, which has no XORPS/PXOR. */
static const uint64_t xmm_zeros[2] __attribute__((aligned(16)));

void rt_xmm_zero(void)
{
	__asm__ volatile("movdqu (%0), %%xmm0\n\tmovdqu (%0), %%xmm1\n\t"
			 "movdqu (%0), %%xmm2\n\tmovdqu (%0), %%xmm3\n\t"
			 "movdqu (%0), %%xmm4\n\tmovdqu (%0), %%xmm5\n\t"
			 "movdqu (%0), %%xmm6\n\tmovdqu (%0), %%xmm7\n\t"
			 "movdqu (%0), %%xmm8\n\tmovdqu (%0), %%xmm9\n\t"
			 "movdqu (%0), %%xmm10\n\tmovdqu (%0), %%xmm11\n\t"
			 "movdqu (%0), %%xmm12\n\tmovdqu (%0), %%xmm13\n\t"
			 "movdqu (%0), %%xmm14\n\tmovdqu (%0), %%xmm15"
			 : : "r"(xmm_zeros) : "memory");
}

void rt_xmm_read(uint64_t xmm[16][2])
{
	__asm__ volatile("movdqu %%xmm0, 0x00(%0)\n\tmovdqu %%xmm1, 0x10(%0)\n\t"
			 "movdqu %%xmm2, 0x20(%0)\n\tmovdqu %%xmm3, 0x30(%0)\n\t"
			 "movdqu %%xmm4, 0x40(%0)\n\tmovdqu %%xmm5, 0x50(%0)\n\t"
			 "movdqu %%xmm6, 0x60(%0)\n\tmovdqu %%xmm7, 0x70(%0)\n\t"
			 "movdqu %%xmm8, 0x80(%0)\n\tmovdqu %%xmm9, 0x90(%0)\n\t"
			 "movdqu %%xmm10, 0xa0(%0)\n\tmovdqu %%xmm11, 0xb0(%0)\n\t"
			 "movdqu %%xmm12, 0xc0(%0)\n\tmovdqu %%xmm13, 0xd0(%0)\n\t"
			 "movdqu %%xmm14, 0xe0(%0)\n\tmovdqu %%xmm15, 0xf0(%0)"
			 : : "r"(xmm) : "memory");
}

static const char *const xmm_names[32] = {
#define X(i) "xmm" #i, "xmm" #i ".hi"
	X(0), X(1), X(2), X(3), X(4), X(5), X(6), X(7),
	X(8), X(9), X(10), X(11), X(12), X(13), X(14), X(15),
#undef X
};

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
	if (o->entry_fault) {
		rt_puts("FAIL: ");
		rt_puts(c->id);
		rt_puts(": entering the case's mode faulted: vector ");
		rt_putdec(o->vector);
		if (o->has_error_code) {
			rt_puts(" error ");
			rt_puthex(o->error_code);
		}
		rt_puts(" at ");
		rt_puthex(o->entry_fault_cs);
		rt_puts(":");
		rt_puthex(o->entry_fault_eip);
		rt_puts(" on the runtime's stack");
		rt_puts("\n");
		return 0;
	}
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
	for (int i = 0; i < 16; i++) {
		uint64_t m = i == 4 && o->rsp_mask ? o->rsp_mask : ~0ull;
		if (e->masked_gprs & (1u << i))
			continue;
		if ((e->gpr[i] & m) != (o->gpr[i] & m))
			return fail(c, gpr_names[i], e->gpr[i] & m, o->gpr[i] & m);
	}
	/* RF (bit 16) is how the frame was pushed, not what the case did. */
	uint64_t mask = ~(e->undefined_flags | (1ull << 16));
	if ((e->rflags & mask) != (o->rflags & mask))
		return fail(c, "rflags", e->rflags & mask, o->rflags & mask);
	for (int i = 0; i < 16; i++)
		for (int h = 0; h < 2; h++)
			if (e->xmm[i][h] != o->xmm[i][h])
				return fail(c, xmm_names[2 * i + h], e->xmm[i][h], o->xmm[i][h]);
	build_expected(e, initial);
	const uint8_t *now = rt_phys(LAYOUT_CMP_BASE);
	/* The runtime's own NMI frame (legacy modes) is not the case's. */
	for (uint32_t i = 0; i < o->nmi_frame_len; i++) {
		uint32_t a = o->nmi_frame + i;
		if (a >= LAYOUT_CMP_BASE && a - LAYOUT_CMP_BASE < LAYOUT_CMP_SIZE)
			expected_window[a - LAYOUT_CMP_BASE] = now[a - LAYOUT_CMP_BASE];
	}
	uint32_t rf = o->rf_byte - LAYOUT_CMP_BASE;
	if (o->rf_byte >= LAYOUT_CMP_BASE && rf < LAYOUT_CMP_SIZE)
		expected_window[rf] = (uint8_t)((expected_window[rf] & ~1u) | (now[rf] & 1u));
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
