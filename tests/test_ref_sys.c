/* System instructions of the reference (ref_sys*.c), run as whole cases
 * through ref_executor_ops: faults, end state, MSRs, knobs. Expected values
 * are worked out by hand from the SDM entries cited in ref_sys*.c and from
 * layout.h / mode.h (long64 CR0 0x80010033, CR4 0x620, EFER 0xd01, GDT
 * 0x1000 limit 0x3f, IDT 0x2000 limit 0xfff, TR 0x18). */
#include <string.h>
#include "outcome_check.h"
#include "ref_internal.h"
#include "knobs.h"

static struct executor ex;
static struct outcome out;
static struct test_case tc;

/* A guest CPUID table with the features the rules test: leaf 1 EDX
 * VME DE PSE TSC PAE MCE PGE FXSR, ECX PCID XSAVE RDRAND (no MONITOR);
 * leaf 7 EBX FSGSBASE SMEP RDSEED SMAP, ECX UMIP; 80000001 EDX NX RDTSCP
 * LM; leaf 0xd: x87 SSE AVX. */
static struct cpuid_table feat = { .n = 5, .e = {
	{ 1, 0, 0, 0, (1u << 17) | (1u << 26) | (1u << 30),
	  (1u << 1) | (1u << 2) | (1u << 3) | (1u << 4) | (1u << 6) | (1u << 7) |
	  (1u << 13) | (1u << 24) },
	{ 7, 0, 0, (1u << 0) | (1u << 7) | (1u << 18) | (1u << 20), 1u << 2, 0 },
	{ 0x80000001u, 0, 0, 0, 0, (1u << 20) | (1u << 27) | (1u << 29) },
	{ 0xd, 0, 7, 0, 0, 0 },
	{ 0xd, 1, 0, 0, 0, 0 },
} };

static void start(enum cpu_mode m, uint32_t knobs)
{
	case_init(&tc);
	tc.mode = (uint8_t)m;
	tc.knobs = knobs;
	ex.cpuid = &feat;
}

/* Runs hex-spelled code (hex_bytes in check.h). */
static void go(const char *name, const char *hex)
{
	snprintf(tc.id, sizeof(tc.id), "%s", name);
	int n = hex_bytes(hex, tc.code, sizeof(tc.code));
	tc.code_len = n > 0 ? (uint32_t)n : 0;
	printf("-- [%s] %s\n", mode_name((enum cpu_mode)tc.mode), name);
	if (ex.ops->run(&ex, &tc, &out) != 0)
		printf("run failed: %s\n", ex.err);
}

static void want_unsupported(const char *mnemonic)
{
	CHECK_EQ_U64(oc_term(&out)->kind, EXIT_UNSUPPORTED, "terminal kind unsupported");
	CHECK(strcmp(out.mnemonic, mnemonic) == 0, "mnemonic '%s' (got '%s')", mnemonic,
	      out.mnemonic);
}

static uint64_t mem(uint64_t gpa, unsigned n)
{
	uint64_t v = 0;
	memcpy(&v, out.mem + (gpa - LAYOUT_CMP_BASE), n);
	return v;
}

