/* Port I/O (IN, OUT, INS, OUTS with REP) and CPUID.
 *
 * Every port access is one EXIT_IO event (addr = port, size, dir, data):
 * the KVM executor splits KVM's batched string exits into the same one
 * event per element. IN is answered with ENV_IO_READ_BYTE bytes. At CPL0
 * there is no IOPL or permission-bitmap check (SDM Vol. 1 18.5.1). */
#include "ref_internal.h"
#include "ref_sys_priv.h"
#include "ref_vendor.h"

static inline const cs_x86 *x86(const cs_insn *insn)
{
	return &insn->detail->x86;
}


/* ENV_IO_READ_BYTE repeated size times (1, 2 or 4). */
static inline uint64_t io_answer(unsigned size)
{
	uint64_t v = 0;
	for (unsigned i = 0; i < size; i++)
		v |= (uint64_t)ENV_IO_READ_BYTE << (8 * i);
	return v;
}

static int io_event(struct ref_cpu *cpu, unsigned dir, unsigned size,
		    uint16_t port, uint64_t data)
{
	struct exit_event e = {
		.kind = EXIT_IO, .dir = (uint8_t)dir, .size = (uint8_t)size,
		.addr = port, .data = data,
	};
	ref_dbg_io(cpu, port, size);
	return ref_event(cpu, &e);
}

/* The port operand: an imm8 or DX. */
static uint16_t port_of(const struct ref_cpu *cpu, const cs_x86_op *o)
{
	if (o->type == X86_OP_IMM)
		return (uint16_t)(o->imm & 0xff);
	return (uint16_t)cpu->gpr[RDX];
}

/* REX.W overrides 66h (SDM Vol. 2A 2.2.1.2); I/O has no 64-bit form, so
 * 66h with REX.W is a 32-bit access where Capstone names the 16-bit
 * register (KVM and Unicorn agree). */
static int io_rexw_wide(const cs_insn *insn, unsigned size)
{
	return size == 2 && (x86(insn)->rex & 8);
}

static enum ref_status sem_in(struct ref_cpu *cpu, const cs_insn *insn)
{
	const cs_x86 *x = x86(insn);
	unsigned size = ref_reg_size(x->operands[0].reg);
	int wide = io_rexw_wide(insn, size);
	if (wide)
		size = 4;
	uint64_t v = io_answer(size);
	if (io_event(cpu, DIR_IN, size, port_of(cpu, &x->operands[1]), v) < 0)
		return REF_STOP;
	if (wide) {
		cpu->gpr[RAX] = (uint32_t)v; /* a 32-bit write zero-extends */
		ref_note_gpr_write(cpu, RAX);
		return REF_NEXT;
	}
	return ref_write_op(cpu, 0, v) < 0 ? REF_STOP : REF_NEXT;
}

static enum ref_status sem_out(struct ref_cpu *cpu, const cs_insn *insn)
{
	const cs_x86 *x = x86(insn);
	unsigned size = ref_reg_size(x->operands[1].reg);
	uint64_t v = ref_get_reg(cpu, x->operands[1].reg);
	if (io_rexw_wide(insn, size)) {
		size = 4;
		v = (uint32_t)cpu->gpr[RAX];
	}
	if (io_event(cpu, DIR_OUT, size, port_of(cpu, &x->operands[0]), v) < 0)
		return REF_STOP;
	return REF_NEXT;
}

/* INS/OUTS, one element per iteration (SDM Vol. 2A INS, OUTS, REP). A
 * fault mid-way leaves RCX/RSI/RDI as the completed iterations left them
 * and RIP at the instruction, so it restarts. F2 acts like F3 here, as in
 * KVM's emulator. INS reads the port before writing memory, so the IN
 * event precedes a #PF on the destination. */
