/* Control-flow and data-movement semantics of the reference, run as whole
 * cases through ref_executor_ops: exact events and end state. Expected
 * values are worked out by hand from the SDM and layout.h. */
#include <string.h>
#include "outcome_check.h"
#include "ref_internal.h"

static struct executor ex;
static struct outcome out;
static struct test_case tc;


/* Starts a case: defaults, then the caller sets registers/data, then go. */
static void start(void)
{
	case_init(&tc);
}

static void go(const char *name, const uint8_t *code, unsigned n)
{
	oc_run_code(&ex, &tc, &out, name, code, n);
}

static uint64_t mem64(uint64_t gpa)
{
	uint64_t v;
	memcpy(&v, out.mem + (gpa - LAYOUT_CMP_BASE), 8);
	return v;
}

static void test_mov(void)
{
	start();
	go("mov rax, imm32 (sign-extended)", B(0x48, 0xc7, 0xc0, 0x00, 0x00, 0x00, 0x80, 0xf4));
	oc_want_hlt(&out, 0x10008);
	CHECK_EQ_U64(out.state.gpr[RAX], 0xffffffff80000000ull, "rax");
	CHECK(strcmp(out.writer_gpr[RAX], "mov") == 0, "writer of rax is mov (got '%s')", out.writer_gpr[RAX]);
	CHECK_EQ_U64(out.steps, 2, "steps");

	start();
	go("movabs rax, imm64", B(0x48, 0xb8, 0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11, 0xf4));
	CHECK_EQ_U64(out.state.gpr[RAX], 0x1122334455667788ull, "rax");

	start();
	tc.gpr[RAX] = 0xffffffff00000001ull;
	tc.gpr[RBX] = 0x1111111111111111ull;
	go("mov eax, eax / mov ebx, 5 zero-extend", B(0x89, 0xc0, 0xbb, 0x05, 0, 0, 0, 0xf4));
	CHECK_EQ_U64(out.state.gpr[RAX], 1, "rax upper half cleared");
	CHECK_EQ_U64(out.state.gpr[RBX], 5, "rbx upper half cleared");

	start();
	tc.gpr[RAX] = 0xaaaaaaaaaaaa1111ull;
	tc.gpr[RCX] = 0x3344;
	go("mov ah, 0x12 / mov cl, ah / mov dx, cx", B(0xb4, 0x12, 0x88, 0xe1, 0x66, 0x89, 0xca, 0xf4));
	CHECK_EQ_U64(out.state.gpr[RAX], 0xaaaaaaaaaaaa1211ull, "rax (AH merged)");
	CHECK_EQ_U64(out.state.gpr[RCX], 0x3312, "rcx (CL merged)");
	CHECK_EQ_U64(out.state.gpr[RDX], 0x3312, "rdx (DX merged)");

	start();
	tc.gpr[RSI] = 0x0102;
	go("mov sil, 0x7f (REX byte reg)", B(0x40, 0xb6, 0x7f, 0xf4));
	CHECK_EQ_U64(out.state.gpr[RSI], 0x017f, "rsi");

	start();
	tc.data[0] = 0x5a;
	tc.data[8] = 0xef; tc.data[9] = 0xbe;
	tc.data_len = 16;
	go("movabs al, [0x12000]; mov [rip+x], rax; mov r9w, [0x12008]",
	   B(0xa0, 0x00, 0x20, 0x01, 0, 0, 0, 0, 0,           /* movabs al, [0x12000] */
	     0x48, 0x89, 0x05, 0xf0, 0x1f, 0x00, 0x00,         /* mov [rip+0x1ff0], rax -> 0x12000 */
	     0x66, 0x44, 0x8b, 0x0c, 0x25, 0x08, 0x20, 0x01, 0x00, /* mov r9w, [0x12008] */
	     0xf4));
	CHECK_EQ_U64(out.state.gpr[RAX], 0x5a, "rax = data byte");
	CHECK_EQ_U64(mem64(0x12000), 0x5a, "stored at 0x12000");
	CHECK_EQ_U64(out.state.gpr[R9], 0xbeef, "r9");
	CHECK(strcmp(out.writer_mem, "mov") == 0, "writer_mem is mov (got '%s')", out.writer_mem);

	start();
	tc.gpr[RCX] = 0x80;
	tc.gpr[RDX] = 0x8000;
	go("movzx/movsx/movsxd", B(0x48, 0x0f, 0xb6, 0xc1,   /* movzx rax, cl */
				   0x48, 0x0f, 0xbe, 0xd9,   /* movsx rbx, cl */
				   0x48, 0x63, 0xf2,         /* movsxd rsi, edx */
				   0x0f, 0xbf, 0xfa,         /* movsx edi, dx */
				   0xf4));
	CHECK_EQ_U64(out.state.gpr[RAX], 0x80, "movzx rax, cl");
	CHECK_EQ_U64(out.state.gpr[RBX], 0xffffffffffffff80ull, "movsx rbx, cl");
	CHECK_EQ_U64(out.state.gpr[RSI], 0x8000, "movsxd rsi, edx (positive)");
	CHECK_EQ_U64(out.state.gpr[RDI], 0xffff8000ull, "movsx edi, dx zero-extends above 32");

	start();
	tc.gpr[RCX] = 0xffffffff80000000ull;
	tc.gpr[RAX] = 0x1234;
	go("movsxd without REX.W is a 32-bit move", B(0x63, 0xc1, 0xf4));
	CHECK_EQ_U64(out.state.gpr[RAX], 0x80000000ull, "rax");

	start();
	tc.gpr[RAX] = 0xffffffff00000010ull;
	tc.gpr[RCX] = 0x8;
	go("lea eax, [rax+rcx*2] / lea rbx, [rip+0x10]", B(0x8d, 0x04, 0x48, 0x48, 0x8d, 0x1d, 0x10, 0, 0, 0, 0xf4));
	CHECK_EQ_U64(out.state.gpr[RAX], 0x20, "lea eax truncates");
	CHECK_EQ_U64(out.state.gpr[RBX], 0x1000a + 0x10, "lea rip-relative");

	start();
	tc.gpr[RAX] = 0x11;
	tc.gpr[RBX] = 0x12000;
	tc.data[0] = 0x22;
	tc.data_len = 1;
	go("xchg [rbx], al / xchg ecx, edx", B(0x86, 0x03, 0x87, 0xca, 0xf4));
	CHECK_EQ_U64(out.state.gpr[RAX], 0x22, "al from memory");
	CHECK_EQ_U64(out.mem[0x12000 - LAYOUT_CMP_BASE], 0x11, "memory from al");

	start();
	tc.gpr[RAX] = 0x99;
	tc.gpr[RBX] = LAYOUT_GDT;
	go("xchg with the RO GDT faults, register unchanged", B(0x48, 0x87, 0x03, 0xf4));
	oc_want_exc(&out, 14, 1, PFEC_P | PFEC_W, LAYOUT_CODE);
	CHECK_EQ_U64(out.state.gpr[RAX], 0x99, "rax unchanged");
	CHECK_EQ_U64(out.state.cr2, LAYOUT_GDT, "cr2");
	CHECK(out.state.rflags & RFLAGS_RF, "RF set in the reported RFLAGS of a fault");
}

