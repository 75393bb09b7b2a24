/* Prefix precedence and privilege rules of 64-bit code, checked through
 * whole cases run by ref_executor_ops. Expected values come from the SDM and the host CPU
 * (kvm_pvm runs CPL3 code on it), not from the code under test.
 *  - F2/F3 select an SSE opcode over 66h, whatever their order: 66 F3 0F
 *    7E and F3 66 0F 7E are MOVQ xmm, xmm/m64 (a load), 66 F3 0F 6F/7F
 *    and F3 66 0F 6F/7F are MOVDQU (no alignment rule), and F2/F3 with an
 *    opcode that has only NP/66h forms (0F 6E, PXOR, XORPS, ...) is #UD
 *    (SDM Vol. 2A 2.1.2, Vol. 2 App. A table A-3). Measured natively:
 *    66 F3 0F 7E C1 and F3 66 0F 7E C1 both copy XMM1's low quadword into
 *    XMM0 (upper half zeroed) and leave ECX alone; 66 F3 0F 6E, 66 F3/F2
 *    0F EF/DB/EB/DF, F3 0F 57 and 66 F2 0F 7E raise SIGILL. Capstone 4
 *    honours F2/F3 only after the 66h (F3 66 0F 7E is "movd ecx, xmm0",
 *    F3 66 0F 6F "movdqa").
 *  - ES/CS/SS/DS overrides are ignored in 64-bit mode (SDM Vol. 3A 3.2.4):
 *    a non-canonical [RBP] reference under 26/2E/3E is still an SS one, so
 *    #SS(0), not #GP(0) (Vol. 1 3.3.7.1); 36h does not make [RDI] one.
 *    MOVDQA's alignment check comes before the canonical one. Measured
 *    natively on this host at CPL3 (26/2E/3E 48 8B 45 00: #SS; 36 48 8B
 *    03: #GP; 66 0F 6F 45 08 with RBP = 2^63: #GP).
 *  - POPF above CPL0 leaves IOPL alone, and IF unless CPL <= IOPL, without
 *    a fault (SDM Vol. 2B POPF, Operation); the reference let POPFQ at CPL3
 *    set IOPL.
 *  - A relative CALL/JMP with 67h and REX.W is rel32 with a 64-bit target:
 *    Capstone 4 takes 67h there as a 16-bit operand size (it wraps the
 *    target to 16 bits and decodes 67 48 E8 as 5 bytes with a rel16); the
 *    address size never applies to the displacement (SDM Vol. 2A CALL,
 *    JMP; KVM at CPL3, the CPU, lands at the 64-bit target). */
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

/* RAX = A, RCX = C, XMM1 = RAX (movq xmm1, rax: 66 48 0F 6E C8, 5 bytes),
 * then the instruction under test. */
static const uint64_t A = 0x3333333344444444ull, C = 0x7777777788888888ull;

static void start(void)
{
	oc_start(&tc, MODE_LONG64, KNOB_CPL3);
	tc.gpr[RAX] = A;
	tc.gpr[RCX] = C;
	tc.gpr[RBX] = LAYOUT_DATA;
	tc.data_len = 32;
	for (unsigned i = 0; i < 32; i++)
		tc.data[i] = (uint8_t)(0x10 + i);
}

/* HLT at CPL3 is #GP(0) at the HLT (SDM Vol. 2A HLT): the case got there. */
static void want_hlt_gp(uint64_t hlt_rip)
{
	oc_want_exc(&out, 13, 1, 0, hlt_rip);
}

