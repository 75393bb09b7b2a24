/* REP strings that fault or overwrite themselves, undefined stack pointers
 * and F2/F3 forms of 0F 28/29/10/11, checked through whole cases run by
 * ref_executor_ops. Expected
 * values come from the SDM and from runs on this host's CPU, not from the
 * code under test.
 *
 * A REP string store that overwrites the REP's own bytes while elements are
 * left: the CPU notices the self-modification and refetches (SDM Vol. 3A
 * 11.6), so the REP stops at a model-specific element (measured natively
 * at CPL3 with REP STOSB writing RET over itself: RCX = 2 stopped after one
 * element, RCX = 2000 after 1112) and the new bytes run at the same RIP.
 * The reference used to finish every element and go on past the REP; it
 * now ends such a case UNSUPPORTED ("smc-rep"), as it cannot know where the
 * CPU stops. A store on the last element completes the instruction, which
 * goes on at the next one (measured natively: RCX = 1 runs on), and that is
 * still modeled, as are stores into the code after the REP.
 *
 * REPE/REPNE SCAS/CMPS faulting in a later element: the fault is delivered
 * with EFLAGS from before the instruction (SDM Vol. 2B REP; measured
 * natively, test_ref_cmps_order/the string rows). The reference restored
 * them only after raising, so outside long mode the FLAGS image it pushed
 * (and the end state, read from the frame) held the last compare's.
 *
 * A register left undefined (BSWAP of a 16-bit register, SDM Vol. 2A
 * BSWAP) used as the stack pointer: Capstone lists no SP read for POP Sreg,
 * far RET, IRET or INT n, so POP FS read FS from wherever the reference
 * put SP. Such a use is not comparable (UNSUPPORTED "undef-gprs:...").
 *
 * Capstone 4 calls F2/F3 0F 28/29 MOVAPS (every mode) and F2/F3 0F 10/11
 * MOVUPS (16-bit code; MOVSD/MOVSS elsewhere). The CPU raises #UD for the
 * first (measured natively at CPL3: SIGILL); the second moves 32/64 bits,
 * not 128, and is not modeled. */
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

static void real16(uint64_t ax, uint64_t cx, uint64_t di)
{
	case_init(&tc);
	tc.mode = MODE_REAL16;
	tc.gpr[RAX] = ax;
	tc.gpr[RCX] = cx;
	tc.gpr[RDI] = di;
	tc.gpr[RSP] = 0x6000;
}

static void want_smc(const char *what)
{
	CHECK(oc_term(&out)->kind == EXIT_UNSUPPORTED, "%s: terminal kind unsupported (got %u)", what, oc_term(&out)->kind);
	CHECK(!strcmp(out.mnemonic, "smc-rep"), "%s: named smc-rep (got '%s')", what,
	      out.mnemonic);
}

static void rep_store_over_itself(void)
{
	/* ES:DI = 0x1000:0 is the REP's first byte; F4 lands on it. */
	real16(0xf4, 2, 0);
	go("rep stosb, cx = 2, over its own bytes", B(0xf3, 0xaa, 0x40, 0xf4));
	want_smc("rep stosb cx=2");

	/* The element that hits comes after others: CX = 4 from DI = 0xfffe
	 * (wrapping to 0 within the 64 KiB segment) hits on the third. */
	real16(0xf4, 4, 0xfffe);
	go("rep stosb, cx = 4 from di = 0xfffe: wraps onto itself",
	   B(0xf3, 0xaa, 0x40, 0xf4));
	want_smc("rep stosb wrap");

	/* MOVSW (16-bit elements), the second one wraps to offset 0. */
	real16(0, 3, 0xfffe);
	tc.gpr[RSI] = 0x2000;
	go("rep movsw, cx = 3 from di = 0xfffe: the second element hits",
	   B(0xf3, 0xa5, 0x40, 0xf4));
	want_smc("rep movsw");

	/* REP INSB (an I/O read, then the store) over itself. */
	real16(0, 3, 1);
	go("rep insb, cx = 3, di = 1: its own second byte", B(0xf3, 0x6c, 0x40, 0xf4));
	want_smc("rep insb");
	CHECK_EQ_U64(out.n_events, 1, "the first element hits: stopped before its port read");
}

static void rep_store_still_modeled(void)
{
	/* Last element over its own first byte: completes, then INC AX and
	 * HLT at 3 run (SDM Vol. 2B REP; measured natively). */
	real16(0xf4, 1, 0);
	go("rep stosb, cx = 1, over its own first byte", B(0xf3, 0xaa, 0x40, 0xf4));
	oc_want_hlt(&out, 4);
	CHECK_EQ_U64(out.state.gpr[RAX], 0xf5, "ax = 0xf5 (inc ax ran)");
	CHECK_EQ_U64(out.state.gpr[RCX], 0, "cx = 0");

	/* Stores into the code after the REP (not its own bytes): two HLTs
	 * over INC AX, the new bytes run (SDM Vol. 3A 11.6; natively, a REP
	 * STOSB writing NOPs over the next instructions runs them). */
	real16(0xf4, 2, 2);
	go("rep stosb, cx = 2, over the next instruction", B(0xf3, 0xaa, 0x40, 0x40, 0xf4));
	oc_want_hlt(&out, 3);
	CHECK_EQ_U64(out.state.gpr[RAX], 0xf4, "ax = 0xf4 (the inc ax were overwritten)");

	/* A plain (non-REP) STOSB over itself completes as always. */
	real16(0x40, 0, 0);
	go("stosb over itself, no rep", B(0xaa, 0xf4));
	oc_want_hlt(&out, 2);

	/* No overlap at all. */
	real16(0x11, 3, 0x2000);
	go("rep stosb, cx = 3, into the data area", B(0xf3, 0xaa, 0xf4));
	oc_want_hlt(&out, 3);
	CHECK_EQ_U64(out.state.gpr[RDI], 0x2003, "di = 0x2003");
}