static void test_mmio(void)
{
	start();
	tc.gpr[RBX] = LAYOUT_MMIO;
	tc.gpr[RAX] = 0x1234567800000000ull;
	go("mov eax, [rbx] on MMIO; mov [rbx+8], ax; xchg [rbx], cl",
	   B(0x8b, 0x03, 0x66, 0x89, 0x43, 0x08, 0x86, 0x0b, 0xf4));
	CHECK_EQ_U64(out.n_events, 5, "events: read, write, read, write, hlt");
	CHECK_EQ_U64(out.events[0].kind, EXIT_MMIO, "ev0 mmio");
	CHECK_EQ_U64(out.events[0].dir, DIR_IN, "ev0 read");
	CHECK_EQ_U64(out.events[0].size, 4, "ev0 size");
	CHECK_EQ_U64(out.events[0].addr, LAYOUT_MMIO, "ev0 gpa");
	CHECK_EQ_U64(out.state.gpr[RAX], 0xffffffffull, "eax = answer, zero-extended");
	CHECK_EQ_U64(out.events[1].dir, DIR_OUT, "ev1 write");
	CHECK_EQ_U64(out.events[1].size, 2, "ev1 size");
	CHECK_EQ_U64(out.events[1].addr, LAYOUT_MMIO + 8, "ev1 gpa");
	CHECK_EQ_U64(out.events[1].data, 0xffff, "ev1 data");
	CHECK_EQ_U64(out.events[2].dir, DIR_IN, "xchg reads first");
	CHECK_EQ_U64(out.events[3].dir, DIR_OUT, "then writes");
	CHECK_EQ_U64(out.events[3].data, 0, "writes cl");
	CHECK_EQ_U64(out.state.gpr[RCX], 0xff, "cl from MMIO");
}

