/* Instruction forms of 16- and 32-bit code, run as whole cases by
 * ref_executor_ops. Expected values are worked out from the SDM, not from
 * the code under test.
 *
 * String instructions (Vol. 2B MOVS/STOS/LODS/SCAS/CMPS/INS/OUTS, REP;
 * Vol. 1 3.4.1.1 for register widths):
 *  - real16 addresses with SI/DI/CX (16 bits: the upper halves of ESI,
 *    EDI and ECX stay), steps by the element, wraps SI/DI within 64 KiB;
 *  - the W/D forms (A5, AB, AD, AF, 6D, 6F) are 16-bit by default in
 *    16-bit code and 32-bit with 66h (in 32-bit code the other way round);
 *  - 67h in real mode makes ESI/EDI/ECX the pointers, and an offset past
 *    the 64 KiB limit is #GP(0);
 *  - LOCK with REPNE before a string instruction is #UD, in any order.
 * PUSHF/POPF (Vol. 2B PUSHF/PUSHFD, POPF/POPFD; Vol. 2A 2.2.1.2): the
 * operand size follows the code size and 66h; the image goes to SS:SP;
 * POPF at CPL0 loads every non-reserved flag of its width but VM, VIF and
 * VIP; a POPF that would change IF or TF is not modeled.
 * BSWAP (Vol. 2A BSWAP): 66h in 16-bit code is the 32-bit form; the
 * 16-bit form's result is undefined. */
#include <string.h>
#include "outcome_check.h"
#include "layout.h"

static struct executor ex;
static struct outcome out;
static struct test_case tc;

static void go(const char *name, const uint8_t *code, unsigned n)
{
	oc_run_code(&ex, &tc, &out, name, code, n);
}

static void start(enum cpu_mode m)
{
	oc_start(&tc, m, 0);
}

