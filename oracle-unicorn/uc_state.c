/* End state, and the exception event the harness would read from the IST
 * frame, rebuilt from what Unicorn shows at its interrupt hook. */
#include <string.h>
#include <unicorn/x86.h>
#include "uc_internal.h"

#define MSR_EFER 0xc0000080u
#define RFLAGS_RF (1ull << 16)

static uint64_t rd(struct uc_ctx *u, int reg)
{
	uint64_t v = 0;
	uc_reg_read(u->uc, reg, &v);
	return v;
}

static uint16_t rd16(struct uc_ctx *u, int reg)
{
	uint16_t v = 0;
	uc_reg_read(u->uc, reg, &v);
	return v;
}

void uc_capture(struct uc_ctx *u, struct end_state *st)
{
	for (unsigned i = 0; i < GPR_COUNT; i++)
		st->gpr[i] = uc_gpr_reg(u, i) != UC_X86_REG_INVALID ? rd(u, uc_gpr_reg(u, i)) : 0;
	st->rip = rd(u, uc_ip_reg(u));
	st->rflags = rd(u, uc_flags_reg(u));
	st->cr0 = rd(u, UC_X86_REG_CR0);
	st->cr2 = rd(u, UC_X86_REG_CR2);
	st->cr3 = rd(u, UC_X86_REG_CR3);
	st->cr4 = rd(u, UC_X86_REG_CR4);
	st->cr8 = rd(u, UC_X86_REG_CR8);
	uc_x86_msr m = { .rid = MSR_EFER };
	st->efer = uc_reg_read(u->uc, UC_X86_REG_MSR, &m) == UC_ERR_OK ? m.value : 0;
	/* NXE and SCE cannot be set in Unicorn 2.0.1 (uc_setup.c): report
	 * them as the environment sets them, so EFER compares on the bits
	 * Unicorn does keep. */
	if (u->mode == MODE_LONG64) {
		struct mode_env env;
		mode_env_init(&env, MODE_LONG64, u->knobs);   /* no-sce clears SCE */
		st->efer |= env.efer & ((1ull << 11) | 1ull);
	}
	/* Outside long mode executors report GPRs, RIP and RFLAGS masked to
	 * 32 bits (mode.h). */
	uint64_t width = mode_reg_mask((enum cpu_mode)u->mode);
	for (unsigned i = 0; i < GPR_COUNT; i++)
		st->gpr[i] &= width;
	st->rip &= width;
	st->rflags &= width;
	st->cs = rd16(u, UC_X86_REG_CS);
	st->ds = rd16(u, UC_X86_REG_DS);
	st->es = rd16(u, UC_X86_REG_ES);
	st->fs = rd16(u, UC_X86_REG_FS);
	st->gs = rd16(u, UC_X86_REG_GS);
	st->ss = rd16(u, UC_X86_REG_SS);
	/* XMM0-7, XMM8-15 only in 64-bit mode; each read is 16 bytes. */
	unsigned nx = u->mode == MODE_LONG64 ? 16 : 8;
	for (unsigned i = 0; i < nx; i++) {
		uint64_t v[2] = { 0, 0 };
		if (uc_reg_read(u->uc, UC_X86_REG_XMM0 + (int)i, v) == UC_ERR_OK) {
			st->xmm[i][0] = v[0];
			st->xmm[i][1] = v[1];
		}
	}
}

static uint64_t ram64(const struct uc_ctx *u, uint64_t gpa)
{
	uint64_t v = 0;
	if (gpa + 8 <= LAYOUT_RAM_SIZE)
		memcpy(&v, u->ram + gpa, sizeof(v));
	return v;
}

uint32_t uc_pf_error_code(const struct uc_ctx *u, uint64_t cr2)
{
	/* P (bit 0): the translation exists at every level, so the fault is
	 * a protection one (SDM Vol. 3A 4.7). The tables live in guest RAM;
	 * the four-level walk is SDM Vol. 3A 4.5. */
	uint64_t table = u->out ? u->out->state.cr3 & PTE_ADDR_MASK : LM_CR3;
	int present = 1;
	for (int level = 3; level >= 0; level--) {
		uint64_t idx = (cr2 >> (12 + 9 * level)) & 0x1ff;
		uint64_t pte = ram64(u, table + idx * 8);
		if (!(pte & PTE_P)) {
			present = 0;
			break;
		}
		if (level > 0 && (pte & PTE_PS))
			break;
		table = pte & PTE_ADDR_MASK;
	}
	uint32_t ec = present ? 1u : 0u;
	/* U/S (bit 2): the access was made at CPL3 (knob cpl3). */
	if (u->knobs & KNOB_CPL3)
		ec |= 1u << 2;
	/* W/R (bit 1) and I/D (bit 4): a data access of this instruction
	 * that reaches the faulting address is the culprit; with none, the
	 * fault came from the instruction fetch (I/D is reported because
	 * EFER.NXE is set). */
	if (u->acc_valid && cr2 >= u->acc_addr && cr2 - u->acc_addr < 64) {
		if (u->acc_write)
			ec |= 1u << 1;
	} else {
		ec |= 1u << 4;
	}
	return ec;
}