static void test_stack(void)
{
	start();
	tc.gpr[RAX] = 0x1122334455667788ull;
	go("push rax / pop rbx / push -1 / push ax", B(0x50, 0x5b, 0x6a, 0xff, 0x66, 0x50, 0xf4));
	CHECK_EQ_U64(out.state.gpr[RBX], 0x1122334455667788ull, "rbx popped");
	CHECK_EQ_U64(out.state.gpr[RSP], LAYOUT_STACK_TOP - 10, "rsp after push imm + push ax");
	CHECK_EQ_U64(mem64(LAYOUT_STACK_TOP - 8), ~0ull, "push -1 is 8 bytes of ones");
	CHECK_EQ_U64(out.mem[LAYOUT_STACK_TOP - 10 - LAYOUT_CMP_BASE], 0x88, "push ax low byte");
	CHECK_EQ_U64(out.mem[LAYOUT_STACK_TOP - 9 - LAYOUT_CMP_BASE], 0x77, "push ax high byte");

	start();
	go("push rsp pushes the old value; pop rsp", B(0x54, 0x5c, 0xf4));
	CHECK_EQ_U64(out.state.gpr[RSP], LAYOUT_STACK_TOP, "rsp = value pushed");

	start();
	go("pop at the initial RSP faults", B(0x58, 0xf4));
	oc_want_exc(&out, 14, 1, 0, LAYOUT_CODE);
	CHECK_EQ_U64(out.state.gpr[RSP], LAYOUT_STACK_TOP, "rsp unchanged");
	CHECK_EQ_U64(oc_term(&out)->cr2, LAYOUT_STACK_TOP, "cr2");

	start();
	tc.gpr[RSP] = 0x8000000000000000ull;
	go("push with non-canonical RSP: #SS(0)", B(0x50));
	oc_want_exc(&out, 12, 1, 0, LAYOUT_CODE);

	start();
	tc.gpr[RSP] = 0x8000000000000000ull;
	go("mov rax, [rsp]: #SS(0); with a DS override too", B(0x48, 0x8b, 0x04, 0x24));
	oc_want_exc(&out, 12, 1, 0, LAYOUT_CODE);
	/* DS is ignored in 64-bit mode (SDM Vol. 3A 3.2.4; the host CPU
	 * raises #SS for 3E 48 8B 45 00 with RBP = 2^63). */
	go("ds: mov rax, [rsp]", B(0x3e, 0x48, 0x8b, 0x04, 0x24));
	oc_want_exc(&out, 12, 1, 0, LAYOUT_CODE);

	start();
	go("call +1; hlt; ret", B(0xe8, 0x01, 0, 0, 0, 0xf4, 0xc3));
	oc_want_hlt(&out, 0x10006);
	CHECK_EQ_U64(out.state.gpr[RSP], LAYOUT_STACK_TOP, "rsp back at top");
	CHECK_EQ_U64(mem64(LAYOUT_STACK_TOP - 8), 0x10005, "return address on the stack");
	CHECK_EQ_U64(out.steps, 3, "steps");

	start();
	tc.gpr[RSP] = LAYOUT_STACK_TOP - 8;
	tc.data_len = 0;
	go("ret 8 to the code page via a pushed target", B(0x68, 0x0a, 0x00, 0x01, 0x00, /* push 0x1000a */
		0xc2, 0x08, 0x00, 0xf4, 0xf4, 0xf4));
	oc_want_hlt(&out, 0x1000b);
	CHECK_EQ_U64(out.state.gpr[RSP], LAYOUT_STACK_TOP, "rsp: -8 (push) +8 +8 (ret 8)");

	start();
	tc.gpr[RAX] = 0x8000000000000000ull;
	go("call rax (non-canonical): #GP(0) at the call, return address already stored", B(0xff, 0xd0));
	oc_want_exc(&out, 13, 1, 0, LAYOUT_CODE);
	CHECK_EQ_U64(out.state.gpr[RSP], LAYOUT_STACK_TOP, "rsp unchanged");
	/* The CPU pushes before it checks the target (measured natively). */
	CHECK_EQ_U64(mem64(LAYOUT_STACK_TOP - 8), 0x10002, "return address in memory");

	start();
	tc.gpr[RAX] = 0x8000000000000000ull;
	tc.gpr[RSP] = 0x11008; /* the push goes to the not-present 0x11000 page */
	go("call rax (non-canonical) with a faulting push: the push's #PF wins", B(0xff, 0xd0));
	oc_want_exc(&out, 14, 1, 2, LAYOUT_CODE); /* not present, write, CPL0 */
	CHECK_EQ_U64(oc_term(&out)->cr2, 0x11000, "cr2 = the push's address");
}

