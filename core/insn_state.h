/* Which vCPU state outside the general registers and system registers an
 * x86 instruction can change: MSRs, XCR0, debug registers, the x87/SSE/AVX
 * state. An executor that keeps one vCPU across cases puts back what a case
 * may have changed; these bits say what (the KVM executor's restores). */
#ifndef EXITDIFF_INSN_STATE_H
#define EXITDIFF_INSN_STATE_H

#include <stdint.h>

enum {
	INSN_STATE_MSRS = 1u << 0,
	INSN_STATE_XCRS = 1u << 1,
	INSN_STATE_DREGS = 1u << 2,
	INSN_STATE_FPU = 1u << 3,    /* x87, MXCSR, XMM/YMM: the XSAVE state */
	INSN_STATE_RESTORABLE = 0xfu,
	/* Not state to put back: the instruction may write an XMM register,
	 * so an end state must read them. */
	INSN_STATE_XMM = 1u << 4,
	/* In outcome.insn_state: the bits are known (the reference sets it;
	 * an executor that cannot tell leaves insn_state 0). */
	INSN_STATE_KNOWN = 1u << 7,
};

/* Every byte of code taken as a possible instruction start: a jump may
 * land anywhere, so nothing is missed, and a byte inside an immediate can
 * be a false hit. bits64: the code may run as 64-bit code (long mode),
 * where C4/C5/62 are always VEX/EVEX. */
unsigned insn_state_scan(const uint8_t *code, uint32_t len, int bits64);
/* One instruction whose bytes start at insn (len of them, what is known
 * of it): its prefixes skipped, its opcode decides. Exact for the
 * instruction that ran, which the scan is not. */
unsigned insn_state_of(const uint8_t *insn, uint32_t len, int bits64);

#endif
