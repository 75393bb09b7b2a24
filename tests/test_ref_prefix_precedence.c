/* Prefix precedence in 64-bit code (66h against REX.W, F2/F3 forms, 67h
 * REP) and the instructions it decides, each checked through whole cases
 * run by ref_executor_ops. Expected values come
 * from the SDM and the host CPU, not from the code under test.
 *  - 66h with REX.W on IN/OUT/INS/OUTS: REX.W overrides 66h (SDM Vol. 2A
 *    2.2.1.2) and I/O has no 64-bit form, so the access is 32 bits wide
 *    (KVM and Unicorn agree); Capstone names the 16-bit register.
 *  - PUSH r/m with 66h and REX.W pushes 8 bytes read as 8 bytes (REX.W
 *    wins, SDM Vol. 2A 2.2.1.2; Capstone 4 sizes the operand by 66h).
 *  - 66/F2/F3 0F AE E8/F0/F8 are not fences (INCSSP, UMONITOR, UMWAIT,
 *    TPAUSE, ...: CET or WAITPKG) though Capstone 4 calls them so: #UD
 *    without WAITPKG (all nine raise SIGILL natively on this host).
 *  - A fault in a later iteration of REPE/REPNE CMPS/SCAS restores the
 *    flags from before the instruction, RCX/RDI keep the iterations done
 *    (SDM Vol. 2B REP; measured natively with REPNE SCASB).
 *  - A relative JMP/CALL/Jcc with 66h and REX.W is a 64-bit branch:
 *    Capstone 4 wraps its target to 16 bits as for 66h alone.
 *  - 66 64 99 is CWD (Capstone 4 calls it CDQ): DX only, upper RDX kept.
 *  - REP with 67h in 64-bit mode zero-extends RCX/RSI/RDI before the first
 *    element, even when ECX = 0 (measured natively with REP MOVSB).
 *  - LAR copies limit bits 19:16 of the descriptor (SDM Vol. 2A LAR masks
 *    with 00FxFF00H; the host CPU gives 0x00cff300 for a flat DPL3 data
 *    descriptor).
 *  - A failed CMPXCHG names its register destination (the writer note). */
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

static void want_io(unsigned i, unsigned dir, unsigned size, uint64_t port)
{
	CHECK(out.n_events > i, "at least %u events (got %u)", i + 1, out.n_events);
	if (out.n_events <= i)
		return;
	const struct exit_event *e = &out.events[i];
	CHECK_EQ_U64(e->kind, EXIT_IO, "event kind io");
	CHECK_EQ_U64(e->dir, dir, "direction");
	CHECK_EQ_U64(e->size, size, "access size");
	CHECK_EQ_U64(e->addr, port, "port");
}

static void io_rexw_over_66(void)
{
	case_init(&tc);
	tc.mode = MODE_LONG64;
	tc.gpr[RAX] = 0x1122334455667788ull;
	go("66 48 e7 80: out 0x80, eax (REX.W beats 66h)", B(0x66, 0x48, 0xe7, 0x80, 0xf4));
	oc_want_hlt(&out, 0x10000 + 5);
	want_io(0, DIR_OUT, 4, 0x80);
	if (out.n_events > 0)
		CHECK_EQ_U64(out.events[0].data, 0x55667788u, "the low 32 bits of RAX go out");

	case_init(&tc);
	tc.mode = MODE_LONG64;
	tc.gpr[RAX] = 0x1122334455667788ull;
	go("66 48 e5 80: in eax, 0x80 zero-extends into RAX", B(0x66, 0x48, 0xe5, 0x80, 0xf4));
	oc_want_hlt(&out, 0x10000 + 5);
	want_io(0, DIR_IN, 4, 0x80);
	CHECK(out.state.gpr[RAX] >> 32 == 0, "RAX bits 63:32 cleared (rax %#llx)",
	      (unsigned long long)out.state.gpr[RAX]);

	case_init(&tc);
	tc.mode = MODE_LONG64;
	tc.gpr[RSI] = 0x12000;
	tc.gpr[RDX] = 0x80;
	go("66 48 6f: outsd, RSI += 4", B(0x66, 0x48, 0x6f, 0xf4));
	oc_want_hlt(&out, 0x10000 + 4);
	want_io(0, DIR_OUT, 4, 0x80);
	CHECK_EQ_U64(out.state.gpr[RSI], 0x12004, "RSI steps by 4");

	case_init(&tc);
	tc.mode = MODE_LONG64;
	tc.gpr[RDX] = 0x80;
	go("66 ef: out dx, ax stays 16 bits without REX.W", B(0x66, 0xef, 0xf4));
	oc_want_hlt(&out, 0x10000 + 3);
	want_io(0, DIR_OUT, 2, 0x80);
}

