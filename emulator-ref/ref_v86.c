/* Virtual-8086 mode (SDM Vol. 3B chapter 20 "8086 Emulation", without
 * the virtual-mode extensions: CR4.VME and CR4.PVI stay clear in the v86
 * mode, so section 20.3's "method 1" is all there is).
 *
 * The code is 16-bit, CPL3, with segments loaded the real-mode way
 * (ref_seg.c through ref_real_segs). What is v86's own is here:
 *   - before an instruction runs (ref_v86_check): the instructions v86
 *     does not recognise raise #UD; the IOPL-sensitive ones (CLI, STI,
 *     PUSHF, POPF, INT n, IRET) raise #GP(0) unless IOPL is 3 (20.2.7);
 *     HLT is a CPL0 instruction (#GP(0)); IN, OUT, INS, OUTS are not
 *     IOPL-sensitive here: the TSS's I/O permission bitmap alone decides
 *     (20.2.8.1; Vol. 1 19.5.2);
 *   - exception and interrupt delivery (ref_v86_deliver): through a
 *     32-bit gate to a DPL0 code segment only, on the stack SS0:ESP0 of
 *     the TSS, with GS, FS, DS, ES, SS, ESP, EFLAGS, CS, EIP pushed as
 *     doublewords and DS, ES, FS, GS then null (Vol. 3A 6.12.1, figure
 *     6-5; Vol. 3B 20.3.1.1). The stub's HLT then runs at CPL0 and
 *     mode_stub_exception() reads the frame back.
 * Not modeled (unsupported): 16-bit gates, task gates, a TSS or SS0 that
 * would raise #TS. The layout has none of them. */
#include "ref_internal.h"
#include "../core/layout.h"

#define RFLAGS_IOPL_SHIFT 12
#define RFLAGS_NT (1ull << 14)
#define TSS32_ESP0 0x04u
#define TSS32_SS0  0x08u
#define TSS32_IOMAP_BASE 0x66u
#define DESC_CODE 0x8u
#define DESC_RW   0x2u

/* What v86 checks before an instruction, by Capstone id. */
enum v86_class { V86_ANY, V86_UD, V86_IOPL, V86_CPL0, V86_IO_IN, V86_IO_OUT, V86_IO_STR,
		 V86_CLASSES };

static const uint8_t v86_class[X86_INS_ENDING] = {
	/* "not recognized in virtual-8086 mode": #UD (SDM Vol. 2 ARPL,
	 * LAR, LSL, LLDT, LTR, SLDT, STR, VERR/VERW). */
	[X86_INS_ARPL] = V86_UD, [X86_INS_LAR] = V86_UD, [X86_INS_LSL] = V86_UD,
	[X86_INS_LLDT] = V86_UD, [X86_INS_LTR] = V86_UD, [X86_INS_SLDT] = V86_UD,
	[X86_INS_STR] = V86_UD, [X86_INS_VERR] = V86_UD, [X86_INS_VERW] = V86_UD,
	/* IOPL-sensitive (20.2.7); INT3, INTO and INT1 are not, only the
	 * CD ib form of INT n is (Vol. 2A INT n, Operation). */
	[X86_INS_CLI] = V86_IOPL, [X86_INS_STI] = V86_IOPL,
	[X86_INS_PUSHF] = V86_IOPL, [X86_INS_PUSHFD] = V86_IOPL,
	[X86_INS_POPF] = V86_IOPL, [X86_INS_POPFD] = V86_IOPL,
	[X86_INS_INT] = V86_IOPL, [X86_INS_IRET] = V86_IOPL, [X86_INS_IRETD] = V86_IOPL,
	[X86_INS_HLT] = V86_CPL0,
	[X86_INS_IN] = V86_IO_IN, [X86_INS_OUT] = V86_IO_OUT,
	[X86_INS_INSB] = V86_IO_STR, [X86_INS_INSW] = V86_IO_STR, [X86_INS_INSD] = V86_IO_STR,
	[X86_INS_OUTSB] = V86_IO_STR, [X86_INS_OUTSW] = V86_IO_STR, [X86_INS_OUTSD] = V86_IO_STR,
};

/* 1 when the TSS's bitmap lets size bytes from port through: every bit
 * for port .. port+size-1 clear, both bytes the CPU reads inside the TSS
 * limit (Vol. 1 19.5.2, figure 19-2); 0 denied; -1 after a fault reading
 * the TSS (none can happen without paging). */