static void test_cr(void)
{
	start(MODE_LONG64, 0);
	tc.gpr[RSI] = 0x5555;
	/* mov rax,cr0; mov rbx,cr3; mov rcx,cr4; mov rdx,cr8; mov rdi,cr2;
	 * mov cr2,rsi; mov rbp,cr2; hlt */
	go("read CR0 CR3 CR4 CR8, write CR2",
	   "0f20c00f20db0f20e1440f20c20f20d70f22d60f20d5f4");
	oc_want_hlt(&out, 0x10017);
	CHECK_EQ_U64(out.state.gpr[RAX], LM_CR0, "rax = cr0");
	CHECK_EQ_U64(out.state.gpr[RBX], LM_CR3, "rbx = cr3");
	CHECK_EQ_U64(out.state.gpr[RCX], LM_CR4, "rcx = cr4");
	CHECK_EQ_U64(out.state.gpr[RDX], 0, "rdx = cr8");
	CHECK_EQ_U64(out.state.gpr[RDI], 0, "rdi = cr2 (0)");
	CHECK_EQ_U64(out.state.gpr[RBP], 0x5555, "rbp = written cr2");
	CHECK_EQ_U64(out.state.cr2, 0x5555, "end state cr2");

	start(MODE_LONG64, 0);
	tc.gpr[RAX] = LM_CR0 | (1ull << 32);
	go("mov cr0, rax with bit 32 -> #GP(0)", "0f22c0f4");
	oc_want_exc(&out, 13, 1, 0, 0x10000);
	CHECK_EQ_U64(out.state.cr0, LM_CR0, "cr0 unchanged");

	start(MODE_LONG64, 0);
	tc.gpr[RAX] = LM_CR0 & ~(1ull << 31);
	go("clear CR0.PG in 64-bit mode -> #GP(0)", "0f22c0f4");
	oc_want_exc(&out, 13, 1, 0, 0x10000);

	start(MODE_LONG64, 0);
	tc.gpr[RAX] = LM_CR0 | (1ull << 29);
	go("CR0.NW without CD -> #GP(0)", "0f22c0f4");
	oc_want_exc(&out, 13, 1, 0, 0x10000);

	start(MODE_LONG64, 0);
	tc.gpr[RAX] = (LM_CR0 | (1ull << 3) | (1ull << 7)) & ~(1ull << 4);
	go("set CR0.TS; reserved bit 7 ignored, ET stays 1", "0f22c00f20c3f4");
	oc_want_hlt(&out, 0x10007);
	CHECK_EQ_U64(out.state.cr0, LM_CR0 | (1ull << 3), "cr0 = TS set, bit 7 dropped, ET kept");
	CHECK_EQ_U64(out.state.gpr[RBX], LM_CR0 | (1ull << 3), "read back");

	start(MODE_LONG64, 0);
	tc.gpr[RAX] = LM_CR4 & ~(1ull << 5);
	go("clear CR4.PAE in long mode -> #GP(0)", "0f22e0f4");
	oc_want_exc(&out, 13, 1, 0, 0x10000);

	start(MODE_LONG64, 0);
	tc.gpr[RAX] = LM_CR4 | (1ull << 15);
	go("CR4 bit 15 (reserved) -> #GP(0)", "0f22e0f4");
	oc_want_exc(&out, 13, 1, 0, 0x10000);

	start(MODE_LONG64, 0);
	tc.gpr[RAX] = LM_CR4 | (1ull << 12);
	go("CR4.LA57 without CPUID -> #GP(0)", "0f22e0f4");
	oc_want_exc(&out, 13, 1, 0, 0x10000);

	start(MODE_LONG64, 0);
	tc.gpr[RAX] = LM_CR4 | (1ull << 20);
	go("CR4.SMEP: legal, not modeled", "0f22e0f4");
	want_unsupported("mov cr4:smep");

	start(MODE_LONG64, 0);
	tc.gpr[RAX] = LM_CR4 | (1ull << 18) | (1ull << 2);
	go("set CR4.OSXSAVE|TSD then XGETBV works", "0f22e00f01d0f4");
	oc_want_hlt(&out, 0x10007);
	CHECK_EQ_U64(out.state.cr4, LM_CR4 | (1ull << 18) | (1ull << 2), "cr4");
	CHECK_EQ_U64(out.state.gpr[RAX], 1, "xcr0 = x87");

	start(MODE_LONG64, 0);
	tc.gpr[RAX] = LM_CR3 | (1ull << 52);
	go("CR3 bit 52 -> #GP(0)", "0f22d8f4");
	oc_want_exc(&out, 13, 1, 0, 0x10000);

	start(MODE_LONG64, 0);
	tc.gpr[RAX] = 0x10;
	go("CR8 = 0x10 -> #GP(0)", "440f22c0f4");
	oc_want_exc(&out, 13, 1, 0, 0x10000);

	start(MODE_LONG64, 0);
	tc.gpr[RAX] = 0x5000;
	go("CR3 moving the page tables: unsupported", "0f22d8f4");
	want_unsupported("mov cr3:moved");

	start(MODE_PROT32, 0);
	tc.gpr[RAX] = 0x5000;
	go("prot32 (paging off): CR3 is plain data", "0f22d80f20dbf4");
	oc_want_hlt(&out, 0x10007);
	CHECK_EQ_U64(out.state.cr3, 0x5000, "cr3");
	CHECK_EQ_U64(out.state.gpr[RBX], 0x5000, "ebx = cr3");

	start(MODE_LONG64, 0);
	tc.gpr[RAX] = 0x5;
	go("CR8 = 5", "440f22c0f4");
	oc_want_hlt(&out, 0x10005);
	CHECK_EQ_U64(out.state.cr8, 5, "cr8");

	start(MODE_LONG64, 0);
	go("mov rax, cr1 -> #UD", "0f20c8f4");
	oc_want_exc(&out, 6, 0, 0, 0x10000);

	start(MODE_LONG64, KNOB_CPL3);
	go("mov rax, cr0 at CPL3 -> #GP(0)", "0f20c0f4");
	oc_want_exc(&out, 13, 1, 0, 0x10000);

	start(MODE_LONG64, KNOB_CPL3);
	go("mov rax, cr1 at CPL3: the privilege check wins -> #GP(0)", "0f20c8f4");
	oc_want_exc(&out, 13, 1, 0, 0x10000);

	start(MODE_PROT32, 0);
	go("prot32: mov eax, cr0; mov ebx, cr4", "0f20c00f20e3f4");
	oc_want_hlt(&out, 0x10007);
	CHECK_EQ_U64(out.state.gpr[RAX], 0x33, "eax = PE MP ET NE");
	CHECK_EQ_U64(out.state.gpr[RBX], 0x600, "ebx = cr4");

	start(MODE_PROT32, 0);
	tc.gpr[RAX] = 0x32;
	go("prot32: clearing CR0.PE is a mode switch: unsupported", "0f22c0f4");
	want_unsupported("mov cr0:mode");
}

static void test_dr(void)
{
	start(MODE_LONG64, 0);
	tc.gpr[RAX] = 0xffff800000001234ull;
	/* mov dr0,rax; mov rbx,dr0; mov rcx,dr6; mov rdx,dr7; mov rsi,dr4;
	 * mov rdi,dr5; hlt */
	go("DR0 round trip, DR6/DR7 reset values, DR4/DR5 alias",
	   "0f23c00f21c30f21f10f21fa0f21e60f21eff4");
	oc_want_hlt(&out, 0x10013);
	CHECK_EQ_U64(out.state.gpr[RBX], 0xffff800000001234ull, "dr0 (64 bits)");
	CHECK_EQ_U64(out.state.gpr[RCX], 0xffff0ff0, "dr6 reset");
	CHECK_EQ_U64(out.state.gpr[RDX], 0x400, "dr7 reset");
	CHECK_EQ_U64(out.state.gpr[RSI], 0xffff0ff0, "dr4 = dr6");
	CHECK_EQ_U64(out.state.gpr[RDI], 0x400, "dr5 = dr7");

	start(MODE_LONG64, 0);
	tc.gpr[RAX] = 0x0000000f;
	go("DR6 write keeps B0-B3, fixed ones stay", "0f23f00f21f3f4");
	CHECK_EQ_U64(out.state.gpr[RBX], 0xffff0fff, "dr6 read back (no RTM: bit 16 = 1)");

	start(MODE_LONG64, 0);
	tc.gpr[RAX] = 1ull << 32;
	go("DR7 bit 32 -> #GP(0)", "0f23f8f4");
	oc_want_exc(&out, 13, 1, 0, 0x10000);

	start(MODE_LONG64, 0);
	tc.gpr[RAX] = 0x00020001; /* L0, RW0 = 10: an I/O breakpoint */
	go("DR7 arming an I/O breakpoint without CR4.DE (undefined): unsupported", "0f23f8f4");
	want_unsupported("mov dr7:io-breakpoint-no-de");

	start(MODE_LONG64, 0);
	tc.gpr[RAX] = 0x2000;
	go("DR7.GD: next MOV DR is a #DB fault", "0f23f80f21c3f4");
	oc_want_exc(&out, 1, 0, 0, 0x10003);

	start(MODE_LONG64, 0);
	tc.gpr[RAX] = LM_CR4 | (1ull << 3);
	go("CR4.DE makes DR4 #UD", "0f22e00f21e3f4");
	oc_want_exc(&out, 6, 0, 0, 0x10003);

	start(MODE_LONG64, KNOB_CPL3);
	go("mov rax, dr7 at CPL3 -> #GP(0)", "0f21f8f4");
	oc_want_exc(&out, 13, 1, 0, 0x10000);
}