static enum ref_status string_io(struct ref_cpu *cpu, const cs_insn *insn,
				 int is_in, unsigned size)
{
	const cs_x86 *x = x86(insn);
	int rep = x->prefix[0] == X86_PREFIX_REP || x->prefix[0] == X86_PREFIX_REPNE;
	unsigned asz = x->addr_size;
	uint64_t step = (cpu->rflags & RFLAGS_DF) ? (uint64_t)0 - size : size;
	uint16_t port = (uint16_t)cpu->gpr[RDX];
	/* INS always writes ES:RDI (no override); OUTS reads DS:RSI, whose
	 * segment may be overridden (only FS/GS add a base). */
	enum ref_seg seg = is_in ? SEG_ES : ref_op_seg(cpu, 1);
	uint64_t base = (seg == SEG_FS || seg == SEG_GS) ? cpu->seg[seg].base : 0;
	int ptr = is_in ? RDI : RSI;

	for (;;) {
		if (rep && ref_areg_get(cpu, RCX, asz) == 0)
			break;
		uint64_t la = ref_areg_get(cpu, ptr, asz) + base, v;
		if (is_in) {
			/* A REP INS over its own bytes: see ref_rep_store_self. */
			if (rep && ref_rep_store_self(cpu, seg, la - base, size, asz,
						      ref_areg_get(cpu, RCX, asz)) < 0)
				return REF_STOP;
			v = io_answer(size);
			if (io_event(cpu, DIR_IN, size, port, v) < 0 ||
			    ref_mem_write(cpu, seg, la, size, v) < 0)
				return REF_STOP;
		} else {
			if (ref_mem_read(cpu, seg, la, size, &v) < 0 ||
			    io_event(cpu, DIR_OUT, size, port, v) < 0)
				return REF_STOP;
		}
		ref_areg_set(cpu, ptr, ref_areg_get(cpu, ptr, asz) + step, asz);
		if (!rep)
			break;
		ref_areg_set(cpu, RCX, ref_areg_get(cpu, RCX, asz) - 1, asz);
		/* Single-step: one element per trap (ref_string.c). */
		if ((cpu->single_step || cpu->db_hits) && ref_areg_get(cpu, RCX, asz) != 0) {
			cpu->next_rip = cpu->rip;
			break;
		}
	}
	return REF_NEXT;
}

static enum ref_status sem_insb(struct ref_cpu *c, const cs_insn *i) { return string_io(c, i, 1, 1); }
/* INSW/INSD and OUTSW/OUTSD share opcodes 6D/6F: the operand size picks
 * 16 or 32 bits (66h flips the code size's default; REX.W overrides 66h
 * and there is no 64-bit form, so 32 bits: SDM Vol. 2A 2.2.1.2). */
static unsigned wide_size(struct ref_cpu *c, const cs_insn *i)
{
	unsigned n = ref_opsize(c, i, 0);
	return n > 4 ? 4 : n;
}
static enum ref_status sem_insw(struct ref_cpu *c, const cs_insn *i) { return string_io(c, i, 1, wide_size(c, i)); }
static enum ref_status sem_insd(struct ref_cpu *c, const cs_insn *i) { return string_io(c, i, 1, wide_size(c, i)); }
static enum ref_status sem_outsb(struct ref_cpu *c, const cs_insn *i) { return string_io(c, i, 0, 1); }
static enum ref_status sem_outsw(struct ref_cpu *c, const cs_insn *i) { return string_io(c, i, 0, wide_size(c, i)); }
static enum ref_status sem_outsd(struct ref_cpu *c, const cs_insn *i) { return string_io(c, i, 0, wide_size(c, i)); }

/* 1 when leaf is above the highest leaf of its range (basic 0, hypervisor
 * 0x40000000, extended 0x80000000: each range's first leaf gives its
 * highest) or in no range; 0 when in range or when its range's first leaf
 * was not calibrated (unknown: only an exact answer will do). */
static int cpuid_out_of_range(const struct cpuid_table *t, uint32_t leaf)
{
	uint32_t first = leaf & 0xf0000000u;
	if (first != 0 && first != 0x40000000u && first != 0x80000000u)
		return 1;
	const struct cpuid_entry *top = cpuid_lookup(t, first, 0);
	return top && (leaf > top->eax || top->eax < first);
}

/* CPUID answers what the guest really read at calibration (leaf = EAX,
 * subleaf = ECX). A leaf that ignores ECX was calibrated with subleaves
 * 0..3 giving identical answers; then any subleaf gets that answer. A leaf
 * above its range's highest (or in no range) gets the highest basic
 * leaf's answer (SDM Vol. 2A CPUID: "If a value entered for CPUID.EAX is
 * higher than the maximum input value for basic or extended function ...,
 * the data for the highest basic information leaf is returned"; KVM does
 * the same for an Intel guest). With no answer known the case ends
 * UNSUPPORTED: never a false divergence. */