static int io_allowed(struct ref_cpu *cpu, uint16_t port, unsigned size)
{
	const struct seg_desc *tr = &cpu->tr;
	uint64_t base, bits;
	if (tr->limit < TSS32_IOMAP_BASE + 1)
		return 0;
	if (ref_mem_sys_read(cpu, tr->base + TSS32_IOMAP_BASE, 2, &base) < 0)
		return -1;
	uint64_t at = base + port / 8;
	if (at + 1 > tr->limit)
		return 0;
	if (ref_mem_sys_read(cpu, tr->base + at, 2, &bits) < 0)
		return -1;
	uint64_t want = ((1ull << size) - 1) << (port & 7);
	return (bits & want) == 0;
}

/* The port an IN or OUT names (an imm8, or DX) and the size of its
 * register operand. */
static void io_operands(const struct ref_cpu *cpu, const cs_insn *insn, int out,
			uint16_t *port, unsigned *size)
{
	const cs_x86 *x = &insn->detail->x86;
	const cs_x86_op *p = &x->operands[out ? 0 : 1], *r = &x->operands[out ? 1 : 0];
	*port = p->type == X86_OP_IMM ? (uint16_t)(p->imm & 0xff) : (uint16_t)cpu->gpr[RDX];
	*size = r->size;
}

static enum ref_status check_io(struct ref_cpu *cpu, const cs_insn *insn, enum v86_class c)
{
	uint16_t port = (uint16_t)cpu->gpr[RDX];
	unsigned size;
	if (c == V86_IO_STR)
		size = (insn->id == X86_INS_INSB || insn->id == X86_INS_OUTSB) ? 1
		       : ref_opsize(cpu, insn, 0);
	else
		io_operands(cpu, insn, c == V86_IO_OUT, &port, &size);
	int ok = io_allowed(cpu, port, size);
	if (ok < 0)
		return REF_STOP;
	return ok ? REF_NEXT : ref_raise(cpu, 13, 1, 0);
}

enum ref_status ref_v86_check(struct ref_cpu *cpu, const cs_insn *insn)
{
	enum v86_class c = insn->id < X86_INS_ENDING ? (enum v86_class)v86_class[insn->id] : V86_ANY;
	unsigned iopl = (unsigned)(cpu->rflags >> RFLAGS_IOPL_SHIFT) & 3;
	switch (c) {
	case V86_UD: return ref_raise(cpu, 6, 0, 0);
	case V86_IOPL: return iopl < 3 ? ref_raise(cpu, 13, 1, 0) : REF_NEXT;
	case V86_CPL0: return ref_raise(cpu, 13, 1, 0);
	case V86_IO_IN:
	case V86_IO_OUT:
	case V86_IO_STR: return check_io(cpu, insn, c);
	default: return REF_NEXT;
	}
}

/* ESP0 and SS0 of the 32-bit TSS: 0, or 1 when the TSS is too short
 * (#TS, not modeled). */
static int tss_stack(struct ref_cpu *cpu, uint64_t *esp0, uint64_t *ss0)
{
	if (cpu->tr.limit < TSS32_SS0 + 1)
		return 1;
	if (ref_mem_sys_read(cpu, cpu->tr.base + TSS32_ESP0, 4, esp0) < 0 ||
	    ref_mem_sys_read(cpu, cpu->tr.base + TSS32_SS0, 2, ss0) < 0)
		return 1;
	return 0;
}

uint64_t ref_v86_flags_slot(struct ref_cpu *cpu)
{
	uint64_t esp0 = 0, ss0 = 0;
	if (tss_stack(cpu, &esp0, &ss0))
		return 0;
	/* Below GS, FS, DS, ES, SS, ESP: the seventh doubleword. */
	return (esp0 - 28) & 0xffffffffu;
}

static int raise_sel(struct ref_cpu *cpu, unsigned vector, uint32_t code)
{
	ref_raise(cpu, vector, 1, code);
	return -1;
}

/* The gate's checks (Vol. 2A INT n, Operation): in the IDT, a 32-bit
 * interrupt or trap gate, DPL >= CPL (3) for INT n/INT3/INTO, present.
 * 0 with the gate, -1 after raising, 1 not modeled. */
static int read_gate(struct ref_cpu *cpu, unsigned vector, int soft, uint64_t *gate)
{
	uint32_t gate_err = vector * 8 + 2;
	if (8 * vector + 7 > cpu->idtr_limit)
		return raise_sel(cpu, 13, gate_err);
	if (ref_mem_sys_read(cpu, cpu->idtr_base + 8 * vector, 8, gate) < 0)
		return -1;
	unsigned type = (*gate >> 40) & 0xf, dpl = (*gate >> 45) & 3;
	if (type == 0x5 || type == 0x6 || type == 0x7)
		return 1; /* task gate, 16-bit gates */
	if (type != 0xe && type != 0xf)
		return raise_sel(cpu, 13, gate_err);
	if (soft && dpl < cpu->cpl)
		return raise_sel(cpu, 13, gate_err);
	if (!((*gate >> 47) & 1))
		return raise_sel(cpu, 11, gate_err);
	return 0;
}