static void test_cr0_insns(void)
{
	start(MODE_LONG64, KNOB_CR0_TS);
	go("CLTS clears CR0.TS (knob cr0.ts)", "0f06f4");
	oc_want_hlt(&out, 0x10003);
	CHECK_EQ_U64(out.state.cr0, LM_CR0, "cr0 without TS");

	start(MODE_LONG64, KNOB_CPL3);
	go("CLTS at CPL3 -> #GP(0)", "0f06f4");
	oc_want_exc(&out, 13, 1, 0, 0x10000);

	start(MODE_LONG64, 0);
	tc.gpr[RBX] = 0xaaaaaaaaaaaaaaaaull;
	tc.gpr[RCX] = 0xcccccccccccccccc;
	/* smsw ebx; smsw cx; smsw [0x12000]; hlt */
	go("SMSW to r32, r16 and memory", "0f01e3660f01e10f01242500200100f4");
	oc_want_hlt(&out, 0x10010);
	CHECK_EQ_U64(out.state.gpr[RBX], LM_CR0 & 0xffffffffu, "ebx = cr0 zero-extended");
	CHECK_EQ_U64(out.state.gpr[RCX], 0xcccccccccccc0033ull, "cx = cr0[15:0]");
	CHECK_EQ_U64(mem(0x12000, 4), 0x0033, "memory: 2 bytes");

	start(MODE_LONG64, KNOB_CPL3 | KNOB_CR4_UMIP);
	go("SMSW at CPL3 with UMIP -> #GP(0)", "0f01e0f4");
	oc_want_exc(&out, 13, 1, 0, 0x10000);

	start(MODE_LONG64, KNOB_CPL3);
	go("SMSW at CPL3 without UMIP works (then HLT faults)", "0f01e0f4");
	oc_want_exc(&out, 13, 1, 0, 0x10003);
	CHECK_EQ_U64(out.state.gpr[RAX], LM_CR0 & 0xffffffffu, "eax = cr0");

	start(MODE_LONG64, 0);
	tc.gpr[RAX] = 0x000e;
	go("LMSW sets MP EM TS, keeps PE", "0f01f0f4");
	oc_want_hlt(&out, 0x10004);
	CHECK_EQ_U64(out.state.cr0, LM_CR0 | 0xe, "cr0");

	start(MODE_REAL16, 0);
	tc.gpr[RAX] = 0x1;
	go("real16: LMSW setting PE is a mode switch: unsupported", "0f01f0f4");
	want_unsupported("lmsw:pe");
}

static void test_misc(void)
{
	/* INT1 (ICEBP): a #DB trap with no gate DPL check, so at CPL3 too
	 * (the layout's gates are DPL0: INT 1 there is #GP(0x0a)). */
	start(MODE_LONG64, KNOB_CPL3);
	go("INT1 at CPL3 -> #DB, RIP after the F1", "f1f4");
	oc_want_exc(&out, 1, 0, 0, 0x10001);
	start(MODE_LONG64, KNOB_CPL3);
	go("INT 1 at CPL3 -> #GP(1*8+2): the gate's DPL applies", "cd01f4");
	oc_want_exc(&out, 13, 1, 0x0a, 0x10000);
	start(MODE_REAL16, 0);
	go("INT1 in real mode -> IVT vector 1, IP after the F1", "f1f4");
	oc_want_exc(&out, 1, 0, 0, 0x1);

	start(MODE_LONG64, 0);
	tc.gpr[RAX] = 0x0000800000000000ull;
	go("INVLPG (non-canonical too), WBINVD, INVD: no-ops", "0f01380f090f08f4");
	oc_want_hlt(&out, 0x10008);

	start(MODE_LONG64, KNOB_CPL3);
	go("INVLPG at CPL3 -> #GP(0)", "0f0138f4");
	oc_want_exc(&out, 13, 1, 0, 0x10000);

	start(MODE_LONG64, KNOB_CPL3);
	go("WBINVD at CPL3 -> #GP(0)", "0f09f4");
	oc_want_exc(&out, 13, 1, 0, 0x10000);

	start(MODE_LONG64, 0);
	go("STI, STAC", "fb0f01cbf4");
	oc_want_hlt(&out, 0x10005);
	CHECK_EQ_U64(out.state.rflags, 0x40202, "rflags IF AC");

	start(MODE_LONG64, 0);
	go("STAC then CLAC", "0f01cb0f01caf4");
	CHECK_EQ_U64(out.state.rflags, 0x2, "rflags AC clear");

	start(MODE_LONG64, KNOB_CPL3);
	go("STAC at CPL3 -> #UD", "0f01cbf4");
	oc_want_exc(&out, 6, 0, 0, 0x10000);

	start(MODE_LONG64, 0);
	go("MONITOR without CPUID.MONITOR -> #UD", "0f01c8f4");
	oc_want_exc(&out, 6, 0, 0, 0x10000);

	start(MODE_LONG64, 0);
	tc.gpr[RAX] = 0xffff888000001000ull;
	tc.gpr[RCX] = 0xc0000102u;
	tc.gpr[RDX] = 0xffff8880u;
	tc.gpr[RAX] = 0x00001000u;
	/* wrmsr KERNEL_GS_BASE; swapgs; mov ecx, GS_BASE; rdmsr; hlt */
	go("SWAPGS swaps GS.base and KERNEL_GS_BASE", "0f300f01f8b9010100c00f32f4");
	oc_want_hlt(&out, 0x1000d);
	CHECK_EQ_U64(out.state.gpr[RAX], 0x1000, "gs base low");
	CHECK_EQ_U64(out.state.gpr[RDX], 0xffff8880u, "gs base high");

	start(MODE_PROT32, 0);
	go("prot32: SWAPGS -> #UD", "0f01f8f4");
	oc_want_exc(&out, 6, 0, 0, 0x10000);

	start(MODE_LONG64, KNOB_CPL3);
	go("SWAPGS at CPL3 -> #GP(0)", "0f01f8f4");
	oc_want_exc(&out, 13, 1, 0, 0x10000);
}

