/* Which cases the host would answer with its own system state instead of
 * the environment's: a linear decode of the case's code (Capstone, 64-bit)
 * looking for instructions whose result depends on what the host kernel
 * set up and the guest environment (core/mode.c) sets otherwise:
 *   - selectors and descriptor tables: MOV/PUSH/POP Sreg, LAR, LSL, VERR,
 *     VERW, far JMP/CALL/RET, IRET read or load the host's GDT and its
 *     selectors (user CS 0x33, data 0 or 0x2b), not the layout's 0x3b/0x33;
 *     SGDT, SIDT, SLDT, STR, SMSW are emulated by Linux under UMIP
 *     (arch/x86/kernel/umip.c) and return made-up values;
 *   - CR4.OSXSAVE and XCR0: the environment has OSXSAVE=0 (VEX, EVEX and
 *     XOP encodings, XGETBV, XSAVE.. raise #UD there, SDM Vol. 2A 2.3.1 and
 *     XGETBV) and XCR0 = x87 only; the host has both on;
 *   - CR4.FSGSBASE (RDFSBASE..: #UD in the environment, on for the host)
 *     and CR4.PKE (RDPKRU/WRPKRU);
 *   - RFLAGS.IF, which PUSHF stores: the host's user mode has IF=1;
 *   - instructions whose CPUID feature the environment's table and the
 *     host disagree about (native_cpuid.c).
 * A linear decode sees the bytes a case holds, not what it jumps into; a
 * jump into the middle of an instruction can hide one (docs/native.md). */
#include <stdio.h>
#include <capstone/capstone.h>
#include "native.h"
#include "native_cpuid.h"

static const unsigned host_state_insns[] = {
	X86_INS_LAR, X86_INS_LSL, X86_INS_VERR, X86_INS_VERW,
	X86_INS_LJMP, X86_INS_LCALL, X86_INS_RETF, X86_INS_RETFQ,
	X86_INS_IRET, X86_INS_IRETD, X86_INS_IRETQ,
	X86_INS_SGDT, X86_INS_SIDT, X86_INS_SLDT, X86_INS_STR, X86_INS_SMSW,
	X86_INS_XGETBV, X86_INS_XSETBV, X86_INS_XSAVE, X86_INS_XSAVE64,
	X86_INS_XSAVEC, X86_INS_XSAVEC64, X86_INS_XSAVEOPT, X86_INS_XSAVEOPT64,
	X86_INS_XSAVES, X86_INS_XSAVES64, X86_INS_XRSTOR, X86_INS_XRSTOR64,
	X86_INS_XRSTORS, X86_INS_XRSTORS64,
	X86_INS_RDFSBASE, X86_INS_RDGSBASE, X86_INS_WRFSBASE, X86_INS_WRGSBASE,
	/* RFLAGS.IF: 1 in the host's user mode, 0 in the environment; the
	 * image PUSHF stores carries it (SDM Vol. 2B PUSHF). */
	X86_INS_PUSHF, X86_INS_PUSHFD, X86_INS_PUSHFQ,
};

static int is_legacy_prefix(uint8_t b)
{
	return b == 0x66 || b == 0x67 || b == 0xf2 || b == 0xf3 || b == 0xf0 || b == 0x2e ||
	       b == 0x36 || b == 0x3e || b == 0x26 || b == 0x64 || b == 0x65;
}

/* The first opcode byte after legacy prefixes and REX. C4/C5 (VEX), 62
 * (EVEX) and 8F with a ModRM reg field other than 0 (XOP) start an encoding
 * that needs CR4.OSXSAVE in 64-bit mode (LES, LDS and BOUND do not exist
 * there). Also RDPKRU/WRPKRU (0F 01 EE/EF), unknown to Capstone 4. */
static int needs_host_cr4(const uint8_t *b, size_t n)
{
	size_t i = 0;
	while (i < n && is_legacy_prefix(b[i]))
		i++;
	if (i < n && (b[i] & 0xf0) == 0x40)
		i++;
	if (i >= n)
		return 0;
	if (b[i] == 0xc4 || b[i] == 0xc5 || b[i] == 0x62)
		return 1;
	if (b[i] == 0x8f && i + 1 < n && ((b[i + 1] >> 3) & 7) != 0)
		return 1;
	return i + 2 < n && b[i] == 0x0f && b[i + 1] == 0x01 && (b[i + 2] == 0xee || b[i + 2] == 0xef);
}

/* MOV to or from a segment register, PUSH/POP FS/GS. */
static int uses_sreg(const cs_insn *in)
{
	if (in->id != X86_INS_MOV && in->id != X86_INS_PUSH && in->id != X86_INS_POP)
		return 0;
	const cs_x86 *x = &in->detail->x86;
	for (unsigned k = 0; k < x->op_count; k++)
		if (x->operands[k].type == X86_OP_REG) {
			x86_reg r = x->operands[k].reg;
			if (r == X86_REG_CS || r == X86_REG_DS || r == X86_REG_ES ||
			    r == X86_REG_FS || r == X86_REG_GS || r == X86_REG_SS)
				return 1;
		}
	return 0;
}

int native_scan_host_state(const struct cpuid_table *t, const uint8_t *code, uint32_t len,
			   char *why, size_t whylen)
{
	csh cs;
	if (cs_open(CS_ARCH_X86, CS_MODE_64, &cs) != CS_ERR_OK) {
		snprintf(why, whylen, "native:no decoder");
		return 1;
	}
	cs_option(cs, CS_OPT_DETAIL, CS_OPT_ON);
	cs_insn *in = cs_malloc(cs);
	const uint8_t *p = code;
	size_t left = len;
	uint64_t addr = 0x10000;
	int found = 0;
	while (left && !found) {
		if (!cs_disasm_iter(cs, &p, &left, &addr, in)) {
			/* Not an instruction Capstone knows: the CPU decides
			 * (#UD, or something new); go on after the byte. */
			p++, left--, addr++;
			continue;
		}
		int hit = needs_host_cr4(in->bytes, in->size) || uses_sreg(in);
		for (unsigned k = 0; !hit && k < sizeof(host_state_insns) / sizeof(host_state_insns[0]); k++)
			hit = in->id == host_state_insns[k];
		if (hit) {
			snprintf(why, whylen, "native:host %s", in->mnemonic);
			found = 1;
		} else
			found = native_cpuid_differs(t, in, why, whylen);
	}
	cs_free(in, 1);
	cs_close(&cs);
	return found;
}
