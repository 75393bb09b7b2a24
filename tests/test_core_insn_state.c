/* What an instruction can change outside the compared registers
 * (core/insn_state.c). insn_state_scan, the KVM executor's byte scan over
 * a whole case, so that only those cases pay for restore ioctls; and
 * insn_state_of, one instruction as the reference ran it, which a byte
 * inside an immediate must not fool. Every opcode that changes MSRs,
 * XCR0, debug registers or the XSAVE state must be seen wherever it sits;
 * the second and third bytes tell the forms that change none of them
 * (memory forms of 0F 01, fences, POP r/m, LES/LDS outside 64-bit code)
 * apart. Rows are spelled out from the SDM opcode maps, not from the scan's
 * tables. No KVM needed. */
#include <string.h>
#include "check.h"
#include "insn_state.h"
#include "mode.h"

#define M INSN_STATE_MSRS
#define X INSN_STATE_XCRS
#define D INSN_STATE_DREGS
#define F INSN_STATE_FPU
#define S (INSN_STATE_FPU | INSN_STATE_XMM)
#define ALL (INSN_STATE_RESTORABLE | INSN_STATE_XMM)

static const struct {
	const char *what, *hex;
	unsigned mode, want;
} rows[] = {
	{ "wrmsr", "0f30f4", MODE_LONG64, M },
	{ "swapgs", "0f01f8f4", MODE_LONG64, M },
	{ "xsetbv", "0f01d1f4", MODE_LONG64, X | F },
	{ "wrpkru", "0f01eff4", MODE_LONG64, M | F },
	{ "vmload (DA is an x87 byte too)", "0f01daf4", MODE_LONG64, M | F },
	{ "mov dr7, rax", "0f23f8f4", MODE_LONG64, D },
	{ "fld1", "d9e8f4", MODE_LONG64, F },
	{ "add eax, ebx (a ModRM byte D8: a false x87 hit kept)", "01d8f4", MODE_LONG64, F },
	{ "movaps xmm0, xmm1", "0f28c1f4", MODE_LONG64, S },
	{ "ldmxcsr [rax]", "0fae10f4", MODE_LONG64, S },
	{ "fxrstor [rax]", "0fae08f4", MODE_LONG64, S },
	{ "xrstor [rax]", "0fae28f4", MODE_LONG64, S },
	{ "xrstors [rax]", "0fc718f4", MODE_LONG64, S },
	{ "vzeroupper", "c5f877f4", MODE_LONG64, S },
	{ "vex in prot32 (mod 11)", "c5f877f4", MODE_PROT32, S },
	{ "c5 with a memory ModRM in compat32 (a far jump reaches 64-bit code)", "c500f4",
	  MODE_COMPAT32, S },
	{ "xop", "8fe878c0f4", MODE_LONG64, S },
	{ "0f 01 at the end", "900f01", MODE_LONG64, M | X | F },
	{ "0f ae at the end", "900fae", MODE_LONG64, S },
	{ "c4 at the end (prot32)", "90c4", MODE_PROT32, S },
	{ "wrmsr after a jump target inside an immediate", "eb01b80f30f4", MODE_LONG64, M },
	/* Forms that change nothing the restores cover. */
	{ "vmcall", "0f01c1f4", MODE_LONG64, 0 },
	{ "lgdt [rax] (sregs, compared per case)", "0f0110f4", MODE_LONG64, 0 },
	{ "sgdt [rax]", "0f0100f4", MODE_LONG64, 0 },
	{ "rdtscp", "0f01f9f4", MODE_LONG64, 0 },
	{ "lfence", "0faee8f4", MODE_LONG64, 0 },
	{ "mfence", "0faef0f4", MODE_LONG64, 0 },
	{ "fxsave [rax]", "0fae00f4", MODE_LONG64, 0 },
	{ "clflush [rax]", "0fae38f4", MODE_LONG64, 0 },
	{ "pop qword [rax]", "8f00f4", MODE_LONG64, 0 },
	{ "les eax, [eax] (prot32)", "c400f4", MODE_PROT32, 0 },
	{ "lds ax, [bx+si] (real16)", "c500f4", MODE_REAL16, 0 },
	{ "bound eax, [eax] (prot32)", "6200f4", MODE_PROT32, 0 },
	{ "mov, add, out, hlt without D8", "b80100000001c3e680f4", MODE_LONG64, 0 },
};

/* One instruction, prefixes first: only its opcode counts. */
static const struct {
	const char *what, *hex;
	int bits64;
	unsigned want;
} insns[] = {
	{ "add eax, ebx (ModRM D8)", "01d8", 1, 0 },
	{ "mov eax, 0xdf300fd9 (x87 and WRMSR bytes in the immediate)", "b8d90f30df", 1, 0 },
	{ "mov rax, [rip+0x300f] (WRMSR bytes in the displacement)", "488b050f300000", 1, 0 },
	{ "fld1", "d9e8", 1, F },
	{ "wrmsr", "0f30", 1, M },
	{ "rex.w wrmsr", "480f30", 1, M },
	{ "f3 0f 7e (movq xmm: a prefix before the escape)", "f30f7ec1", 1, S },
	{ "es fs gs lock 66 67 then mov dr7", "262e3664656667f00f23f8", 1, D },
	{ "rex then vex", "40c5f877", 1, S },
	{ "inc eax then wrmsr outside 64-bit code: 40 is INC, an opcode", "400f30", 0, 0 },
	{ "les in prot32", "c400", 0, 0 },
	{ "xsetbv", "0f01d1", 1, X | F },
	{ "lfence", "0faee8", 1, 0 },
	{ "ldmxcsr [rax]", "0fae10", 1, S },
	{ "only prefixes known: anything may follow", "6666", 1, ALL },
};

static void test_one_insn(void)
{
	for (size_t i = 0; i < sizeof(insns) / sizeof(insns[0]); i++) {
		uint8_t code[32];
		int n = hex_bytes(insns[i].hex, code, sizeof(code));
		char what[160];
		snprintf(what, sizeof(what), "one instruction: %s (%s): state", insns[i].what,
			 insns[i].hex);
		CHECK_EQ_U64(insn_state_of(code, (uint32_t)n, insns[i].bits64), insns[i].want, what);
	}
}

int main(void)
{
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		uint8_t code[32];
		int n = hex_bytes(rows[i].hex, code, sizeof(code));
		unsigned got = insn_state_scan(code, (uint32_t)n, mode_long((enum cpu_mode)rows[i].mode));
		char what[160];
		snprintf(what, sizeof(what), "%s (%s, %s): restore mask", rows[i].what, rows[i].hex,
			 mode_name((enum cpu_mode)rows[i].mode));
		CHECK_EQ_U64(got, rows[i].want, what);
	}
	test_one_insn();
	return check_done("test_core_insn_state");
}