static const struct cpuid_entry *cpuid_find(const struct cpuid_table *t,
					    uint32_t leaf, uint32_t sub, int highest_basic)
{
	if (t && cpuid_out_of_range(t, leaf)) {
		/* AMD answers zeros instead (APM Vol. 3 CPUID: "undefined
		 * function numbers return 0 in all four registers"). */
		static const struct cpuid_entry zeros;
		if (!highest_basic)
			return &zeros;
		const struct cpuid_entry *b = cpuid_lookup(t, 0, 0);
		if (!b)
			return NULL;
		leaf = b->eax;
	}
	const struct cpuid_entry *e = cpuid_lookup(t, leaf, sub);
	if (e || !t)
		return e;
	const struct cpuid_entry *e0 = cpuid_lookup(t, leaf, 0);
	if (!e0)
		return NULL;
	for (uint32_t s = 1; s < 4; s++) {
		const struct cpuid_entry *es = cpuid_lookup(t, leaf, s);
		if (!es || es->eax != e0->eax || es->ebx != e0->ebx ||
		    es->ecx != e0->ecx || es->edx != e0->edx)
			return NULL;
	}
	return e0;
}

static enum ref_status sem_cpuid(struct ref_cpu *cpu, const cs_insn *insn)
{
	(void)insn;
	/* CPL3 may read the host CPU's answers (executor.h, cpuid_table). */
	const struct cpuid_table *t = cpu->cpuid;
	int host_cpu = cpu->cpl == 3 && t && t->user;
	if (host_cpu)
		t = t->user;
	const struct cpuid_entry *e = cpuid_find(t, (uint32_t)cpu->gpr[RAX], (uint32_t)cpu->gpr[RCX],
						 ref_quirk(cpu, QUIRK_CPUID_OUT_OF_RANGE_IS_HIGHEST_BASIC));
	if (!e)
		return REF_UNSUPPORTED;
	/* 32-bit results zero-extend (SDM Vol. 2A CPUID). */
	cpu->gpr[RAX] = e->eax;
	cpu->gpr[RBX] = e->ebx;
	cpu->gpr[RCX] = e->ecx;
	cpu->gpr[RDX] = e->edx;
	if (!host_cpu) {
		/* Bits that mirror CR4 follow the case's CR4, not the one the
		 * table was calibrated with (SDM Vol. 2A CPUID: leaf 1
		 * ECX[27] OSXSAVE, leaf 7 ECX[4] OSPKE). The host CPU's own
		 * answers mirror the host's CR4 instead: left as read. */
		if (e->leaf == 1)
			cpu->gpr[RCX] = (cpu->gpr[RCX] & ~(1ull << 27)) |
					(cpu->cr4 & CR4_OSXSAVE ? 1ull << 27 : 0);
		if (e->leaf == 7 && e->subleaf == 0)
			cpu->gpr[RCX] = (cpu->gpr[RCX] & ~(1ull << 4)) |
					(cpu->cr4 & CR4_PKE ? 1ull << 4 : 0);
	}
	ref_note_gpr_write(cpu, RAX);
	ref_note_gpr_write(cpu, RBX);
	ref_note_gpr_write(cpu, RCX);
	ref_note_gpr_write(cpu, RDX);
	static const enum gpr out_reg[4] = { RAX, RBX, RCX, RDX };
	/* APIC IDs name a CPU, not a result: kvm_pvm answers the host CPU's
	 * even at CPL0, and a campaign saw it change under a running worker
	 * (docs/vendors.md). Never predicted. */
	unsigned per_cpu = cpuid_per_cpu_regs(e->leaf);
	for (unsigned r = 0; r < 4; r++) {
		cpu->out->host_gprs |= 1u << out_reg[r];
		if (per_cpu & (1u << r))
			cpu->out->undefined_gprs |= 1u << out_reg[r];
	}
	return REF_NEXT;
}

const struct ref_sem ref_sem_ctl_io[] = {
	{ X86_INS_IN, sem_in },       { X86_INS_OUT, sem_out },
	{ X86_INS_INSB, sem_insb },   { X86_INS_INSW, sem_insw },
	{ X86_INS_INSD, sem_insd },   { X86_INS_OUTSB, sem_outsb },
	{ X86_INS_OUTSW, sem_outsw }, { X86_INS_OUTSD, sem_outsd },
	{ X86_INS_CPUID, sem_cpuid },
};
const unsigned ref_sem_ctl_io_count = sizeof(ref_sem_ctl_io) / sizeof(ref_sem_ctl_io[0]);