static void push_rexw_over_66(void)
{
	case_init(&tc);
	tc.mode = MODE_LONG64;
	tc.gpr[R15] = 0x12000;
	tc.data_len = 8;
	for (unsigned i = 0; i < 8; i++)
		tc.data[i] = (uint8_t)(0x11 * (i + 1));
	go("66 49 ff 37: push qword [r15] (REX.W beats 66h)", B(0x66, 0x49, 0xff, 0x37, 0xf4));
	oc_want_hlt(&out, 0x10000 + 5);
	CHECK_EQ_U64(out.state.gpr[RSP], 0x15ff8, "RSP -= 8");
	uint64_t top = 0;
	unsigned off = 0x15ff8 - LAYOUT_CMP_BASE;
	for (unsigned i = 0; i < 8; i++)
		top |= (uint64_t)out.mem[off + i] << (8 * i);
	CHECK_EQ_U64(top, 0x8877665544332211ull, "all 8 bytes of [r15] pushed");

	case_init(&tc);
	tc.mode = MODE_LONG64;
	go("66 48 68 imm32: push 0xffff0000 sign-extended", B(0x66, 0x48, 0x68, 0x00, 0x00, 0xff, 0xff,
							      0xf4));
	oc_want_hlt(&out, 0x10008);
	top = 0;
	for (unsigned i = 0; i < 8; i++)
		top |= (uint64_t)out.mem[off + i] << (8 * i);
	CHECK_EQ_U64(top, 0xffffffffffff0000ull, "8-byte image of the sign-extended imm32");

	case_init(&tc);
	tc.mode = MODE_LONG64;
	go("66 48 9c: pushfq (REX.W beats 66h)", B(0x66, 0x48, 0x9c, 0xf4));
	oc_want_hlt(&out, 0x10004);
	CHECK_EQ_U64(out.state.gpr[RSP], 0x15ff8, "pushf with 66h+REX.W: RSP -= 8");
}

static void fence_prefixes(void)
{
	static const uint8_t pre[] = { 0x66, 0xf2, 0xf3 }, modrm[] = { 0xe8, 0xf0, 0xf8 };
	for (unsigned i = 0; i < 3; i++) {
		for (unsigned j = 0; j < 3; j++) {
			case_init(&tc);
			tc.mode = MODE_LONG64;
			char name[64];
			snprintf(name, sizeof(name), "%02x 0f ae %02x: #UD", pre[i], modrm[j]);
			go(name, B(pre[i], 0x0f, 0xae, modrm[j], 0xf4));
			if (pre[i] == 0x66 && modrm[j] == 0xf8) {
				/* Capstone 4 decodes the retired PCOMMIT here. */
				CHECK(oc_term(&out)->kind == EXIT_UNSUPPORTED ||
				      (oc_term(&out)->kind == EXIT_EXCEPTION &&
				       oc_term(&out)->addr == 6),
				      "66 0f ae f8: #UD or not modeled, never a fence");
				continue;
			}
			oc_want_exc(&out, 6, 0, 0, 0x10000);
		}
	}
	case_init(&tc);
	tc.mode = MODE_LONG64;
	go("48 f3 0f ae f0 (REX before F3 is ignored, F3 counts): #UD",
	   B(0x48, 0xf3, 0x0f, 0xae, 0xf0, 0xf4));
	oc_want_exc(&out, 6, 0, 0, 0x10000);
	case_init(&tc);
	tc.mode = MODE_LONG64;
	go("0f ae e8 0f ae f0 0f ae f8: the plain fences run", B(0x0f, 0xae, 0xe8, 0x0f, 0xae, 0xf0,
								 0x0f, 0xae, 0xf8, 0xf4));
	oc_want_hlt(&out, 0x10000 + 10);
}

