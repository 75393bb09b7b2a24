/* Real-mode decoding and naming (IP 0, TZCNT/LZCNT and CRC32 with 16-bit
 * operands), each checked through whole cases run by ref_executor_ops. Expected values are
 * worked out from the SDM, not from the code under test.
 *  - Real mode starts at IP 0: what ran there must be remembered (the
 *    signature of a terminal mismatch names the instruction at KVM's RIP,
 *    core/diff.c), so outcome.ran marks an empty slot by its mnemonic.
 *    Slots are probed linearly (ran_find/ran_place), so an address whose
 *    home slot a later one takes is still known.
 *  - F3 0F BC/BD with a 16-bit operand is TZCNT/LZCNT (SDM Vol. 2B TZCNT,
 *    Vol. 2A LZCNT); Capstone 4 names it BSF/BSR, and that name keyed the
 *    signatures, so KVM's known TZCNT-as-BSF divergence surfaced as new
 *    "bsf" buckets.
 *  - F2 0F 38 F0 is CRC32, which Capstone 4 decodes as MOVBE in 16-bit
 *    code; the reference ran it as MOVBE. */
#include <string.h>
#include "outcome_check.h"
#include "ref_internal.h"

static struct executor ex;
static struct outcome out;
static struct test_case tc;


static void go(const char *name, const uint8_t *code, unsigned n)
{
	oc_run_code(&ex, &tc, &out, name, code, n);
}

static const char *ran_at(uint64_t rip)
{
	const struct ran_insn *r = ran_find(&out, rip);
	return r ? r->mnemonic : "";
}

static void ran_at_ip0(void)
{
	case_init(&tc);
	tc.mode = MODE_REAL16;
	go("mfence; hlt: the first instruction sits at IP 0", B(0x0f, 0xae, 0xf0, 0xf4));
	oc_want_hlt(&out, 4);
	CHECK(!strcmp(ran_at(0), "mfence"), "ran at IP 0 is mfence (got '%s')", ran_at(0));
	CHECK(!strcmp(ran_at(3), "hlt"), "ran at IP 3 is hlt (got '%s')", ran_at(3));

	/* 16 addresses: 0 and 0x11 share a home slot (RAN_SLOT); both must
	 * stay known (KVM fails at the MFENCE, the reference goes on). */
	case_init(&tc);
	tc.mode = MODE_REAL16;
	go("mfence; 14 x nop; hlt at 0x11", B(0x0f, 0xae, 0xf0, 0x90, 0x90, 0x90, 0x90, 0x90,
					      0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90,
					      0x90, 0xf4));
	oc_want_hlt(&out, 0x12);
	CHECK(RAN_SLOT(0) == RAN_SLOT(0x11), "0 and 0x11 share a home slot");
	CHECK(!strcmp(ran_at(0), "mfence"), "ran at IP 0 still mfence (got '%s')", ran_at(0));
	CHECK(!strcmp(ran_at(0x11), "hlt"), "ran at IP 0x11 is hlt (got '%s')", ran_at(0x11));
	CHECK(!strcmp(ran_at(0x10), "nop"), "ran at IP 0x10 is nop (got '%s')", ran_at(0x10));

	/* More addresses than slots: the first ones stay (KVM's emulator
	 * fails at its first visit of an instruction). */
	case_init(&tc);
	tc.mode = MODE_REAL16;
	go("mfence; 40 x nop; hlt", B(0x0f, 0xae, 0xf0, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90,
				      0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90,
				      0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90,
				      0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90,
				      0x90, 0x90, 0x90, 0xf4));
	oc_want_hlt(&out, 0x2c);
	CHECK(!strcmp(ran_at(0), "mfence"), "ran at IP 0 kept past 16 addresses (got '%s')",
	      ran_at(0));
	CHECK(!strcmp(ran_at(0x2b), ""), "the 42nd address is not kept (got '%s')", ran_at(0x2b));
}

