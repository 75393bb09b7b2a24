/* SSE data moves and logic in the reference (ref_sse.c), run as whole
 * cases. Expected values are worked out from the SDM (Vol. 2B MOVAPS,
 * MOVUPS, MOVDQA, MOVDQU, MOVD/MOVQ, PXOR, PAND, PANDN, POR; Vol. 2A 2.4
 * for alignment), not from the code under test. */
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

static void start(enum cpu_mode m, uint32_t knobs)
{
	oc_start(&tc, m, knobs);
	tc.gpr[RBX] = LAYOUT_DATA;
	tc.data_len = 32;
	for (unsigned i = 0; i < 32; i++)
		tc.data[i] = (uint8_t)(0x10 + i);
}


int main(void)
{
	if (oc_open_ref(&ex) < 0)
		return 1;
	/* Data bytes 0x10, 0x11, ... 0x2f from LAYOUT_DATA. */
	const uint64_t q0 = 0x1716151413121110ull, q1 = 0x1f1e1d1c1b1a1918ull;

	start(MODE_LONG64, 0);
	go("movaps xmm0, [rbx]; movups xmm1, [rbx+1]; movdqa xmm9, xmm0",
	   B(0x0f, 0x28, 0x03, 0x0f, 0x10, 0x4b, 0x01, 0x66, 0x44, 0x0f, 0x6f, 0xc8, 0xf4));
	oc_want_hlt(&out, 0x1000d);
	CHECK_EQ_U64(out.state.xmm[0][0], q0, "xmm0 low");
	CHECK_EQ_U64(out.state.xmm[0][1], q1, "xmm0 high");
	CHECK_EQ_U64(out.state.xmm[1][0], 0x1817161514131211ull, "xmm1 low (from +1)");
	CHECK_EQ_U64(out.state.xmm[1][1], 0x201f1e1d1c1b1a19ull, "xmm1 high");
	CHECK_EQ_U64(out.state.xmm[9][1], q1, "xmm9 = xmm0");
	CHECK(!strcmp(out.writer_xmm, "movdqa"), "writer xmm movdqa (%s)", out.writer_xmm);

	start(MODE_LONG64, 0);
	go("movaps xmm0, [rbx+8]: misaligned, #GP(0)", B(0x0f, 0x28, 0x43, 0x08, 0xf4));
	oc_want_exc(&out, 13, 1, 0, 0x10000);
	start(MODE_LONG64, 0);
	go("pxor xmm0, [rbx+4]: misaligned, #GP(0)", B(0x66, 0x0f, 0xef, 0x43, 0x04, 0xf4));
	oc_want_exc(&out, 13, 1, 0, 0x10000);

	start(MODE_LONG64, 0);
	go("movdqu xmm2, [rbx]; movdqu [rbx+0x41], xmm2; movaps [rbx+0x60], xmm2",
	   B(0xf3, 0x0f, 0x6f, 0x13, 0xf3, 0x0f, 0x7f, 0x53, 0x41, 0x0f, 0x29, 0x53, 0x60, 0xf4));
	oc_want_hlt(&out, 0x1000e);
	CHECK_EQ_U64(oc_mem(&out, LAYOUT_DATA + 0x41, 8), q0, "unaligned store, low half");
	CHECK_EQ_U64(oc_mem(&out, LAYOUT_DATA + 0x49, 8), q1, "unaligned store, high half");
	CHECK_EQ_U64(oc_mem(&out, LAYOUT_DATA + 0x68, 8), q1, "aligned store, high half");

	/* movq xmm3, rcx; movd xmm4, ecx; movq xmm5, xmm0 (upper zeroed);
	 * movq rdx, xmm3; movd esi, xmm4 (zero-extends RSI). */
	start(MODE_LONG64, 0);
	tc.gpr[RCX] = 0x8877665544332211ull;
	tc.gpr[RSI] = ~0ull;
	go("movq/movd between XMM and GPRs",
	   B(0x0f, 0x28, 0x03,
	     0x66, 0x48, 0x0f, 0x6e, 0xd9, 0x66, 0x0f, 0x6e, 0xe1, 0xf3, 0x0f, 0x7e, 0xe8,
	     0x66, 0x48, 0x0f, 0x7e, 0xda, 0x66, 0x0f, 0x7e, 0xe6, 0xf4));
	oc_want_hlt(&out, 0x1001a);
	CHECK_EQ_U64(out.state.xmm[3][0], 0x8877665544332211ull, "xmm3 = rcx");
	CHECK_EQ_U64(out.state.xmm[4][0], 0x44332211ull, "xmm4 = ecx, zero-extended");
	CHECK_EQ_U64(out.state.xmm[5][0], q0, "xmm5 low = xmm0 low");
	CHECK_EQ_U64(out.state.xmm[5][1], 0, "xmm5 high zeroed");
	CHECK_EQ_U64(out.state.gpr[RDX], 0x8877665544332211ull, "rdx = xmm3");
	CHECK_EQ_U64(out.state.gpr[RSI], 0x44332211ull, "esi = xmm4, RSI zero-extended");

	/* Logic: xmm0 = data; xmm1 = xmm0; pxor xmm1, xmm1 -> 0; pandn. */
	start(MODE_LONG64, 0);
	go("pxor self, por, pandn, andps, xorps",
	   B(0x0f, 0x28, 0x03,                    /* movaps xmm0, [rbx] */
	     0x66, 0x0f, 0x6f, 0xc8,              /* movdqa xmm1, xmm0 */
	     0x66, 0x0f, 0xef, 0xc9,              /* pxor xmm1, xmm1 */
	     0x66, 0x0f, 0xeb, 0xc8,              /* por xmm1, xmm0 */
	     0x66, 0x0f, 0x6f, 0xd0,              /* movdqa xmm2, xmm0 */
	     0x66, 0x0f, 0xdf, 0x53, 0x10,        /* pandn xmm2, [rbx+0x10] */
	     0x0f, 0x54, 0xd8,                    /* andps xmm3, xmm0 (xmm3 = 0) */
	     0x0f, 0x57, 0x63, 0x10,              /* xorps xmm4, [rbx+0x10] */
	     0xf4));
	CHECK_EQ_U64(out.state.xmm[1][0], q0, "pxor self then por: xmm1 = xmm0");
	CHECK_EQ_U64(out.state.xmm[2][0], ~q0 & 0x2726252423222120ull, "pandn: ~xmm2 & src");
	CHECK_EQ_U64(out.state.xmm[3][0] | out.state.xmm[3][1], 0, "andps with zero");
	CHECK_EQ_U64(out.state.xmm[4][1], 0x2f2e2d2c2b2a2928ull, "xorps from zero = src");

	/* Not modeled: MMX registers, a 16-byte access across a page. */
	start(MODE_LONG64, 0);
	go("movq mm0, rcx: MMX, unsupported", B(0x48, 0x0f, 0x6e, 0xc1, 0xf4));
	CHECK_EQ_U64(oc_term(&out)->kind, EXIT_UNSUPPORTED, "unsupported");
	start(MODE_LONG64, 0);
	tc.gpr[RBX] = LAYOUT_DATA + 0xff8;
	go("movups xmm0, [rbx] across a page: unsupported", B(0x0f, 0x10, 0x03, 0xf4));
	CHECK_EQ_U64(oc_term(&out)->kind, EXIT_UNSUPPORTED, "unsupported");

	/* 32-bit code, and CR0.TS still wins (#NM before any access). */
	start(MODE_PROT32, 0);
	go("prot32 movups xmm7, [ebx]", B(0x0f, 0x10, 0x3b, 0xf4));
	oc_want_hlt(&out, 0x10004);
	CHECK_EQ_U64(out.state.xmm[7][1], q1, "xmm7 high");
	start(MODE_LONG64, KNOB_CR0_TS);
	go("movaps with CR0.TS: #NM, XMM untouched", B(0x0f, 0x28, 0x03, 0xf4));
	oc_want_exc(&out, 7, 0, 0, 0x10000);
	CHECK_EQ_U64(out.state.xmm[0][0], 0, "xmm0 still zero");

	ex.ops->fini(&ex);
	return check_done("test_ref_sse");
}