static void test_branch(void)
{
	start();
	tc.rflags = INITIAL_RFLAGS | RFLAGS_ZF;
	go("je taken", B(0x74, 0x01, 0xf4, 0xf4));
	oc_want_hlt(&out, 0x10004);
	start();
	go("je not taken", B(0x74, 0x01, 0xf4, 0xf4));
	oc_want_hlt(&out, 0x10003);
	start();
	tc.rflags = INITIAL_RFLAGS | RFLAGS_SF;
	go("jl taken (SF != OF), jg not", B(0x7f, 0x02, 0x7c, 0x01, 0xf4, 0xf4));
	oc_want_hlt(&out, 0x10006);

	start();
	tc.gpr[RCX] = 3;
	go("lea rax,[rax+1]; loop", B(0x48, 0x8d, 0x40, 0x01, 0xe2, 0xfa, 0xf4));
	oc_want_hlt(&out, 0x10007);
	CHECK_EQ_U64(out.state.gpr[RAX], 3, "three iterations");
	CHECK_EQ_U64(out.state.gpr[RCX], 0, "rcx");
	CHECK_EQ_U64(out.steps, 7, "steps");

	start();
	tc.gpr[RCX] = 0x100000001ull;
	go("67 loop uses ECX", B(0x67, 0xe2, 0xfd, 0xf4));
	oc_want_hlt(&out, 0x10004);
	CHECK_EQ_U64(out.state.gpr[RCX], 0, "rcx zero-extended");

	start();
	tc.gpr[RCX] = 0x100000000ull;
	go("jecxz taken, jrcxz not", B(0x48, 0xe3, 0x02, 0x67, 0xe3, 0x01, 0xf4, 0xf4));
	oc_want_hlt(&out, 0x10008);

	start();
	go("jmp to the unmapped page: fetch #PF", B(0xe9, 0xfb, 0x0f, 0, 0));
	oc_want_exc(&out, 14, 1, PFEC_ID, 0x11000);
	CHECK_EQ_U64(oc_term(&out)->cr2, 0x11000, "cr2");
	CHECK(strcmp(out.mnemonic, "jmp") == 0, "mnemonic is the last executed (got '%s')", out.mnemonic);

	start();
	go("jmp to 0x10fff: the HLT padding executes", B(0xe9, 0xfa, 0x0f, 0, 0));
	oc_want_hlt(&out, 0x11000);

	start();
	go("movabs prefix at 0x10ffe straddles into 0x11000: #PF",
	   B(0x66, 0xc7, 0x05, 0xf5, 0x0f, 0, 0, 0x48, 0xb8,  /* mov word [0x10ffe], 0xb848 */
	     0xe9, 0xf0, 0x0f, 0, 0));                     /* jmp 0x10ffe */
	oc_want_exc(&out, 14, 1, PFEC_ID, 0x10ffe);
	CHECK_EQ_U64(oc_term(&out)->cr2, 0x11000, "cr2 = first unfetchable byte");

	start();
	tc.gpr[RAX] = LAYOUT_DATA;
	go("jmp rax into NX data", B(0xff, 0xe0));
	oc_want_exc(&out, 14, 1, PFEC_P | PFEC_ID, LAYOUT_DATA);
}