static void rep_scas_fault_flags(void)
{
	/* SI/DI offsets 0xfffb, 0xfffd are MMIO words (all ones); the third
	 * element, a word at 0xffff, crosses the 64 KiB limit: #GP(0), SDM
	 * Vol. 3B 20.1.3. AX - 0xffff would set AF; the frame must not. */
	real16(0, 5, 0xfffb);
	tc.rflags = 0x3;
	go("repne scasw: #GP in the third element keeps FLAGS from before",
	   B(0xf2, 0xaf, 0xf4));
	oc_want_exc(&out, 13, 0, 0, 0);
	CHECK_EQ_U64(out.state.rflags, 0x3, "FLAGS in the frame = before the instruction");
	CHECK_EQ_U64(out.state.gpr[RCX], 3, "cx = 3 (two elements done)");
	CHECK_EQ_U64(out.state.gpr[RDI], 0xffff, "di = 0xffff");

	/* REPE CMPSW: DS:SI = 0x2000 (the data page) holds 0xffff, equal to
	 * the MMIO word at ES:0xfffd, so REPE goes on; the second element,
	 * ES:0xffff, crosses the limit: #GP. */
	real16(0, 4, 0xfffd);
	tc.gpr[RSI] = 0x2000;
	tc.rflags = 0x2 | 0x800;   /* OF: the equal compare would clear it */
	tc.data[0] = 0xff;
	tc.data[1] = 0xff;
	tc.data_len = 2;
	go("repe cmpsw: equal first element, #GP in the second", B(0xf3, 0xa7, 0xf4));
	oc_want_exc(&out, 13, 0, 0, 0);
	CHECK_EQ_U64(out.state.rflags, 0x802, "FLAGS in the frame = before the instruction");
}

static void undefined_sp_used(void)
{
	static const struct { const char *name; uint8_t code[4]; unsigned n; const char *want; } rows[] = {
		{ "bswap sp; pop fs", { 0x0f, 0xcc, 0x0f, 0xa1 }, 4, "undef-gprs:pop" },
		{ "bswap sp; pop ds", { 0x0f, 0xcc, 0x1f, 0xf4 }, 4, "undef-gprs:pop" },
		{ "bswap sp; push es", { 0x0f, 0xcc, 0x06, 0xf4 }, 4, "undef-gprs:push" },
		{ "bswap sp; retf", { 0x0f, 0xcc, 0xcb, 0xf4 }, 4, "undef-gprs:retf" },
		{ "bswap sp; iret", { 0x0f, 0xcc, 0xcf, 0xf4 }, 4, "undef-gprs:iret" },
		{ "bswap sp; int3", { 0x0f, 0xcc, 0xcc, 0xf4 }, 4, "undef-gprs:int3" },
	};
	for (unsigned i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		real16(0, 0, 0);
		oc_run_code(&ex, &tc, &out, rows[i].name, rows[i].code, rows[i].n);
		CHECK(oc_term(&out)->kind == EXIT_UNSUPPORTED, "%s: unsupported (got kind %u)",
		      rows[i].name, oc_term(&out)->kind);
		CHECK(!strcmp(out.mnemonic, rows[i].want), "%s: named %s (got '%s')", rows[i].name,
		      rows[i].want, out.mnemonic);
	}
	/* SP itself defined: POP FS runs (FS = the word at SS:0x6000 = 0). */
	real16(0, 0, 0);
	go("pop fs with a defined sp", B(0x0f, 0xa1, 0xf4));
	oc_want_hlt(&out, 3);
	CHECK_EQ_U64(out.state.fs, 0, "fs = 0");
}

static void sse_f3_prefix(void)
{
	real16(0, 0, 0);
	go("f3 0f 29 db: no such instruction", B(0xf3, 0x0f, 0x29, 0xdb, 0xf4));
	oc_want_exc(&out, 6, 0, 0, 0);
	real16(0, 0, 0);
	go("f2 0f 28 db: no such instruction", B(0xf2, 0x0f, 0x28, 0xdb, 0xf4));
	oc_want_exc(&out, 6, 0, 0, 0);
	real16(0, 0, 0);
	go("f3 0f 10 f4: movss, not movups", B(0xf3, 0x0f, 0x10, 0xf4, 0xf4));
	CHECK(oc_term(&out)->kind == EXIT_UNSUPPORTED, "movss not run as movups (got kind %u)",
	      oc_term(&out)->kind);
	/* The forms that stay: 66 0F 29 (MOVAPD) and 0F 29 (MOVAPS). */
	real16(0, 0, 0);
	go("66 0f 29 db: movapd xmm3, xmm3", B(0x66, 0x0f, 0x29, 0xdb, 0xf4));
	oc_want_hlt(&out, 5);
	real16(0, 0, 0);
	go("0f 29 db: movaps xmm3, xmm3", B(0x0f, 0x29, 0xdb, 0xf4));
	oc_want_hlt(&out, 4);
}

int main(void)
{
	if (oc_open_ref(&ex) < 0)
		return 1;
	rep_store_over_itself();
	rep_store_still_modeled();
	rep_scas_fault_flags();
	undefined_sp_used();
	sse_f3_prefix();
	ex.ops->fini(&ex);
	return check_done("test_ref_rep_faults_smc");
}