static void movq_load_forms(void)
{
	start();
	go("movq xmm1, rax; 66 f3 0f 7e c1: movq xmm0, xmm1",
	   B(0x66, 0x48, 0x0f, 0x6e, 0xc8, 0x66, 0xf3, 0x0f, 0x7e, 0xc1, 0xf4));
	want_hlt_gp(0x10000 + 10);
	CHECK_EQ_U64(out.state.xmm[0][0], A, "xmm0 low = xmm1 low");
	CHECK_EQ_U64(out.state.gpr[RCX], C, "RCX untouched");

	start();
	go("movq xmm1, rax; f3 66 0f 7e c1: movq xmm0, xmm1 (not movd ecx, xmm0)",
	   B(0x66, 0x48, 0x0f, 0x6e, 0xc8, 0xf3, 0x66, 0x0f, 0x7e, 0xc1, 0xf4));
	want_hlt_gp(0x10000 + 10);
	CHECK_EQ_U64(out.state.xmm[0][0], A, "xmm0 low = xmm1 low");
	CHECK_EQ_U64(out.state.xmm[0][1], 0, "xmm0 high zeroed");
	CHECK_EQ_U64(out.state.gpr[RCX], C, "RCX untouched");

	start();
	go("f3 66 0f 7e 03: movq xmm0, [rbx] (a load, not a store of xmm0)",
	   B(0xf3, 0x66, 0x0f, 0x7e, 0x03, 0xf4));
	want_hlt_gp(0x10000 + 5);
	CHECK_EQ_U64(out.state.xmm[0][0], 0x1716151413121110ull, "xmm0 low = 8 data bytes");
	CHECK_EQ_U64(oc_mem(&out, LAYOUT_DATA, 4), 0x13121110u, "data not overwritten");

	start();
	tc.gpr[RBX] = 0xffff800000000000ull;
	go("66 f3 0f 7e 0b to an unmapped page: a read #PF (error 0x4), not a write",
	   B(0x66, 0xf3, 0x0f, 0x7e, 0x0b, 0xf4));
	oc_want_exc(&out, 14, 1, 0x4, 0x10000);
}

static void movdqu_forms(void)
{
	start();
	go("f3 66 0f 6f 43 01: movdqu xmm0, [rbx+1], misaligned is fine",
	   B(0xf3, 0x66, 0x0f, 0x6f, 0x43, 0x01, 0xf4));
	want_hlt_gp(0x10000 + 6);
	CHECK_EQ_U64(out.state.xmm[0][0], 0x1817161514131211ull, "xmm0 low from +1");

	start();
	go("66 f3 0f 7f 4b 03: movdqu [rbx+3], xmm1, misaligned is fine",
	   B(0x66, 0x48, 0x0f, 0x6e, 0xc8, 0x66, 0xf3, 0x0f, 0x7f, 0x4b, 0x03, 0xf4));
	want_hlt_gp(0x10000 + 11);
	CHECK_EQ_U64(oc_mem(&out, LAYOUT_DATA + 3, 8), A, "stored xmm1 low");

	start();
	go("f2 66 0f 6f c1: #UD", B(0xf2, 0x66, 0x0f, 0x6f, 0xc1, 0xf4));
	oc_want_exc(&out, 6, 0, 0, 0x10000);
}

static void undefined_forms(void)
{
	static const struct { const char *name; uint8_t b[6]; } ud[] = {
		{ "f3 66 0f 6e 03: #UD", { 0xf3, 0x66, 0x0f, 0x6e, 0x03, 0xf4 } },
		{ "66 f3 0f 6e c1: #UD", { 0x66, 0xf3, 0x0f, 0x6e, 0xc1, 0xf4 } },
		{ "66 f2 0f 7e c1: #UD", { 0x66, 0xf2, 0x0f, 0x7e, 0xc1, 0xf4 } },
		{ "f3 66 0f ef c1 (pxor): #UD", { 0xf3, 0x66, 0x0f, 0xef, 0xc1, 0xf4 } },
		{ "66 f3 0f db c1 (pand): #UD", { 0x66, 0xf3, 0x0f, 0xdb, 0xc1, 0xf4 } },
		{ "f3 0f 57 c1 (xorps): #UD", { 0xf3, 0x0f, 0x57, 0xc1, 0xf4, 0xf4 } },
		{ "66 f3 0f 57 c1 (xorpd): #UD", { 0x66, 0xf3, 0x0f, 0x57, 0xc1, 0xf4 } },
	};
	for (unsigned i = 0; i < sizeof(ud) / sizeof(ud[0]); i++) {
		start();
		go(ud[i].name, ud[i].b, sizeof(ud[i].b));
		oc_want_exc(&out, 6, 0, 0, 0x10000);
	}
}