static void test_msr(void)
{
	start(MODE_LONG64, 0);
	tc.gpr[RCX] = 0xc0000080u;
	go("RDMSR EFER", "0f32f4");
	oc_want_hlt(&out, 0x10003);
	CHECK_EQ_U64(out.state.gpr[RAX], LM_EFER, "eax = efer");
	CHECK_EQ_U64(out.state.gpr[RDX], 0, "edx");

	start(MODE_LONG64, 0);
	tc.gpr[RCX] = 0x1b;
	go("RDMSR of an MSR outside the table: unsupported", "0f32f4");
	want_unsupported("rdmsr:0x1b");

	start(MODE_LONG64, KNOB_CPL3);
	tc.gpr[RCX] = 0xc0000080u;
	go("RDMSR at CPL3 -> #GP(0)", "0f32f4");
	oc_want_exc(&out, 13, 1, 0, 0x10000);

	start(MODE_LONG64, 0);
	tc.gpr[RCX] = 0xc0000082u;
	tc.gpr[RDX] = 0x00008000u;
	go("WRMSR LSTAR non-canonical -> #GP(0)", "0f30f4");
	oc_want_exc(&out, 13, 1, 0, 0x10000);

	start(MODE_LONG64, 0);
	tc.gpr[RCX] = 0xc0000080u;
	tc.gpr[RAX] = 0xd01 & ~0x100u;
	go("WRMSR EFER clearing LME with paging on -> #GP(0)", "0f30f4");
	oc_want_exc(&out, 13, 1, 0, 0x10000);

	start(MODE_LONG64, 0);
	tc.gpr[RCX] = 0xc0000080u;
	tc.gpr[RAX] = 0x901;
	go("WRMSR EFER: LMA written 0 is ignored", "0f300f32f4");
	oc_want_hlt(&out, 0x10005);
	CHECK_EQ_U64(out.state.efer, 0xd01, "efer");

	start(MODE_LONG64, 0);
	tc.gpr[RCX] = 0xc0000080u;
	tc.gpr[RAX] = 0xd01 | (1u << 14);
	go("WRMSR EFER reserved bit 14 -> #GP(0)", "0f30f4");
	oc_want_exc(&out, 13, 1, 0, 0x10000);

	start(MODE_LONG64, 0);
	tc.gpr[RCX] = 0xc0000084u;
	tc.gpr[RDX] = 1;
	go("WRMSR FMASK bit 32: the SDM says reserved, CPUs differ: unsupported", "0f30f4");
	want_unsupported("wrmsr:0xc0000084.hi");

	start(MODE_LONG64, 0);
	tc.gpr[RCX] = 0x176;
	tc.gpr[RAX] = 0x12345678;
	tc.gpr[RDX] = 0x00008000u;
	go("WRMSR SYSENTER_EIP non-canonical -> #GP(0)", "0f300f32f4");
	oc_want_exc(&out, 13, 1, 0, 0x10000);

	start(MODE_LONG64, 0);
	tc.gpr[RCX] = 0x176;
	tc.gpr[RAX] = 0x12345678;
	tc.gpr[RDX] = 0xffff8000u;
	go("WRMSR SYSENTER_EIP canonical round trip", "0f300f32f4");
	oc_want_hlt(&out, 0x10005);
	CHECK_EQ_U64(out.state.gpr[RDX], 0xffff8000u, "edx");
	CHECK_EQ_U64(out.state.gpr[RAX], 0x12345678, "eax");

	start(MODE_LONG64, 0);
	tc.gpr[RCX] = 0xc0000080u;
	tc.gpr[RAX] = 0x501;
	go("WRMSR EFER clearing NXE with paging on: unsupported", "0f30f4");
	want_unsupported("wrmsr:efer.nxe");

	/* A guest without RDTSCP and RDPID has no TSC_AUX: #GP (the
	 * calibrated CPUID of the test machine looks like this). */
	static struct cpuid_table no_rdtscp = { .n = 1, .e = {
		{ 0x80000001u, 0, 0, 0, 0, 1u << 20 } } };
	start(MODE_LONG64, 0);
	ex.cpuid = &no_rdtscp;
	tc.gpr[RCX] = 0xc0000103u;
	go("RDMSR TSC_AUX without RDTSCP/RDPID -> #GP(0)", "0f32f4");
	oc_want_exc(&out, 13, 1, 0, 0x10000);
	start(MODE_LONG64, 0);
	ex.cpuid = &no_rdtscp;
	go("RDTSCP without the feature -> #UD", "0f01f9f4");
	oc_want_exc(&out, 6, 0, 0, 0x10000);

	start(MODE_LONG64, 0);
	tc.gpr[RCX] = 0x10;
	go("RDMSR TSC: unpredictable", "0f32f4");
	CHECK_EQ_U64(out.undefined_gprs, (1u << RAX) | (1u << RDX), "undefined gprs rax rdx");

	start(MODE_LONG64, 0);
	tc.gpr[RCX] = 0x277;
	go("RDMSR PAT", "0f32f4");
	CHECK_EQ_U64(out.state.gpr[RAX], 0x00070406u, "pat low");
	CHECK_EQ_U64(out.state.gpr[RDX], 0x00070406u, "pat high");

	start(MODE_LONG64, 0);
	tc.gpr[RCX] = 0x277;
	tc.gpr[RAX] = 0x02;
	go("WRMSR PAT type 2 -> #GP(0)", "0f30f4");
	oc_want_exc(&out, 13, 1, 0, 0x10000);
}