static void rep_scas_fault_flags(void)
{
	case_init(&tc);
	tc.mode = MODE_LONG64;
	tc.gpr[RAX] = 1;
	tc.gpr[RCX] = 20;
	tc.gpr[RDI] = LAYOUT_STACK_TOP - 6;
	tc.rflags = 0x2 | RFLAGS_CF | RFLAGS_ZF;
	go("repne scasb: 6 elements (1 - 0), the 7th faults above the stack", B(0xf2, 0xae, 0xf4));
	const struct exit_event *t = oc_term(&out);
	CHECK_EQ_U64(t->kind, EXIT_EXCEPTION, "terminal kind exception");
	CHECK_EQ_U64(t->addr, 14, "vector #PF");
	CHECK_EQ_U64(out.state.cr2, LAYOUT_STACK_TOP, "CR2 at the 7th element");
	CHECK_EQ_U64(out.state.gpr[RCX], 14, "RCX counts the 6 done");
	CHECK_EQ_U64(out.state.gpr[RDI], LAYOUT_STACK_TOP, "RDI past the 6 done");
	CHECK_EQ_U64(out.state.rflags & RFLAGS_STATUS, RFLAGS_CF | RFLAGS_ZF,
		     "status flags as before the instruction (CF, ZF)");
}

static void branch_rexw_over_66(void)
{
	case_init(&tc);
	tc.mode = MODE_LONG64;
	/* jmp +1 (rel32); hlt (skipped); hlt */
	go("66 48 e9 rel32: jmp to 0x10008", B(0x66, 0x48, 0xe9, 0x01, 0x00, 0x00, 0x00, 0xf4, 0xf4));
	oc_want_hlt(&out, 0x10009);

	case_init(&tc);
	tc.mode = MODE_LONG64;
	go("66 48 e8 rel32: call 0x10008, 8-byte return address",
	   B(0x66, 0x48, 0xe8, 0x01, 0x00, 0x00, 0x00, 0xf4, 0xf4));
	oc_want_hlt(&out, 0x10009);
	CHECK_EQ_U64(out.state.gpr[RSP], 0x15ff8, "RSP -= 8");

	case_init(&tc);
	tc.mode = MODE_LONG64;
	tc.rflags = 0x2 | RFLAGS_ZF;
	go("66 48 74 01: je +1 taken to 0x10005", B(0x66, 0x48, 0x74, 0x01, 0xf4, 0xf4));
	oc_want_hlt(&out, 0x10006);
}

static void cwd_with_segment_prefix(void)
{
	case_init(&tc);
	tc.mode = MODE_LONG64;
	tc.gpr[RAX] = 0x8000;
	tc.gpr[RDX] = 0x10000;
	go("66 64 99: cwd (DX = 0xffff, bits 63:16 kept)", B(0x66, 0x64, 0x99, 0xf4));
	oc_want_hlt(&out, 0x10004);
	CHECK_EQ_U64(out.state.gpr[RDX], 0x1ffff, "RDX = 0x1ffff");
	case_init(&tc);
	tc.mode = MODE_LONG64;
	tc.gpr[RAX] = 0x80;
	go("66 64 98: cbw (AX = 0xff80)", B(0x66, 0x64, 0x98, 0xf4));
	oc_want_hlt(&out, 0x10004);
	CHECK_EQ_U64(out.state.gpr[RAX], 0xff80, "RAX = 0xff80");
}

