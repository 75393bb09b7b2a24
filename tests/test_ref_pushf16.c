/* PUSHF/POPF in 16-bit and 32-bit code, run as whole cases by
 * ref_executor_ops. Expected values are worked out from the SDM (Vol. 2B
 * PUSHF/PUSHFD, POPF/POPFD; Vol. 2A 2.2.1.2 for operand sizes), not from
 * the code under test: the operand size is 16 bits by default in 16-bit
 * code and 32 with 66h (the other way round in 32-bit code); the image
 * goes to SS:SP; POPF at CPL0 loads every non-reserved flag of its width
 * but VM, VIF and VIP; a POPF that would change IF or TF is not modeled.
 * Also BSWAP's operand size in 16-bit code (66h: 32 bits; else undefined). */
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
	case_init(&tc);
	tc.mode = (uint8_t)m;
}

static uint64_t mem(uint64_t la, unsigned n)
{
	uint64_t v = 0;
	memcpy(&v, out.mem + (la - LAYOUT_CMP_BASE), n);
	return v;
}

int main(void)
{
	ex.ops = &ref_executor_ops;
	if (ex.ops->init(&ex, ex.err, sizeof(ex.err)) < 0) {
		printf("FAILED: init: %s\n", ex.err);
		return 1;
	}
	const uint64_t stack_top = LAYOUT_CODE + 0x6000; /* SS:6000 in real mode */

	start(MODE_REAL16);
	tc.rflags = 0x2 | RFLAGS_CF | RFLAGS_DF;
	go("real16 pushf: 2 bytes at SS:5FFE", B(0x9c, 0xf4));
	oc_want_hlt(&out, 2);
	CHECK_EQ_U64(out.state.gpr[RSP], 0x15ffe, "SP -= 2 (ESP 0x16000: bits 31:16 kept)");
	CHECK_EQ_U64(mem(stack_top - 2, 2), 0x403, "image DF|1|CF");
	CHECK_EQ_U64(mem(stack_top - 4, 2), 0, "nothing below it");

	start(MODE_REAL16);
	tc.rflags = 0x2 | RFLAGS_ZF;
	go("real16 66 pushfd: 4 bytes", B(0x66, 0x9c, 0xf4));
	CHECK_EQ_U64(out.state.gpr[RSP], 0x15ffc, "SP -= 4");
	CHECK_EQ_U64(mem(stack_top - 4, 4), 0x42, "image ZF|1");

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
	CHECK_EQ_U64(mem(LAYOUT_STACK_TOP - 4, 4), 0x802, "dword image OF|1");
	CHECK_EQ_U64(mem(LAYOUT_STACK_TOP - 6, 2), 0x802, "word image OF|1");

	start(MODE_PROT32);
	go("prot32 push 0x240001; popfd: AC and ID", B(0x68, 0x01, 0x00, 0x24, 0x00, 0x9d, 0xf4));
	CHECK_EQ_U64(out.state.rflags, 0x240003, "ID|AC|1|CF");

	start(MODE_PROT32);
	go("prot32 push 0x200; popfd sets IF: not modeled", B(0x68, 0x00, 0x02, 0x00, 0x00, 0x9d, 0xf4));
	CHECK_EQ_U64(oc_term(&out)->kind, EXIT_UNSUPPORTED, "unsupported");

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

	ex.ops->fini(&ex);
	return check_done("test_ref_pushf16");
}