static void test_io(void)
{
	start();
	tc.gpr[RAX] = 0x1234;
	tc.gpr[RDX] = 0x3f8;
	go("in al, 0x80 / in eax, dx / out dx, al / out 0x70, ax",
	   B(0xe4, 0x80, 0x48, 0x89, 0xc3, 0xed, 0xee, 0x66, 0xe7, 0x70, 0xf4));
	CHECK_EQ_U64(out.n_events, 5, "4 io + hlt");
	CHECK_EQ_U64(out.events[0].kind, EXIT_IO, "ev0 io");
	CHECK_EQ_U64(out.events[0].dir, DIR_IN, "ev0 in");
	CHECK_EQ_U64(out.events[0].addr, 0x80, "ev0 port");
	CHECK_EQ_U64(out.events[0].size, 1, "ev0 size");
	CHECK_EQ_U64(out.events[0].data, 0xff, "ev0 data");
	CHECK_EQ_U64(out.state.gpr[RBX], 0x12ff, "al merged after in al");
	CHECK_EQ_U64(out.events[1].addr, 0x3f8, "ev1 port dx");
	CHECK_EQ_U64(out.events[1].size, 4, "ev1 size");
	CHECK_EQ_U64(out.state.gpr[RAX], 0xffffffffull, "eax after in eax");
	CHECK_EQ_U64(out.events[2].dir, DIR_OUT, "ev2 out");
	CHECK_EQ_U64(out.events[2].data, 0xff, "ev2 data al");
	CHECK_EQ_U64(out.events[3].addr, 0x70, "ev3 port");
	CHECK_EQ_U64(out.events[3].size, 2, "ev3 size");
	CHECK_EQ_U64(out.events[3].data, 0xffff, "ev3 data");

	start();
	memcpy(tc.data, "abc", 3);
	tc.data_len = 3;
	tc.gpr[RSI] = LAYOUT_DATA;
	tc.gpr[RCX] = 3;
	tc.gpr[RDX] = 0x3f8;
	go("rep outsb x3", B(0xf3, 0x6e, 0xf4));
	CHECK_EQ_U64(out.n_events, 4, "3 io + hlt");
	for (int i = 0; i < 3; i++) {
		CHECK_EQ_U64(out.events[i].dir, DIR_OUT, "out");
		CHECK_EQ_U64(out.events[i].data, (uint64_t)"abc"[i], "element data");
	}
	CHECK_EQ_U64(out.state.gpr[RSI], LAYOUT_DATA + 3, "rsi advanced");
	CHECK_EQ_U64(out.state.gpr[RCX], 0, "rcx");

	start();
	memcpy(tc.data, "abc", 3);
	tc.data_len = 3;
	tc.gpr[RSI] = LAYOUT_DATA + 2;
	tc.gpr[RCX] = 3;
	tc.rflags = INITIAL_RFLAGS | RFLAGS_DF;
	go("rep outsb backwards (DF=1)", B(0xf3, 0x6e, 0xf4));
	CHECK_EQ_U64(out.events[0].data, 'c', "first c");
	CHECK_EQ_U64(out.events[2].data, 'a', "last a");
	CHECK_EQ_U64(out.state.gpr[RSI], LAYOUT_DATA - 1, "rsi");

	start();
	tc.gpr[RDI] = LAYOUT_DATA + 0x1fff;
	tc.gpr[RCX] = 3;
	tc.gpr[RDX] = 0x60;
	go("rep insb running off data page 1", B(0xf3, 0x6c, 0xf4));
	CHECK_EQ_U64(out.n_events, 3, "in, in, #PF");
	CHECK_EQ_U64(out.events[1].kind, EXIT_IO, "second in happened before the fault");
	oc_want_exc(&out, 14, 1, PFEC_W, LAYOUT_CODE);
	CHECK_EQ_U64(oc_term(&out)->cr2, LAYOUT_DATA + 0x2000, "cr2");
	CHECK_EQ_U64(out.state.gpr[RCX], 2, "rcx counts the completed element");
	CHECK_EQ_U64(out.state.gpr[RDI], LAYOUT_DATA + 0x2000, "rdi");
	CHECK_EQ_U64(out.mem[LAYOUT_DATA + 0x1fff - LAYOUT_CMP_BASE], 0xff, "first element stored");

	start();
	tc.gpr[RCX] = 1000;
	tc.gpr[RDI] = LAYOUT_DATA;
	go("rep insb beyond the trace budget ends in TIMEOUT(events)", B(0xf3, 0x6c, 0xf4));
	CHECK_EQ_U64(out.n_events, TRACE_MAX, "full trace");
	CHECK_EQ_U64(oc_term(&out)->kind, EXIT_TIMEOUT, "timeout");
	CHECK_EQ_U64(oc_term(&out)->addr, 1, "event budget");
}