static void rep_a32_zero_extends(void)
{
	case_init(&tc);
	tc.mode = MODE_LONG64;
	tc.gpr[RSI] = 0x4000000000012000ull;
	tc.gpr[RDI] = 0x8000000000012100ull;
	tc.gpr[RCX] = 0x100000000ull;
	go("f3 67 a4 with ECX = 0: no element, RCX/RSI/RDI zero-extended", B(0xf3, 0x67, 0xa4, 0xf4));
	oc_want_hlt(&out, 0x10004);
	CHECK_EQ_U64(out.state.gpr[RCX], 0, "RCX = 0");
	CHECK_EQ_U64(out.state.gpr[RSI], 0x12000, "RSI = ESI");
	CHECK_EQ_U64(out.state.gpr[RDI], 0x12100, "RDI = EDI");
}

static void lar_limit_bits(void)
{
	case_init(&tc);
	tc.mode = MODE_LONG64;
	tc.gpr[RCX] = 0x10;
	go("lar eax, ecx of the flat data selector 0x10", B(0x0f, 0x02, 0xc1, 0xf4));
	oc_want_hlt(&out, 0x10000 + 4);
	/* Descriptor 0x00cf93000000ffff: bytes 5..6 = 93 cf, limit 19:16 f. */
	CHECK_EQ_U64(out.state.gpr[RAX], 0x00cf9300u, "access rights with limit 19:16");
	CHECK_EQ_U64(out.state.rflags & RFLAGS_ZF, RFLAGS_ZF, "ZF set");
}

/* A failed CMPXCHG leaves a register destination as it was (bits 63:32
 * of a 32-bit one too, measured natively), yet names it: KVM's emulator
 * writes it back zero-extended, and that divergence must be named by the
 * CMPXCHG, not by whatever wrote the register before. */
static void cmpxchg_fail_names_dest(void)
{
	case_init(&tc);
	tc.gpr[R10] = 0x100000001ull;
	tc.gpr[RAX] = 5;
	go("rcr r10, 1; cmpxchg r10d, r12d (fails: EAX 5 != R10D)",
	   B(0x49, 0xd1, 0xda, 0x45, 0x0f, 0xb1, 0xe2, 0xf4));
	oc_want_hlt(&out, 0x10000 + 8);
	CHECK_EQ_U64(out.state.gpr[R10], 0x80000000ull, "r10 = rcr result, kept whole");
	CHECK(!strcmp(out.writer_gpr[R10], "cmpxchg"), "writer of r10 is cmpxchg (%s)",
	      out.writer_gpr[R10]);
	CHECK_EQ_U64(out.state.gpr[RAX], 0x80000000ull, "eax = the destination's value");
}

int main(void)
{
	if (oc_open_ref(&ex) < 0)
		return 1;
	/* Intel's rows (SDM, a Xeon); test_ref_vendor.c has AMD's side. */
	ex.vendor = VENDOR_INTEL;
	/* SSE and SSE2 (leaf 1 EDX bits 25, 26: the fences); leaf 7 without
	 * WAITPKG (ECX bit 5). */
	static struct cpuid_table feat = { .n = 2, .e = {
		{ .leaf = 1, .edx = (1u << 25) | (1u << 26) },
		{ .leaf = 7 },
	} };
	ex.cpuid = &feat;
	io_rexw_over_66();
	push_rexw_over_66();
	fence_prefixes();
	rep_scas_fault_flags();
	branch_rexw_over_66();
	cwd_with_segment_prefix();
	rep_a32_zero_extends();
	lar_limit_bits();
	cmpxchg_fail_names_dest();
	ex.ops->fini(&ex);
	return check_done("test_ref_prefix_precedence");
}