static void test_strings(void)
{
	const uint64_t ds = LAYOUT_CODE; /* real16: every segment base 0x10000 */

	/* rep movsw: CX = 3 words from DS:2000 to ES:2100; ESI/EDI/ECX keep
	 * bits 31:16 (set here to show it). */
	start(MODE_REAL16);
	tc.gpr[RSI] = 0x00012000;
	tc.gpr[RDI] = 0x00032100;
	tc.gpr[RCX] = 0x00050003;
	tc.data_len = 6;
	memcpy(tc.data, "\x11\x22\x33\x44\x55\x66", 6);
	go("rep movsw, 3 words", B(0xf3, 0xa5, 0xf4));
	oc_want_hlt(&out, 3);
	CHECK_EQ_U64(oc_mem(&out, ds + 0x2100, 6), 0x665544332211ull, "6 bytes copied to ES:2100");
	CHECK_EQ_U64(out.state.gpr[RSI], 0x00012006, "SI += 6, bits 31:16 kept");
	CHECK_EQ_U64(out.state.gpr[RDI], 0x00032106, "DI += 6, bits 31:16 kept");
	CHECK_EQ_U64(out.state.gpr[RCX], 0x00050000, "CX counted to 0, bits 31:16 kept");

	/* 66h: movsd in 16-bit code moves 4 bytes. */
	start(MODE_REAL16);
	tc.gpr[RSI] = 0x2000;
	tc.gpr[RDI] = 0x2100;
	tc.data_len = 4;
	memcpy(tc.data, "\xaa\xbb\xcc\xdd", 4);
	go("66 movsd: one dword", B(0x66, 0xa5, 0xf4));
	oc_want_hlt(&out, 3);
	CHECK_EQ_U64(oc_mem(&out, ds + 0x2100, 4), 0xddccbbaaull, "dword at ES:2100");
	CHECK_EQ_U64(out.state.gpr[RSI], 0x2004, "SI += 4");

	/* std; stosb with DI = 0: DI wraps to FFFF within the segment. */
	start(MODE_REAL16);
	tc.gpr[RAX] = 0x5a;
	tc.gpr[RDI] = 0x2000;
	go("std; stosb; stosb from DI 2000 down", B(0xfd, 0xaa, 0xaa, 0xf4));
	oc_want_hlt(&out, 4);
	CHECK_EQ_U64(oc_mem(&out, ds + 0x1fff, 2), 0x5a5a, "bytes at 1FFF and 2000");
	CHECK_EQ_U64(out.state.gpr[RDI], 0x1ffe, "DI stepped down twice");
	start(MODE_REAL16);
	tc.gpr[RSI] = 0;
	tc.rflags = 0x2 | RFLAGS_DF;
	go("lodsb at SI 0 with DF: SI wraps to FFFF", B(0xac, 0xf4));
	oc_want_hlt(&out, 2);
	CHECK_EQ_U64(out.state.gpr[RSI], 0xffff, "SI = FFFF");

	/* lodsw (16-bit default): AL/AH loaded, bits 31:16 of EAX kept. */
	start(MODE_REAL16);
	tc.gpr[RAX] = 0x77770000;
	tc.gpr[RSI] = 0x2000;
	tc.data_len = 2;
	memcpy(tc.data, "\x34\x12", 2);
	go("lodsw", B(0xad, 0xf4));
	CHECK_EQ_U64(out.state.gpr[RAX], 0x77771234, "AX = 1234, upper half kept");

	/* repe cmpsb stops at the first difference (third byte). */
	start(MODE_REAL16);
	tc.gpr[RSI] = 0x2000;
	tc.gpr[RDI] = 0x2010;
	tc.gpr[RCX] = 8;
	tc.data_len = 0x14;
	memcpy(tc.data, "abcd", 4);
	memcpy(tc.data + 0x10, "abXd", 4);
	go("repe cmpsb", B(0xf3, 0xa6, 0xf4));
	oc_want_hlt(&out, 3);
	CHECK_EQ_U64(out.state.gpr[RCX], 5, "CX = 8 - 3");
	CHECK_EQ_U64(out.state.gpr[RSI], 0x2003, "SI past the differing byte");
	CHECK_EQ_U64(out.state.rflags & RFLAGS_ZF, 0, "ZF = 0");

	/* 67h in real mode: ESI is the pointer; 0x10000 is past the limit. */
	start(MODE_REAL16);
	tc.gpr[RSI] = 0x10000;
	go("67 lodsb with ESI = 10000: #GP(0)", B(0x67, 0xac, 0xf4));
	oc_want_exc(&out, 13, 0, 0, 0);
	start(MODE_REAL16);
	tc.gpr[RSI] = 0x12000;
	go("lodsb with ESI = 12000: only SI (2000) counts", B(0xac, 0xf4));
	oc_want_hlt(&out, 2);
	CHECK_EQ_U64(out.state.gpr[RSI], 0x12001, "SI + 1, bit 16 kept");

	/* insw in real mode: 2 bytes from the port (answer 0xffff). */
	start(MODE_REAL16);
	tc.gpr[RDI] = 0x2000;
	tc.gpr[RDX] = 0x80;
	go("insw: one word", B(0x6d, 0xf4));
	oc_want_hlt(&out, 2);
	CHECK_EQ_U64(out.events[0].size, 2, "IN event of 2 bytes");
	CHECK_EQ_U64(out.state.gpr[RDI], 0x2002, "DI += 2");

	/* 32-bit code: A5 is movsd, 66 A5 movsw. */
	start(MODE_PROT32);
	tc.gpr[RSI] = LAYOUT_DATA;
	tc.gpr[RDI] = LAYOUT_DATA + 0x100;
	tc.data_len = 4;
	memcpy(tc.data, "\x01\x02\x03\x04", 4);
	go("prot32 66 movsw: 2 bytes", B(0x66, 0xa5, 0xf4));
	CHECK_EQ_U64(oc_mem(&out, LAYOUT_DATA + 0x100, 4), 0x0201, "two bytes copied");
	CHECK_EQ_U64(out.state.gpr[RSI], LAYOUT_DATA + 2, "ESI += 2");

	/* LOCK REPNE / REPNE LOCK STOSB: #UD (Capstone shows one prefix). */
	start(MODE_LONG64);
	tc.gpr[RDI] = LAYOUT_DATA;
	go("F2 F0 stosb: #UD", B(0xf2, 0xf0, 0xaa, 0xf4));
	oc_want_exc(&out, 6, 0, 0, LAYOUT_CODE);
	go("F0 F2 stosb: #UD", B(0xf0, 0xf2, 0xaa, 0xf4));
	oc_want_exc(&out, 6, 0, 0, LAYOUT_CODE);

}