static void tzcnt_named(void)
{
	case_init(&tc);
	tc.mode = MODE_REAL16;
	tc.gpr[RAX] = 0x5555;
	tc.gpr[RCX] = 0x0000;
	go("tzcnt ax, cx (f3 0f bc c1) with cx = 0", B(0xf3, 0x0f, 0xbc, 0xc1, 0xf4));
	oc_want_hlt(&out, 5);
	/* TZCNT of a zero 16-bit source is the operand size, CF=1 (Vol. 2B). */
	CHECK_EQ_U64(out.state.gpr[RAX], 16, "ax = 16");
	CHECK_EQ_U64(out.state.rflags & RFLAGS_CF, RFLAGS_CF, "CF set");
	CHECK(!strcmp(ran_at(0), "tzcnt"), "named tzcnt, not bsf (got '%s')", ran_at(0));
	CHECK(!strcmp(out.writer_gpr[RAX], "tzcnt"), "writer of ax is tzcnt (got '%.16s')",
	      out.writer_gpr[RAX]);

	case_init(&tc);
	tc.mode = MODE_REAL16;
	tc.gpr[RCX] = 0x0100;
	go("lzcnt ax, cx (f3 0f bd c1) with cx = 0x100", B(0xf3, 0x0f, 0xbd, 0xc1, 0xf4));
	oc_want_hlt(&out, 5);
	CHECK_EQ_U64(out.state.gpr[RAX], 7, "ax = 7 leading zeros");
	CHECK(!strcmp(ran_at(0), "lzcnt"), "named lzcnt, not bsr (got '%s')", ran_at(0));

	case_init(&tc);
	tc.mode = MODE_REAL16;
	tc.gpr[RCX] = 0x0100;
	go("bsf ax, cx (0f bc c1) keeps its name", B(0x0f, 0xbc, 0xc1, 0xf4));
	oc_want_hlt(&out, 4);
	CHECK_EQ_U64(out.state.gpr[RAX], 8, "ax = 8");
	CHECK(!strcmp(ran_at(0), "bsf"), "named bsf (got '%s')", ran_at(0));
}

/* F2 0F 38 F0 /r is CRC32 r32, r/m8 (SDM Vol. 2A CRC32); Capstone 4 calls
 * it MOVBE in 16-bit code. Running it as MOVBE (a byte-swapped word load)
 * is wrong; the reference does not model it there. */
static void crc32_not_movbe(void)
{
	case_init(&tc);
	tc.mode = MODE_REAL16;
	tc.gpr[RAX] = 0x1111;
	go("f2 0f 38 f0 06 00 20 (crc32 eax, byte [0x2000])",
	   B(0xf2, 0x0f, 0x38, 0xf0, 0x06, 0x00, 0x20, 0xf4));
	CHECK_EQ_U64(oc_term(&out)->kind, EXIT_UNSUPPORTED, "not run as MOVBE: unsupported");
	CHECK_EQ_U64(out.state.gpr[RAX], 0x1111, "ax untouched");

	case_init(&tc);
	tc.mode = MODE_REAL16;
	go("0f 38 f0 06 00 20 (movbe ax, [0x2000]) still runs",
	   B(0x0f, 0x38, 0xf0, 0x06, 0x00, 0x20, 0xf4));
	oc_want_hlt(&out, 7);
}

int main(void)
{
	if (oc_open_ref(&ex) < 0)
		return 1;
	/* SSE4.2 and MOVBE (leaf 1 ECX bits 20, 22), SSE and SSE2 (leaf 1
	 * EDX bits 25, 26: the fences), BMI1 (7.0 EBX
	 * bit 3: TZCNT), ABM (0x80000001 ECX bit 5: LZCNT). */
	static struct cpuid_table feat = { .n = 3, .e = {
		{ .leaf = 1, .ecx = (1u << 20) | (1u << 22), .edx = (1u << 25) | (1u << 26) },
		{ .leaf = 7, .ebx = 1u << 3 },
		{ .leaf = 0x80000001u, .ecx = 1u << 5 },
	} };
	ex.cpuid = &feat;
	ran_at_ip0();
	tzcnt_named();
	crc32_not_movbe();
	ex.ops->fini(&ex);
	return check_done("test_ref_real_mode_decode");
}