static void test_syscall(void)
{
	/* STAR = 0x0028000800000000 (the layout's selectors), LSTAR =
	 * 0x10040, FMASK = 0x200 (IF). At 0x10040: mov rax, rcx; hlt. */
	static const char *setup =
		"b9810000c0" "b800000000" "ba08002800" "0f30"   /* STAR */
		"b9820000c0" "b840000100" "ba00000000" "0f30"   /* LSTAR */
		"b9840000c0" "b800020000" "0f30";               /* FMASK */
	char hex[256];
	/* sti at 0x2e, syscall at 0x2f, zeros up to 0x40 */
	snprintf(hex, sizeof(hex), "%s" "fb" "0f05" "%0*d" "4889c8f4", setup, 2 * 15, 0);
	start(MODE_LONG64, 0);
	go("SYSCALL through STAR/LSTAR/FMASK", hex);
	oc_want_hlt(&out, 0x10044);
	CHECK_EQ_U64(out.state.gpr[RCX], 0x10031, "rcx = return rip");
	CHECK_EQ_U64(out.state.gpr[RAX], 0x10031, "rax = rcx at the target");
	CHECK_EQ_U64(out.state.gpr[R11], 0x202, "r11 = rflags (IF from sti)");
	CHECK_EQ_U64(out.state.rflags, 0x2, "rflags: IF masked by FMASK");
	CHECK_EQ_U64(out.state.cs, 0x08, "cs from STAR[47:32]");
	CHECK_EQ_U64(out.state.ss, 0x10, "ss = cs + 8");

	start(MODE_LONG64, KNOB_NO_SCE);
	go("SYSCALL with EFER.SCE clear (no-sce) -> #UD", "0f05f4");
	oc_want_exc(&out, 6, 0, 0, 0x10000);

	start(MODE_LONG64, 0);
	tc.gpr[R11] = 0x2d7;
	/* STAR; mov ecx, 0x10016; sysretq at 0x13; (at 0x10016) hlt at CPL3 */
	go("SYSRETQ to CPL3: the HLT there is #GP(0)",
	   "b9810000c031c0ba080028000f30b916000100480f07f4f4f4f4");
	oc_want_exc(&out, 13, 1, 0, 0x10016);
	CHECK_EQ_U64(out.state.rflags, 0x2d7 | RFLAGS_RF, "rflags from r11 (fault frame has RF)");
	CHECK_EQ_U64(out.state.cs, 0x3b, "cs = STAR[63:48]+16 | 3");
	CHECK_EQ_U64(out.state.ss, 0x33, "ss = STAR[63:48]+8 | 3");

	start(MODE_LONG64, 0);
	tc.gpr[RCX] = 0x0000800000000000ull;
	go("SYSRETQ with non-canonical RCX -> #GP(0)", "480f07f4");
	oc_want_exc(&out, 13, 1, 0, 0x10000);

	start(MODE_LONG64, 0);
	go("SYSRET (32-bit) unsupported", "0f07f4");
	want_unsupported("sysret:compat");

	start(MODE_LONG64, 0);
	go("SYSENTER with SYSENTER_CS = 0 -> #GP(0)", "0f34f4");
	oc_want_exc(&out, 13, 1, 0, 0x10000);

	start(MODE_PROT32, 0);
	/* SYSENTER_CS 0x08, ESP 0x15f00, EIP 0x1002a; at 0x1002a:
	 * mov eax, esp; hlt */
	go("prot32: SYSENTER to CS 0x08 / SS 0x10, EIP and ESP from the MSRs",
	   "b974010000b80800000031d20f30" "b975010000b8005f01000f30"
	   "b976010000b82a0001000f30" "0f34" "0000" "89e0f4");
	oc_want_hlt(&out, 0x1002d);
	CHECK_EQ_U64(out.state.gpr[RAX], 0x15f00, "eax = esp = SYSENTER_ESP");
	CHECK_EQ_U64(out.state.cs, 0x08, "cs");
	CHECK_EQ_U64(out.state.ss, 0x10, "ss");

	start(MODE_LONG64, 0);
	tc.gpr[RDX] = 0x10020;
	/* SYSENTER_CS = 0x18 (push/pop rdx around the WRMSR); sysexitq
	 * to 0x10020 at CPL3, where the HLT is #GP(0) */
	go("SYSEXITQ to CPL3: CS = SYSENTER_CS+32|3, SS = +40|3",
	   "b974010000b8180000005231d20f305a480f35f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4f4");
	oc_want_exc(&out, 13, 1, 0, 0x10020);
	CHECK_EQ_U64(out.state.cs, 0x3b, "cs");
	CHECK_EQ_U64(out.state.ss, 0x43, "ss");
	CHECK_EQ_U64(out.state.gpr[RSP], 0x174, "rsp = rcx (the MSR index left there)");

	start(MODE_LONG64, KNOB_CPL3);
	go("SYSEXIT at CPL3 -> #GP(0)", "480f35f4");
	oc_want_exc(&out, 13, 1, 0, 0x10000);
}