static void test_pushf_popf(void)
{
	const uint64_t stack_top = LAYOUT_CODE + 0x6000; /* SS:6000 in real mode */

	start(MODE_REAL16);
	tc.rflags = 0x2 | RFLAGS_CF | RFLAGS_DF;
	go("real16 pushf: 2 bytes at SS:5FFE", B(0x9c, 0xf4));
	oc_want_hlt(&out, 2);
	CHECK_EQ_U64(out.state.gpr[RSP], 0x15ffe, "SP -= 2 (ESP 0x16000: bits 31:16 kept)");
	CHECK_EQ_U64(oc_mem(&out, stack_top - 2, 2), 0x403, "image DF|1|CF");
	CHECK_EQ_U64(oc_mem(&out, stack_top - 4, 2), 0, "nothing below it");

	start(MODE_REAL16);
	tc.rflags = 0x2 | RFLAGS_ZF;
	go("real16 66 pushfd: 4 bytes", B(0x66, 0x9c, 0xf4));
	CHECK_EQ_U64(out.state.gpr[RSP], 0x15ffc, "SP -= 4");
	CHECK_EQ_U64(oc_mem(&out, stack_top - 4, 4), 0x42, "image ZF|1");

	/* push 0x70c5; popf: NT, IOPL 3, SF, ZF, PF, CF come in (CPL0 may
	 * change IOPL and NT); IF stays clear, as in the image. */
	start(MODE_REAL16);
	go("real16 push 0x70c5; popf", B(0x68, 0xc5, 0x70, 0x9d, 0xf4));
	oc_want_hlt(&out, 5);
	CHECK_EQ_U64(out.state.rflags, 0x70c7, "flags = NT|IOPL3|SF|ZF|PF|CF with bit 1 fixed");
	CHECK_EQ_U64(out.state.gpr[RSP], 0x16000, "SP back");

	/* 16-bit POPF keeps flags 31:16 (AC set before). */
	start(MODE_REAL16);
	tc.rflags = 0x2 | (1u << 18);
	go("real16 push 1; popf keeps AC", B(0x6a, 0x01, 0x9d, 0xf4));
	CHECK_EQ_U64(out.state.rflags, 0x40003, "AC kept, CF from the image");

	start(MODE_PROT32);
	tc.rflags = 0x2 | RFLAGS_OF;
	go("prot32 pushfd: 4 bytes; 66 pushf: 2 more", B(0x9c, 0x66, 0x9c, 0xf4));
	CHECK_EQ_U64(out.state.gpr[RSP], LAYOUT_STACK_TOP - 6, "ESP -= 6");
	CHECK_EQ_U64(oc_mem(&out, LAYOUT_STACK_TOP - 4, 4), 0x802, "dword image OF|1");
	CHECK_EQ_U64(oc_mem(&out, LAYOUT_STACK_TOP - 6, 2), 0x802, "word image OF|1");

	start(MODE_PROT32);
	go("prot32 push 0x240001; popfd: AC and ID", B(0x68, 0x01, 0x00, 0x24, 0x00, 0x9d, 0xf4));
	CHECK_EQ_U64(out.state.rflags, 0x240003, "ID|AC|1|CF");

	start(MODE_PROT32);
	go("prot32 push 0x200; popfd sets IF: not modeled", B(0x68, 0x00, 0x02, 0x00, 0x00, 0x9d, 0xf4));
	CHECK_EQ_U64(oc_term(&out)->kind, EXIT_UNSUPPORTED, "unsupported");
}

static void test_bswap(void)
{
	/* BSWAP with a 16-bit operand: the result is undefined (SDM Vol. 2A
	 * BSWAP), so the register is unpredictable; 66h in 16-bit code makes
	 * it the 32-bit form. */
	start(MODE_REAL16);
	tc.gpr[RCX] = 0x11223344;
	go("real16 bswap cx: undefined", B(0x0f, 0xc9, 0xf4));
	oc_want_hlt(&out, 3);
	CHECK_EQ_U64(out.undefined_gprs, 1u << RCX, "RCX unpredictable");
	start(MODE_REAL16);
	tc.gpr[RCX] = 0x11223344;
	go("real16 66 bswap ecx", B(0x66, 0x0f, 0xc9, 0xf4));
	CHECK_EQ_U64(out.state.gpr[RCX], 0x44332211, "ecx swapped");
	CHECK_EQ_U64(out.undefined_gprs, 0, "nothing unpredictable");
	start(MODE_LONG64);
	tc.gpr[RCX] = 0xaabbccdd11223344ull;
	go("long64 bswap ecx zero-extends", B(0x0f, 0xc9, 0xf4));
	CHECK_EQ_U64(out.state.gpr[RCX], 0x44332211, "rcx = swapped ecx");
}

int main(void)
{
	if (oc_open_ref(&ex) < 0)
		return 1;
	test_strings();
	test_pushf_popf();
	test_bswap();
	ex.ops->fini(&ex);
	return check_done("test_ref_legacy_forms");
}