static void test_stops(void)
{
	start();
	go("int3", B(0x90, 0xcc, 0xf4));
	oc_want_exc(&out, 3, 0, 0, 0x10002);
	CHECK(!(out.state.rflags & RFLAGS_RF), "trap: RF not set");
	start();
	go("ud2", B(0x90, 0x0f, 0x0b));
	oc_want_exc(&out, 6, 0, 0, 0x10001);
	CHECK(strcmp(out.mnemonic, "ud2") == 0, "mnemonic ud2");
	start();
	go("hlt", B(0xf4));
	oc_want_hlt(&out, 0x10001);
	start();
	go("nop forms fall into the padding", B(0x90, 0x0f, 0x1f, 0x00, 0x66, 0x0f, 0x1f, 0x44, 0x00, 0x00));
	oc_want_hlt(&out, 0x1000b);
	start();
	go("undecodable bytes: #UD", B(0xff, 0xff));
	oc_want_exc(&out, 6, 0, 0, LAYOUT_CODE);
	start();
	tc.gpr[RAX] = LAYOUT_DATA;
	go("lock mov: #UD", B(0xf0, 0x89, 0x00));
	oc_want_exc(&out, 6, 0, 0, LAYOUT_CODE);
	start();
	go("rdpmc is unsupported", B(0x90, 0x0f, 0x33));
	CHECK_EQ_U64(oc_term(&out)->kind, EXIT_UNSUPPORTED, "unsupported");
	CHECK_EQ_U64(oc_term(&out)->rip, 0x10001, "at its address");
	CHECK(strcmp(out.mnemonic, "rdpmc") == 0, "mnemonic rdpmc (got '%s')", out.mnemonic);
	start();
	tc.gpr[RAX] = ~0ull;
	go("mov eax, ds zero-extends the selector (segment registers are modeled)",
	   B(0x8c, 0xd8));
	CHECK_EQ_U64(oc_term(&out)->kind, EXIT_HLT, "halts");
	CHECK_EQ_U64(out.state.gpr[RAX], SEL_DATA, "rax = DS selector");
	start();
	go("jmp $ times out", B(0xeb, 0xfe));
	CHECK_EQ_U64(oc_term(&out)->kind, EXIT_TIMEOUT, "timeout");
	CHECK_EQ_U64(oc_term(&out)->addr, 0, "step budget");
	CHECK_EQ_U64(out.steps, REF_STEP_BUDGET, "steps");
}