static void test_time_rand_xcr(void)
{
	start(MODE_LONG64, 0);
	tc.gpr[RCX] = 0x77;
	go("RDTSC", "0f31f4");
	oc_want_hlt(&out, 0x10003);
	CHECK_EQ_U64(out.undefined_gprs, (1u << RAX) | (1u << RDX), "rax rdx undefined");
	CHECK_EQ_U64(out.state.gpr[RCX], 0x77, "rcx untouched");

	start(MODE_LONG64, KNOB_CPL3 | KNOB_CR4_TSD);
	go("RDTSC at CPL3 with CR4.TSD -> #GP(0)", "0f31f4");
	oc_want_exc(&out, 13, 1, 0, 0x10000);

	start(MODE_LONG64, KNOB_CPL3);
	go("RDTSC at CPL3 without TSD works; HLT faults", "0f31f4");
	oc_want_exc(&out, 13, 1, 0, 0x10002);

	start(MODE_LONG64, 0);
	tc.gpr[RCX] = 0xc0000103u;
	tc.gpr[RAX] = 0x42;
	go("WRMSR TSC_AUX; RDTSCP loads ECX", "0f300f01f9f4");
	oc_want_hlt(&out, 0x10006);
	CHECK_EQ_U64(out.state.gpr[RCX], 0x42, "ecx = tsc_aux");

	/* RDPID (F3 0F C7 /7): Capstone 4 says rdseed; with the feature the
	 * register gets TSC_AUX (r64 in 64-bit mode, no CPL check), without
	 * it #UD (SDM Vol. 2B RDPID). */
	static struct cpuid_table rdpid = { .n = 2, .e = {
		{ 7, 0, 0, 0, 1u << 22, 0 },
		{ 0x80000001u, 0, 0, 0, 0, 1u << 27 } } };
	start(MODE_LONG64, KNOB_CPL3);
	ex.cpuid = &rdpid;
	tc.gpr[R9] = 0xffffffffffffffffull;
	go("RDPID r9 at CPL3: TSC_AUX (0) zero-extended into all 64 bits", "f3410fc7f9f4");
	oc_want_exc(&out, 13, 1, 0, 0x10005);
	CHECK_EQ_U64(out.state.gpr[R9], 0, "r9 = tsc_aux");
	CHECK(!strcmp(out.ran[RAN_SLOT(0x10000)].mnemonic, "rdpid"), "named rdpid (got '%s')",
	      out.ran[RAN_SLOT(0x10000)].mnemonic);
	start(MODE_LONG64, 0);
	ex.cpuid = &rdpid;
	tc.gpr[RCX] = 0xc0000103u;
	tc.gpr[RAX] = 0x1234;
	go("WRMSR TSC_AUX; RDPID rdx", "0f30f30fc7faf4");
	oc_want_hlt(&out, 0x10007);
	CHECK_EQ_U64(out.state.gpr[RDX], 0x1234, "rdx = tsc_aux");
	CHECK_EQ_U64(out.undefined_gprs, 0, "RDPID's result is predictable");
	start(MODE_LONG64, 0);
	go("RDPID without the feature -> #UD", "f30fc7f8f4");
	oc_want_exc(&out, 6, 0, 0, 0x10000);

	/* RDPMC: counters from CPUID.0AH (SDM Vol. 2B RDPMC). */
	static struct cpuid_table pmu = { .n = 1, .e = { { 0xa, 0, 0x0402, 0, 0, 3 } } };
	static struct cpuid_table no_pmu = { .n = 1, .e = { { 0xa, 0, 0, 0, 0, 0 } } };
	static const struct { struct cpuid_table *t; uint32_t knobs; uint64_t ecx; int ok; const char *what; } pmc[] = {
		{ &pmu, 0, 3, 1, "general counter 3 of 4" },
		{ &pmu, 0, 4, 0, "general counter 4 of 4: #GP(0)" },
		{ &pmu, 0, 0x40000002, 1, "fixed counter 2 of 3" },
		{ &pmu, 0, 0x40000003, 0, "fixed counter 3 of 3: #GP(0)" },
		{ &no_pmu, 0, 0, 0, "no PMU (version 0): #GP(0)" },
		{ &pmu, KNOB_CPL3, 0, 0, "CPL3 without CR4.PCE: #GP(0)" },
	};
	for (unsigned i = 0; i < sizeof(pmc) / sizeof(pmc[0]); i++) {
		start(MODE_LONG64, pmc[i].knobs);
		ex.cpuid = pmc[i].t;
		tc.gpr[RCX] = pmc[i].ecx;
		go(pmc[i].what, "0f33f4");
		if (pmc[i].ok) {
			oc_want_hlt(&out, 0x10003);
			CHECK_EQ_U64(out.undefined_gprs, (1u << RAX) | (1u << RDX), "EDX:EAX unpredictable");
		} else {
			oc_want_exc(&out, 13, 1, 0, 0x10000);
		}
	}
	start(MODE_LONG64, 0);
	go("RDPMC without CPUID leaf 0AH known: unsupported", "0f33f4");
	want_unsupported("rdpmc");

	start(MODE_LONG64, 0);
	tc.rflags = 0x2 | RFLAGS_ZF | RFLAGS_OF;
	go("RDRAND eax", "0fc7f0f4");
	oc_want_hlt(&out, 0x10004);
	CHECK_EQ_U64(out.undefined_gprs, 1u << RAX, "rax undefined");
	CHECK_EQ_U64(out.undefined_flags & RFLAGS_CF, RFLAGS_CF, "CF undefined");
	CHECK_EQ_U64(out.state.rflags & (RFLAGS_ZF | RFLAGS_OF), 0, "ZF OF cleared");

	start(MODE_LONG64, 0);
	go("F2 RDRAND (NFx) -> #UD", "f20fc7f2f4");
	oc_want_exc(&out, 6, 0, 0, 0x10000);

	start(MODE_LONG64, 0);
	go("XGETBV without CR4.OSXSAVE -> #UD", "0f01d0f4");
	oc_want_exc(&out, 6, 0, 0, 0x10000);

	start(MODE_LONG64, KNOB_CR4_OSXSAVE);
	tc.gpr[RAX] = 7;
	/* xsetbv (ecx=0, eax=7); xgetbv; hlt */
	go("XSETBV x87|SSE|AVX then XGETBV", "0f01d10f01d0f4");
	oc_want_hlt(&out, 0x10007);
	CHECK_EQ_U64(out.state.gpr[RAX], 7, "xcr0");

	start(MODE_LONG64, KNOB_CR4_OSXSAVE);
	tc.gpr[RAX] = 5;
	go("XSETBV AVX without SSE -> #GP(0)", "0f01d1f4");
	oc_want_exc(&out, 13, 1, 0, 0x10000);

	start(MODE_LONG64, KNOB_CR4_OSXSAVE);
	tc.gpr[RAX] = 0x1f;
	go("XSETBV unsupported bits -> #GP(0)", "0f01d1f4");
	oc_want_exc(&out, 13, 1, 0, 0x10000);

	start(MODE_LONG64, KNOB_CR4_OSXSAVE);
	tc.gpr[RAX] = 1;
	tc.gpr[RCX] = 1;
	go("XSETBV ECX=1 -> #GP(0)", "0f01d1f4");
	oc_want_exc(&out, 13, 1, 0, 0x10000);

	start(MODE_LONG64, KNOB_CR4_OSXSAVE | KNOB_CPL3);
	tc.gpr[RAX] = 1;
	go("XSETBV at CPL3 -> #GP(0)", "0f01d1f4");
	oc_want_exc(&out, 13, 1, 0, 0x10000);

	start(MODE_LONG64, 0);
	go("RDFSBASE without CR4.FSGSBASE -> #UD", "f3480faec0f4");
	oc_want_exc(&out, 6, 0, 0, 0x10000);

	start(MODE_LONG64, KNOB_CR4_FSGSBASE);
	tc.gpr[RAX] = 0xffff888812345678ull;
	/* wrfsbase rax; rdfsbase rbx; rdfsbase ecx; hlt */
	go("WRFSBASE / RDFSBASE", "f3480faed0f3480faec3f30faec1f4");
	oc_want_hlt(&out, 0x1000f);
	CHECK_EQ_U64(out.state.gpr[RBX], 0xffff888812345678ull, "rbx = fs base");
	CHECK_EQ_U64(out.state.gpr[RCX], 0x12345678, "ecx = fs base low");

	start(MODE_LONG64, KNOB_CR4_FSGSBASE);
	tc.gpr[RAX] = 0x0000800000000000ull;
	go("WRGSBASE non-canonical -> #GP(0)", "f3480faed8f4");
	oc_want_exc(&out, 13, 1, 0, 0x10000);
}