static void ss_overrides(void)
{
	static const struct {
		const char *name; enum gpr r; uint64_t v; unsigned vec; uint8_t b[6];
	} t[] = {
		{ "26 03 6d f6: add ebp, es:[rbp-10], non-canonical: #SS",
		  RBP, 0x800000000008ull, 12, { 0x26, 0x03, 0x6d, 0xf6, 0xf4 } },
		{ "2e 8b 45 00: mov eax, cs:[rbp], non-canonical: #SS",
		  RBP, 0x800000000000ull, 12, { 0x2e, 0x8b, 0x45, 0x00, 0xf4 } },
		{ "3e 8b 04 24: mov eax, ds:[rsp], non-canonical: #SS",
		  RSP, 0x8000000000000000ull, 12, { 0x3e, 0x8b, 0x04, 0x24, 0xf4 } },
		{ "36 8b 07: mov eax, ss:[rdi], non-canonical: #GP (36h ignored)",
		  RDI, 0x800000000000ull, 13, { 0x36, 0x8b, 0x07, 0xf4 } },
		{ "26 8b 07: mov eax, es:[rdi], non-canonical: #GP",
		  RDI, 0x800000000000ull, 13, { 0x26, 0x8b, 0x07, 0xf4 } },
		{ "66 0f 6f 45 08: movdqa xmm0, [rbp+8], misaligned and non-canonical: #GP",
		  RBP, 0x8000000000000000ull, 13, { 0x66, 0x0f, 0x6f, 0x45, 0x08, 0xf4 } },
		{ "66 0f 6f 45 00: movdqa xmm0, [rbp], non-canonical: #SS",
		  RBP, 0x8000000000000000ull, 12, { 0x66, 0x0f, 0x6f, 0x45, 0x00, 0xf4 } },
	};
	for (unsigned i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		start();
		tc.gpr[t[i].r] = t[i].v;
		unsigned n = 0;
		while (n < sizeof(t[i].b) && t[i].b[n] != 0xf4)
			n++;
		go(t[i].name, t[i].b, n + 1);
		oc_want_exc(&out, t[i].vec, 1, 0, 0x10000);
	}
}

static void popf_cpl3(void)
{
	start();
	tc.gpr[R13] = 0x3000 | 0x200 | 0x400 | 0x1; /* IOPL 3, IF, DF, CF */
	go("push r13; popfq at CPL3: IOPL and IF keep their values",
	   B(0x41, 0x55, 0x9d, 0xf4));
	want_hlt_gp(0x10003);
	CHECK_EQ_U64((out.state.rflags >> 12) & 3, 0, "IOPL still 0");
	CHECK_EQ_U64(out.state.rflags & 0x200, 0, "IF still 0");
	CHECK_EQ_U64(out.state.rflags & 0x401, 0x401, "DF and CF popped");
}

static void rel_branch_67_rexw(void)
{
	start();
	go("67 48 e8 01 00 00 00: call +1 (7 bytes), then hlt at +8",
	   B(0x67, 0x48, 0xe8, 0x01, 0x00, 0x00, 0x00, 0xf4, 0xf4));
	want_hlt_gp(0x10008);
	CHECK_EQ_U64(out.state.gpr[RSP], LAYOUT_STACK_TOP - 8, "8 bytes pushed");
	CHECK_EQ_U64(oc_mem(&out, LAYOUT_STACK_TOP - 8, 8), 0x10007, "return address after the rel32");

	start();
	go("67 48 e9 01 00 00 00: jmp +1, a 64-bit target (not wrapped to 16 bits)",
	   B(0x67, 0x48, 0xe9, 0x01, 0x00, 0x00, 0x00, 0xf4, 0xf4));
	want_hlt_gp(0x10008);
}

int main(void)
{
	if (oc_open_ref(&ex) < 0)
		return 1;
	movq_load_forms();
	movdqu_forms();
	undefined_forms();
	ss_overrides();
	popf_cpl3();
	rel_branch_67_rexw();
	ex.ops->fini(&ex);
	return check_done("test_ref_prefixes_privilege");
}