static void test_cpuid(void)
{
	start();
	go("cpuid without a table", B(0x0f, 0xa2, 0xf4));
	CHECK_EQ_U64(oc_term(&out)->kind, EXIT_UNSUPPORTED, "unsupported");
	CHECK(strcmp(out.mnemonic, "cpuid") == 0, "mnemonic cpuid");

	static struct cpuid_table t;
	t.n = 0;
	for (uint32_t s = 0; s < 4; s++)
		t.e[t.n++] = (struct cpuid_entry){ 1, s, 0x806f8, 0x800, 0xfffa3203, 0x178bfbff };
	t.e[t.n++] = (struct cpuid_entry){ 7, 0, 1, 2, 3, 4 };
	t.e[t.n++] = (struct cpuid_entry){ 7, 1, 5, 6, 7, 8 };
	t.e[t.n++] = (struct cpuid_entry){ 7, 2, 0, 0, 0, 0 };
	t.e[t.n++] = (struct cpuid_entry){ 7, 3, 0, 0, 0, 0 };
	ex.cpuid = &t;
	start();
	tc.gpr[RAX] = 0xffffffff00000001ull;
	tc.gpr[RCX] = 9;
	tc.gpr[RDX] = ~0ull;
	go("cpuid leaf 1 (ignores ECX)", B(0x0f, 0xa2, 0xf4));
	oc_want_hlt(&out, 0x10003);
	CHECK_EQ_U64(out.state.gpr[RAX], 0x806f8, "eax");
	/* OSXSAVE (bit 27) mirrors the case's CR4.OSXSAVE, clear here. */
	CHECK_EQ_U64(out.state.gpr[RCX], 0xf7fa3203u, "ecx (bit 27 from CR4)");
	CHECK_EQ_U64(out.state.gpr[RDX], 0x178bfbff, "edx zero-extended");
	start();
	tc.gpr[RAX] = 7;
	tc.gpr[RCX] = 1;
	go("cpuid leaf 7.1", B(0x0f, 0xa2, 0xf4));
	CHECK_EQ_U64(out.state.gpr[RBX], 6, "ebx");
	start();
	tc.gpr[RAX] = 7;
	tc.gpr[RCX] = 5;
	go("cpuid leaf 7.5 (not calibrated)", B(0x0f, 0xa2, 0xf4));
	CHECK_EQ_U64(oc_term(&out)->kind, EXIT_UNSUPPORTED, "unsupported");

	/* Leaves above their range's highest, or in no range, get the
	 * highest basic leaf's answer (SDM Vol. 2A CPUID). Basic leaves go
	 * to 0x10, extended to 0x80000001, hypervisor to 0x40000001. */
	static struct cpuid_table r;
	r.n = 0;
	r.e[r.n++] = (struct cpuid_entry){ 0, 0, 0x10, 1, 2, 3 };
	for (uint32_t s = 0; s < 4; s++)
		r.e[r.n++] = (struct cpuid_entry){ 0x10, s, 0xa0 + s, 0xb0, 0xc0, 0xd0 };
	r.e[r.n++] = (struct cpuid_entry){ 0x80000000u, 0, 0x80000001u, 0, 0, 0 };
	r.e[r.n++] = (struct cpuid_entry){ 0x40000000u, 0, 0x40000001u, 0x4b4d564b, 0, 0 };
	ex.cpuid = &r;
	static const uint32_t above[] = { 0x11, 0x80000002u, 0x12345678u, 0x40000005u, 0xffffffffu };
	for (unsigned i = 0; i < sizeof(above) / sizeof(above[0]); i++) {
		start();
		tc.gpr[RAX] = above[i];
		tc.gpr[RCX] = 1;
		go("cpuid above its range", B(0x0f, 0xa2, 0xf4));
		CHECK(oc_term(&out)->kind == EXIT_HLT && out.state.gpr[RAX] == 0xa1 &&
		      out.state.gpr[RDX] == 0xd0,
		      "leaf 0x%x.1 answers as leaf 0x10.1 (eax 0x%llx)", above[i],
		      (unsigned long long)out.state.gpr[RAX]);
	}
	start();
	tc.gpr[RAX] = 0x5;
	go("cpuid leaf 5, in range but not calibrated", B(0x0f, 0xa2, 0xf4));
	CHECK_EQ_U64(oc_term(&out)->kind, EXIT_UNSUPPORTED, "unsupported");
	r.n--; /* no hypervisor range calibrated: its leaves are unknown */
	start();
	tc.gpr[RAX] = 0x40000005u;
	go("cpuid 0x40000005 without a calibrated hypervisor range", B(0x0f, 0xa2, 0xf4));
	CHECK_EQ_U64(oc_term(&out)->kind, EXIT_UNSUPPORTED, "unsupported");
	ex.cpuid = NULL;
}

int main(void)
{
	ex.ops = &ref_executor_ops;
	/* The rows follow Intel (SDM, a Xeon); the AMD side of each vendor
	 * difference is in test_ref_vendor.c. */
	ex.vendor = VENDOR_INTEL;
	char err[256];
	if (ex.ops->init(&ex, err, sizeof(err)) != 0) {
		printf("FAILED: init: %s\n", err);
		return 1;
	}
	test_mov();
	test_mmio();
	test_stack();
	test_branch();
	test_io();
	test_stops();
	test_cpuid();
	/* Every case also leaves the architectural constants alone. */
	CHECK_EQ_U64(out.state.cr0, LM_CR0, "cr0");
	CHECK_EQ_U64(out.state.efer, LM_EFER, "efer");
	CHECK_EQ_U64(out.state.cs, SEL_CODE64, "cs");
	CHECK_EQ_U64(out.state.ss, SEL_DATA, "ss");
	ex.ops->fini(&ex);
	return check_done("test_ref_ctl");
}