static void test_desc(void)
{
	/* ARPL (63 /r outside 64-bit mode): RPL raised to the source's. */
	start(MODE_PROT32, 0);
	tc.gpr[RAX] = 0x28;
	tc.gpr[RCX] = 0x33;
	go("ARPL ax, cx: RPL 0 -> 3, ZF", "63c8f4");
	oc_want_hlt(&out, 0x10003);
	CHECK_EQ_U64(out.state.gpr[RAX], 0x2b, "ax = 0x2b");
	CHECK_EQ_U64(out.state.rflags & RFLAGS_ZF, RFLAGS_ZF, "ZF set");
	start(MODE_PROT32, 0);
	tc.gpr[RAX] = 0xffff002b;
	tc.gpr[RCX] = 0x31;
	tc.rflags = 0x2 | RFLAGS_ZF;
	go("ARPL ax, cx: RPL 3 >= 1, nothing changes but ZF", "63c8f4");
	CHECK_EQ_U64(out.state.gpr[RAX], 0xffff002b, "eax unchanged");
	CHECK_EQ_U64(out.state.rflags & RFLAGS_ZF, 0, "ZF clear");
	start(MODE_REAL16, 0);
	go("ARPL in real mode -> #UD", "63c8f4");
	oc_want_exc(&out, 6, 0, 0, 0);

	start(MODE_LONG64, 0);
	/* sgdt [0x12000]; sidt [0x12010]; sldt eax; str ebx; hlt */
	go("SGDT SIDT SLDT STR", "0f010425002001000f010c25102001000f00c00f00cbf4");
	oc_want_hlt(&out, 0x10017);
	CHECK_EQ_U64(mem(0x12000, 2), 0x3f, "gdt limit");
	CHECK_EQ_U64(mem(0x12002, 8), 0x1000, "gdt base (8 bytes)");
	CHECK_EQ_U64(mem(0x12010, 2), 0xfff, "idt limit");
	CHECK_EQ_U64(mem(0x12012, 8), 0x2000, "idt base");
	CHECK_EQ_U64(out.state.gpr[RAX], 0, "ldtr selector");
	CHECK_EQ_U64(out.state.gpr[RBX], 0x18, "tr selector");

	start(MODE_LONG64, 0);
	tc.gpr[RAX] = LAYOUT_MMIO + 0x10;
	go("SGDT into the MMIO window: 8 then 2 bytes", "0f0100f4");
	CHECK_EQ_U64(out.n_events, 3, "two MMIO writes and the HLT");
	CHECK_EQ_U64(out.events[0].kind, EXIT_MMIO, "event 0 mmio");
	CHECK_EQ_U64(out.events[0].size, 8, "event 0 size");
	CHECK_EQ_U64(out.events[0].data, 0x1000003f, "event 0 = limit | base << 16");
	CHECK_EQ_U64(out.events[1].addr, LAYOUT_MMIO + 0x18, "event 1 at +8");
	CHECK_EQ_U64(out.events[1].size, 2, "event 1 size");

	start(MODE_LONG64, 0);
	tc.gpr[RAX] = LAYOUT_DATA + LAYOUT_DATA_SIZE - 6;
	go("SGDT across into an unmapped page: #PF at the page, nothing written", "0f0100f4");
	oc_want_exc(&out, 14, 1, PFEC_W, 0x10000);
	CHECK_EQ_U64(out.state.cr2, LAYOUT_DATA + LAYOUT_DATA_SIZE, "cr2 = start of the second page");
	CHECK_EQ_U64(mem(LAYOUT_DATA + LAYOUT_DATA_SIZE - 6, 6), 0, "first part not written");

	start(MODE_PROT32, 0);
	go("prot32: SGDT stores 6 bytes", "0f010500200100f4");
	oc_want_hlt(&out, 0x10008);
	CHECK_EQ_U64(mem(0x12000, 8), 0x1000003f, "limit 0x3f, base 0x1000, nothing more");

	start(MODE_LONG64, KNOB_CPL3 | KNOB_CR4_UMIP);
	go("SGDT at CPL3 with UMIP -> #GP(0)", "0f01042500200100f4");
	oc_want_exc(&out, 13, 1, 0, 0x10000);

	start(MODE_LONG64, 0);
	/* sgdt [0x12000]; lgdt [0x12000]; hlt */
	go("LGDT of the same table", "0f01042500200100" "0f01142500200100f4");
	oc_want_hlt(&out, 0x10011);

	start(MODE_LONG64, 0);
	tc.data[0] = 0x3f; tc.data[3] = 0x20;
	tc.data_len = 10;
	go("LGDT moving the GDT in long mode: unsupported", "0f01142500200100f4");
	want_unsupported("lgdt:moved");

	start(MODE_LONG64, KNOB_CPL3);
	go("LIDT at CPL3 -> #GP(0)", "0f011c2500200100f4");
	oc_want_exc(&out, 13, 1, 0, 0x10000);

	start(MODE_LONG64, 0);
	tc.gpr[RAX] = 0x18;
	go("LTR of the busy TSS -> #GP(0x18)", "0f00d8f4");
	oc_want_exc(&out, 13, 1, 0x18, 0x10000);

	start(MODE_LONG64, 0);
	go("LTR null -> #GP(0)", "0f00d8f4");
	oc_want_exc(&out, 13, 1, 0, 0x10000);

	start(MODE_LONG64, 0);
	tc.gpr[RAX] = 0x13;
	go("LLDT of a data descriptor -> #GP(0x10)", "0f00d0f4");
	oc_want_exc(&out, 13, 1, 0x10, 0x10000);

	start(MODE_LONG64, 0);
	tc.gpr[RAX] = 0x40;
	go("LLDT beyond the GDT limit -> #GP(0x40)", "0f00d0f4");
	oc_want_exc(&out, 13, 1, 0x40, 0x10000);

	start(MODE_LONG64, 0);
	go("LLDT null", "0f00d0f4");
	oc_want_hlt(&out, 0x10004);

	start(MODE_REAL16, 0);
	go("real16: SLDT -> #UD", "0f00c0f4");
	oc_want_exc(&out, 6, 0, 0, 0x0);

	start(MODE_LONG64, 0);
	tc.gpr[RAX] = 0x10;
	tc.gpr[RBX] = 0x08;
	/* verr ax -> ZF=1; verw bx (code) -> ZF=0 in the end */
	go("VERR data, VERW code", "0f00e0f4");
	CHECK_EQ_U64(out.state.rflags & RFLAGS_ZF, RFLAGS_ZF, "verr data: ZF=1");
	start(MODE_LONG64, 0);
	tc.gpr[RBX] = 0x08;
	tc.rflags = 0x2 | RFLAGS_ZF;
	go("VERW code -> ZF=0", "0f00ebf4");
	CHECK_EQ_U64(out.state.rflags & RFLAGS_ZF, 0, "verw code: ZF=0");

	start(MODE_LONG64, 0);
	tc.gpr[RBX] = 0x08;
	/* lar eax, bx; lsl ecx, bx; hlt */
	go("LAR/LSL of the 64-bit code descriptor", "0f02c30f03cbf4");
	oc_want_hlt(&out, 0x10007);
	CHECK_EQ_U64(out.state.gpr[RAX], 0x00af9b00u, "lar: G L P DPL0 type b, S, limit 19:16 (as the CPU)");
	CHECK_EQ_U64(out.state.gpr[RCX], 0xffffffffu, "lsl: limit scaled by G");
}

int main(void)
{
	ex.ops = &ref_executor_ops;
	/* The rows follow Intel (SDM, a Xeon); the AMD side of each vendor
	 * difference is in test_ref_vendor.c. */
	ex.vendor = VENDOR_INTEL;
	if (ex.ops->init(&ex, ex.err, sizeof(ex.err)) != 0) {
		printf("FAILED: init: %s\n", ex.err);
		return 1;
	}
	test_cr();
	test_dr();
	test_cr0_insns();
	test_misc();
	test_msr();
	test_syscall();
	test_time_rand_xcr();
	test_desc();
	ex.ops->fini(&ex);
	return check_done("test_ref_sys");
}