static int is_prefix(uint8_t b)
{
	return b == 0x66 || b == 0x67 || b == 0xf2 || b == 0xf3 || b == 0x2e ||
	       b == 0x36 || b == 0x3e || b == 0x26 || b == 0x64 || b == 0x65 ||
	       (b >= 0x40 && b <= 0x4f);
}

/* The software-interrupt forms (INT3, INTO, INT1, INT n) of vector v
 * starting at rip: their length when the bytes there are one, else 0.
 * Those are traps (the frame holds the next RIP, no error code, SDM Vol.
 * 3A 6.5, 6.12.1). */
static unsigned soft_int_at(const struct uc_ctx *u, uint64_t rip, uint32_t v)
{
	unsigned i = 0;
	while (i < 14 && rip + i + 2 <= LAYOUT_RAM_SIZE && is_prefix(u->ram[rip + i]))
		i++;
	if (rip + i + 2 > LAYOUT_RAM_SIZE)
		return 0;
	uint8_t b = u->ram[rip + i];
	if ((b == 0xcc && v == 3) || (b == 0xce && v == 4) || (b == 0xf1 && v == 1))
		return i + 1;
	if (b == 0xcd && u->ram[rip + i + 1] == v)
		return i + 2;
	return 0;
}

/* 1 when the exception came from a software interrupt. Unicorn 2.0.1
 * shows RIP already past INT3/INT n at its interrupt hook (measured), but
 * a fault shows the faulting instruction: so a software interrupt either
 * starts at RIP or ends there. *next gets the address after it. */
int uc_soft_int(const struct uc_ctx *u, uint64_t rip, uint32_t v, uint64_t *next)
{
	unsigned len;
	if (rip < LAYOUT_RAM_SIZE && (len = soft_int_at(u, rip, v))) {
		*next = rip + len;
		return 1;
	}
	/* The opcode byte just before RIP (or two before, for INT n). */
	if (rip >= 1 && rip - 1 < LAYOUT_RAM_SIZE) {
		uint8_t b = u->ram[rip - 1];
		if ((b == 0xcc && v == 3) || (b == 0xce && v == 4) || (b == 0xf1 && v == 1)) {
			*next = rip;
			return 1;
		}
	}
	if (rip >= 2 && rip - 1 < LAYOUT_RAM_SIZE && u->ram[rip - 2] == 0xcd &&
	    u->ram[rip - 1] == v) {
		*next = rip;
		return 1;
	}
	return 0;
}

void uc_finish_exception(struct uc_ctx *u)
{
	if (u->mode != MODE_LONG64) {
		uc_finish_exception_legacy(u);
		return;
	}
	struct outcome *o = u->out;
	uint32_t v = u->vector;
	uint64_t rip = u->exc_rip, next = 0;
	int trap = uc_soft_int(u, rip, v, &next);
	struct exit_event e = { .kind = EXIT_EXCEPTION, .addr = v };
	/* INT n at CPL3 through a gate with DPL < 3 is #GP(n*8+2), a fault
	 * at the INT (SDM Vol. 3A 6.12.1.1); Unicorn's hook sees vector n
	 * before any delivery, so the check is made here, on our IDT. */
	if (trap && (u->knobs & KNOB_CPL3) && next >= 2 && next - 1 < LAYOUT_RAM_SIZE &&
	    u->ram[next - 2] == 0xcd && u->ram[next - 1] == v &&
	    ((u->ram[LAYOUT_IDT + v * 16 + 5] >> 5) & 3) < 3) {
		e.addr = v = 13;
		trap = 0;
		rip = u->insn_addr;
		e.has_error_code = 1;
		e.error_code = (uint32_t)u->ram[next - 1] * 8 + 2;
		e.rip = rip;
		o->state.rflags |= RFLAGS_RF;
		o->state.rip = rip;
		outcome_push(o, &e);
		return;
	}
	if (trap) {
		e.rip = next;
	} else {
		e.rip = rip;
		/* Faults push RFLAGS with RF set (SDM Vol. 3A 17.3.1.1),
		 * which the harness reads from the frame. */
		o->state.rflags |= RFLAGS_RF;
		if (VECTOR_HAS_ERROR_CODE(v)) {
			e.has_error_code = 1;
			/* Only #PF's error code can be rebuilt; the others are
			 * 0 for every cause our environment produces (a null
			 * selector or a non-canonical address). */
			e.error_code = v == 14 ? uc_pf_error_code(u, o->state.cr2) : 0;
		}
	}
	if (v == 14 && !trap)
		e.cr2 = o->state.cr2;
	o->state.rip = e.rip;
	outcome_push(o, &e);
}