/* The handler's code segment: code, DPL 0 ("IF VM = 1 and DPL of the new
 * code segment != 0: #GP(new code segment selector)"), present. */
static int handler_cs(struct ref_cpu *cpu, uint16_t sel, struct seg_desc *cs)
{
	if ((sel & ~3u) == 0)
		return raise_sel(cpu, 13, 0);
	if (ref_seg_read_desc(cpu, sel, cs) < 0)
		return -1;
	if (!cs->s || !(cs->type & DESC_CODE) || cs->dpl != 0)
		return raise_sel(cpu, 13, sel & 0xfffcu);
	if (!cs->present)
		return raise_sel(cpu, 11, sel & 0xfffcu);
	cs->sel = (uint16_t)(sel & ~3u);
	return 0;
}

/* SS0 must be a present writable data segment of DPL 0 with RPL 0, else
 * #TS (not modeled). */
static int level0_stack(struct ref_cpu *cpu, uint64_t ss0, struct seg_desc *ss)
{
	if ((ss0 & ~3ull) == 0 || (ss0 & 3))
		return 1;
	if (ref_seg_read_desc(cpu, (uint16_t)ss0, ss) < 0)
		return -1;
	if (!ss->s || (ss->type & DESC_CODE) || !(ss->type & DESC_RW) || ss->dpl != 0 ||
	    !ss->present)
		return 1;
	return 0;
}

int ref_v86_deliver(struct ref_cpu *cpu, unsigned vector, int soft, int has_error_code,
		    uint32_t error_code, uint64_t ret_ip, uint64_t flags_image)
{
	uint64_t gate, esp0, ss0;
	struct seg_desc cs, ss;
	int r = read_gate(cpu, vector, soft, &gate);
	if (r)
		return r;
	if ((r = handler_cs(cpu, (uint16_t)(gate >> 16), &cs)) != 0)
		return r;
	if (tss_stack(cpu, &esp0, &ss0))
		return 1;
	if ((r = level0_stack(cpu, ss0, &ss)) != 0)
		return r;
	/* What the frame saves, as it was in v86. */
	const uint64_t saved[9] = {
		cpu->seg[SEG_GS].sel, cpu->seg[SEG_FS].sel, cpu->seg[SEG_DS].sel,
		cpu->seg[SEG_ES].sel, cpu->seg[SEG_SS].sel, cpu->gpr[RSP] & 0xffffffffu,
		flags_image & 0xffffffffu, cpu->seg[SEG_CS].sel, ret_ip & 0xffff,
	};
	/* Leave v86 for CPL0 on the level-0 stack; the pushes then go
	 * through the flat 32-bit SS0, and cannot fault in this layout
	 * (no paging, ESP0 in RAM). */
	cpu->rflags &= ~RFLAGS_VM;
	cpu->cpl = 0;
	cpu->seg[SEG_SS] = ss;
	cpu->seg[SEG_SS].sel = (uint16_t)ss0;
	cpu->gpr[RSP] = esp0 & 0xffffffffu;
	for (unsigned i = 0; i < 9; i++)
		if (ref_push(cpu, saved[i], 4) < 0)
			return -1;
	if (has_error_code && ref_push(cpu, error_code, 4) < 0)
		return -1;
	/* DS, ES, FS, GS hold null selectors in the handler. */
	static const enum ref_seg nulled[] = { SEG_DS, SEG_ES, SEG_FS, SEG_GS };
	for (unsigned i = 0; i < sizeof(nulled) / sizeof(nulled[0]); i++) {
		struct seg_desc *d = &cpu->seg[nulled[i]];
		d->sel = 0;
		d->unusable = 1;
		d->present = 0;
	}
	ref_seg_commit_cs(cpu, &cs);
	cpu->rip = cpu->next_rip = (gate & 0xffff) | ((gate >> 32) & 0xffff0000u);
	cpu->rflags &= ~(uint64_t)(RFLAGS_TF | RFLAGS_NT | RFLAGS_RF);
	if (!((gate >> 40) & 1))
		cpu->rflags &= ~(uint64_t)RFLAGS_IF; /* interrupt gate */
	return 0;
}
