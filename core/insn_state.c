/* What an instruction can change outside the registers a case's outcome
 * holds (insn_state.h), by its opcode bytes:
 *   0F 30       WRMSR                         -> MSRs
 *   0F 01 xx    by its ModRM byte xx (below)  -> MSRs, XCRs, FPU, or nothing
 *   0F 23       MOV DRn, r                    -> debug registers
 *   D8..DF      x87                           -> FPU
 *   0F <sse>    SSE/MMX, XRSTORS...           -> FPU, XMM
 *   0F AE xx    FXRSTOR, LDMXCSR, XRSTOR (memory forms /1 /2 /5); not
 *               FXSAVE, STMXCSR, XSAVE, CLFLUSH, the fences, RD/WRFSBASE
 *               (segment bases: system registers)   -> FPU, XMM
 *   C4 C5 62 xx VEX/EVEX: always in 64-bit code; elsewhere only with
 *               xx >= C0 (else LES, LDS, BOUND: SDM Vol. 2A 3.1.1.x)
 *   8F xx       XOP when ModRM.reg of xx is not 0 (else POP r/m)
 * A byte whose following bytes are missing counts as a hit: what follows
 * the code is never known. */
#include "insn_state.h"

#define SSE (INSN_STATE_FPU | INSN_STATE_XMM)
static const uint8_t after_0f[256] = {
	[0x30] = INSN_STATE_MSRS,
	[0x23] = INSN_STATE_DREGS,
	[0x0e ... 0x0f] = INSN_STATE_FPU,
	[0x10 ... 0x17] = SSE,
	[0x28 ... 0x2f] = SSE,
	[0x38] = SSE, [0x3a] = SSE,
	[0x50 ... 0x7f] = SSE,
	[0xc2] = SSE,
	[0xc4 ... 0xc7] = SSE,
	[0xd0 ... 0xff] = SSE,
};

/* 0F 01 by its third byte (SDM Vol. 2A Table A-6, AMD APM Vol. 3 A.2):
 * memory forms (SGDT ... INVLPG) change only system registers or memory. */
static unsigned of_0f01(uint8_t m)
{
	if (m < 0xc0)
		return 0;
	if (m == 0xd1)                              /* XSETBV */
		return INSN_STATE_XCRS | INSN_STATE_FPU;
	if (m == 0xc6 || m == 0xda || m == 0xf8)    /* WRMSRNS, VMLOAD, SWAPGS */
		return INSN_STATE_MSRS;
	if (m >= 0xe8 && m <= 0xef)                 /* WRPKRU, CET and UINTR forms */
		return INSN_STATE_MSRS | INSN_STATE_FPU;
	return 0;
}

static unsigned of_0fae(uint8_t m)
{
	unsigned reg = (m >> 3) & 7;
	/* Register forms: fences, RD/WRFSBASE, PTWRITE, and INCSSP, which
	 * #UDs with CR4.CET clear (no mode or knob sets it). */
	return m < 0xc0 && (reg == 1 || reg == 2 || reg == 5) ? SSE : 0;
}

/* The opcode starting at code[i] (len bytes known in all). */
static unsigned opcode_at(const uint8_t *code, uint32_t len, uint32_t i, int bits64)
{
	uint8_t b = code[i];
	int more = i + 1 < len, third = i + 2 < len;
	uint8_t n = more ? code[i + 1] : 0;
	if (b >= 0xd8 && b <= 0xdf)
		return INSN_STATE_FPU;              /* x87 cannot write an XMM register */
	if (b == 0xc4 || b == 0xc5 || b == 0x62)
		return bits64 || !more || n >= 0xc0 ? SSE : 0;
	if (b == 0x8f)
		return !more || ((n >> 3) & 7) ? SSE : 0;
	if (b != 0x0f || !more)
		return 0;
	if (n == 0x01)
		return third ? of_0f01(code[i + 2]) :
			       INSN_STATE_MSRS | INSN_STATE_XCRS | INSN_STATE_FPU;
	if (n == 0xae)
		return third ? of_0fae(code[i + 2]) : SSE;
	return after_0f[n];
}
#undef SSE

unsigned insn_state_scan(const uint8_t *code, uint32_t len, int bits64)
{
	unsigned m = 0;
	for (uint32_t i = 0; i < len; i++)
		m |= opcode_at(code, len, i, bits64);
	return m;
}

static int is_prefix(uint8_t b, int bits64)
{
	switch (b) {
	case 0x26: case 0x2e: case 0x36: case 0x3e: case 0x64: case 0x65:
	case 0x66: case 0x67: case 0xf0: case 0xf2: case 0xf3:
		return 1;
	default:
		return bits64 && (b & 0xf0) == 0x40; /* REX; INC/DEC elsewhere */
	}
}

unsigned insn_state_of(const uint8_t *insn, uint32_t len, int bits64)
{
	uint32_t i = 0;
	while (i < len && is_prefix(insn[i], bits64))
		i++;
	/* Only prefixes known: whatever follows could be any opcode. */
	return i < len ? opcode_at(insn, len, i, bits64) :
			 INSN_STATE_RESTORABLE | INSN_STATE_XMM;
}
