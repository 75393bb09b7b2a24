/* The Unicorn oracle on hand-made cases: HLT, OUT, IN, MMIO read and
 * write, #UD at UD2, #PF on an unmapped read (error code, CR2), and ALU
 * cases that must agree with the reference executor outcome for outcome.
 * Expected values come from the SDM and layout.h, not from a run. */
#include <string.h>
#include "check.h"
#include "diff.h"
#include "executor.h"
#include "layout.h"
#ifdef EXITDIFF_HAVE_UNICORN
#include "uc_oracle.h"

static struct executor uc_ex, ref_ex;
static struct outcome out, rout;

static void mk(struct test_case *c, const char *id, const uint8_t *code, uint32_t len)
{
	case_init(c);
	snprintf(c->id, sizeof(c->id), "%s", id);
	memcpy(c->code, code, len);
	c->code_len = len;
}

static const struct exit_event *run(const struct test_case *c)
{
	int rc = uc_ex.ops->run(&uc_ex, c, &out);
	CHECK(rc == 0, "%s: unicorn produced an outcome (%s)", c->id, uc_ex.err);
	CHECK(out.n_events > 0, "%s: trace has %u events", c->id, out.n_events);
	return out.n_events ? &out.events[out.n_events - 1] : NULL;
}

static void test_hlt(void)
{
	static const uint8_t code[] = { 0x48, 0xc7, 0xc0, 0x2a, 0, 0, 0, 0xf4 }; /* mov rax,42; hlt */
	struct test_case c;
	mk(&c, "hlt", code, sizeof(code));
	const struct exit_event *t = run(&c);
	CHECK_EQ_U64(out.n_events, 1, "hlt: events");
	CHECK_EQ_U64(t->kind, EXIT_HLT, "hlt: terminal kind");
	CHECK_EQ_U64(t->rip, LAYOUT_CODE + 8, "hlt: rip after hlt");
	CHECK_EQ_U64(out.state.rip, LAYOUT_CODE + 8, "hlt: end rip");
	CHECK_EQ_U64(out.state.gpr[RAX], 42, "hlt: rax");
	CHECK_EQ_U64(out.state.cr0, LM_CR0, "hlt: cr0");
	CHECK_EQ_U64(out.state.cr3, LM_CR3, "hlt: cr3");
	CHECK_EQ_U64(out.state.cr4, LM_CR4, "hlt: cr4");
	CHECK_EQ_U64(out.state.efer, LM_EFER, "hlt: efer");
	CHECK_EQ_U64(out.state.cs, SEL_CODE64, "hlt: cs");
	CHECK_EQ_U64(out.state.ss, SEL_DATA, "hlt: ss");
	CHECK_EQ_U64(out.state.gpr[RSP], LAYOUT_STACK_TOP, "hlt: rsp");
	CHECK_EQ_U64(out.mem[0], 0x48, "hlt: code byte 0 in the compare window");
}

/* Unicorn 2.0.1 aborts the process on `lock bt esp, ecx` (a LOCK on a
 * register destination: #UD on the CPU): the run fails, says so, and the
 * caller goes on to the next case. MOV DR5, DR7 while CR4.DE is clear,
 * arming breakpoints, is not judged (it crashed it too). */
static void test_crash_contained(void)
{
	static const uint8_t lock_bt[] = { 0xf0, 0x0f, 0xa3, 0xcc, 0xf4 };
	static const uint8_t mov_dr5[] = { 0x0f, 0x23, 0xe8, 0xf4 };
	struct test_case c;
	mk(&c, "lock-bt-reg", lock_bt, sizeof(lock_bt));
	int rc = uc_ex.ops->run(&uc_ex, &c, &out);
	CHECK(rc < 0 && strstr(uc_ex.err, "lock-bt-reg: unicorn crashed (signal "),
	      "a case that aborts Unicorn fails alone (rc %d: %s)", rc, uc_ex.err);
	test_hlt();
	mk(&c, "mov-dr5", mov_dr5, sizeof(mov_dr5));
	c.gpr[RAX] = 0xff00ff;
	const struct exit_event *t = run(&c);
	CHECK(t && t->kind == EXIT_UNSUPPORTED && !strcmp(out.mnemonic, "uc:breakpoints"),
	      "MOV DR5 (DR7 while CR4.DE is clear) is not judged: '%s'", out.mnemonic);
}

static void test_io(void)
{
	/* mov al,0x5a; out 0x80,al; mov dx,0x3f8; in ax,dx; hlt */
	static const uint8_t code[] = { 0xb0, 0x5a, 0xe6, 0x80, 0x66, 0xba, 0xf8, 0x03,
					0x66, 0xed, 0xf4 };
	struct test_case c;
	mk(&c, "io", code, sizeof(code));
	c.gpr[RAX] = 0x1111111111110000ull;
	const struct exit_event *t = run(&c);
	CHECK_EQ_U64(out.n_events, 3, "io: events");
	CHECK_EQ_U64(out.events[0].kind, EXIT_IO, "io: event 0 kind");
	CHECK_EQ_U64(out.events[0].dir, DIR_OUT, "io: event 0 dir");
	CHECK_EQ_U64(out.events[0].addr, 0x80, "io: event 0 port");
	CHECK_EQ_U64(out.events[0].size, 1, "io: event 0 size");
	CHECK_EQ_U64(out.events[0].data, 0x5a, "io: event 0 data");
	CHECK_EQ_U64(out.events[1].kind, EXIT_IO, "io: event 1 kind");
	CHECK_EQ_U64(out.events[1].dir, DIR_IN, "io: event 1 dir");
	CHECK_EQ_U64(out.events[1].addr, 0x3f8, "io: event 1 port");
	CHECK_EQ_U64(out.events[1].size, 2, "io: event 1 size");
	CHECK_EQ_U64(out.events[1].data, 0xffff, "io: event 1 data (open bus)");
	CHECK_EQ_U64(t->kind, EXIT_HLT, "io: terminal kind");
	/* IN AX keeps RAX bits 63:16 (SDM Vol. 1 3.4.1.1). */
	CHECK_EQ_U64(out.state.gpr[RAX], 0x111111111111ffffull, "io: rax after in ax");
}

static void test_mmio(void)
{
	/* mov ebx,0xc0000010; mov ecx,[rbx]; mov dword [rbx+8],0x12345678; hlt */
	static const uint8_t code[] = { 0xbb, 0x10, 0, 0, 0xc0, 0x8b, 0x0b,
					0xc7, 0x43, 0x08, 0x78, 0x56, 0x34, 0x12, 0xf4 };
	struct test_case c;
	mk(&c, "mmio", code, sizeof(code));
	const struct exit_event *t = run(&c);
	CHECK_EQ_U64(out.n_events, 3, "mmio: events");
	CHECK_EQ_U64(out.events[0].kind, EXIT_MMIO, "mmio: read kind");
	CHECK_EQ_U64(out.events[0].dir, DIR_IN, "mmio: read dir");
	CHECK_EQ_U64(out.events[0].addr, LAYOUT_MMIO + 0x10, "mmio: read gpa");
	CHECK_EQ_U64(out.events[0].size, 4, "mmio: read size");
	CHECK_EQ_U64(out.events[0].data, 0xffffffff, "mmio: read data");
	CHECK_EQ_U64(out.events[1].kind, EXIT_MMIO, "mmio: write kind");
	CHECK_EQ_U64(out.events[1].dir, DIR_OUT, "mmio: write dir");
	CHECK_EQ_U64(out.events[1].addr, LAYOUT_MMIO + 0x18, "mmio: write gpa");
	CHECK_EQ_U64(out.events[1].size, 4, "mmio: write size");
	CHECK_EQ_U64(out.events[1].data, 0x12345678, "mmio: write data");
	CHECK_EQ_U64(t->kind, EXIT_HLT, "mmio: terminal kind");
	CHECK_EQ_U64(out.state.gpr[RCX], 0xffffffff, "mmio: ecx from the read");

	/* An 8-byte store and an 8-byte load are one event each, as KVM
	 * reports them: mov [rbx+8],rcx; mov rdx,[rbx]; hlt */
	static const uint8_t q[] = { 0x48, 0x89, 0x4b, 0x08, 0x48, 0x8b, 0x13, 0xf4 };
	mk(&c, "mmio_qword", q, sizeof(q));
	c.gpr[RBX] = LAYOUT_MMIO;
	c.gpr[RCX] = 0x0123456789abcdefull;
	t = run(&c);
	CHECK_EQ_U64(out.n_events, 3, "mmio_qword: events");
	CHECK_EQ_U64(out.events[0].size, 8, "mmio_qword: write size");
	CHECK_EQ_U64(out.events[0].addr, LAYOUT_MMIO + 8, "mmio_qword: write gpa");
	CHECK_EQ_U64(out.events[0].data, 0x0123456789abcdefull, "mmio_qword: write data");
	CHECK_EQ_U64(out.events[1].size, 8, "mmio_qword: read size");
	CHECK_EQ_U64(out.events[1].data, ~0ull, "mmio_qword: read data");
	CHECK_EQ_U64(out.state.gpr[RDX], ~0ull, "mmio_qword: rdx from the read");
	CHECK_EQ_U64(t->kind, EXIT_HLT, "mmio_qword: terminal kind");
}

static void test_ud(void)
{
	static const uint8_t code[] = { 0x90, 0x0f, 0x0b }; /* nop; ud2 */
	struct test_case c;
	mk(&c, "ud2", code, sizeof(code));
	const struct exit_event *t = run(&c);
	CHECK_EQ_U64(t->kind, EXIT_EXCEPTION, "ud2: terminal kind");
	CHECK_EQ_U64(t->addr, 6, "ud2: vector");
	CHECK_EQ_U64(t->has_error_code, 0, "ud2: no error code");
	CHECK_EQ_U64(t->rip, LAYOUT_CODE + 1, "ud2: faulting rip");
	CHECK_EQ_U64(out.state.rip, LAYOUT_CODE + 1, "ud2: end rip");
	/* RF in the pushed image of a fault (SDM Vol. 3A 17.3.1.1). */
	CHECK_EQ_U64(out.state.rflags, 0x10002, "ud2: rflags with RF");
}

static void test_pf(void)
{
	/* mov rax,[0x14008] (unmapped page past the data); then a write to
	 * the read-only GDT page: a present-page write fault. */
	static const uint8_t rd[] = { 0x48, 0x8b, 0x04, 0x25, 0x08, 0x40, 0x01, 0x00 };
	static const uint8_t wr[] = { 0x48, 0x89, 0x04, 0x25, 0x10, 0x10, 0x00, 0x00 };
	static const uint8_t jmp[] = { 0xe9, 0xfb, 0x0f, 0x00, 0x00 }; /* jmp 0x11000 */
	struct test_case c;
	mk(&c, "pf_read", rd, sizeof(rd));
	const struct exit_event *t = run(&c);
	CHECK_EQ_U64(t->kind, EXIT_EXCEPTION, "pf_read: terminal kind");
	CHECK_EQ_U64(t->addr, 14, "pf_read: vector");
	CHECK_EQ_U64(t->has_error_code, 1, "pf_read: has error code");
	CHECK_EQ_U64(t->error_code, 0, "pf_read: error code (not present, read, CPL0)");
	CHECK_EQ_U64(t->cr2, 0x14008, "pf_read: cr2");
	CHECK_EQ_U64(t->rip, LAYOUT_CODE, "pf_read: faulting rip");
	CHECK_EQ_U64(out.state.cr2, 0x14008, "pf_read: end cr2");

	mk(&c, "pf_write", wr, sizeof(wr));
	t = run(&c);
	CHECK_EQ_U64(t->addr, 14, "pf_write: vector");
	CHECK_EQ_U64(t->error_code, 3, "pf_write: error code (present, write)");
	CHECK_EQ_U64(t->cr2, 0x1010, "pf_write: cr2");

	mk(&c, "pf_fetch", jmp, sizeof(jmp));
	t = run(&c);
	CHECK_EQ_U64(t->addr, 14, "pf_fetch: vector");
	CHECK_EQ_U64(t->error_code, 0x10, "pf_fetch: error code (not present, fetch)");
	CHECK_EQ_U64(t->cr2, 0x11000, "pf_fetch: cr2");
	CHECK_EQ_U64(t->rip, 0x11000, "pf_fetch: faulting rip is the target");
}

static void test_int3(void)
{
	static const uint8_t code[] = { 0x90, 0xcc }; /* nop; int3 */
	struct test_case c;
	mk(&c, "int3", code, sizeof(code));
	const struct exit_event *t = run(&c);
	CHECK_EQ_U64(t->addr, 3, "int3: vector");
	CHECK_EQ_U64(t->rip, LAYOUT_CODE + 2, "int3: trap rip is the next insn");
	CHECK_EQ_U64(out.state.rflags, 0x2, "int3: no RF for a trap");
}

static void test_more(void)
{
	/* int 0x80: a software interrupt is a trap with no error code. */
	static const uint8_t intn[] = { 0xcd, 0x80 };
	/* rep outsb from the data page, 3 elements; then hlt. */
	static const uint8_t outs[] = { 0xf3, 0x6e, 0xf4 };
	static const uint8_t loop[] = { 0xeb, 0xfe };             /* jmp $ */
	static const uint8_t sysc[] = { 0x0f, 0x05 };             /* syscall */
	static const uint8_t int0e[] = { 0xcd, 0x0e };            /* int 14 */
	struct test_case c;
	mk(&c, "int80", intn, sizeof(intn));
	const struct exit_event *t = run(&c);
	CHECK_EQ_U64(t->kind, EXIT_EXCEPTION, "int80: terminal kind");
	CHECK_EQ_U64(t->addr, 0x80, "int80: vector");
	CHECK_EQ_U64(t->rip, LAYOUT_CODE + 2, "int80: trap rip");
	CHECK_EQ_U64(t->has_error_code, 0, "int80: no error code");

	mk(&c, "int0e", int0e, sizeof(int0e));
	c.gpr[RBX] = 0x77;
	t = run(&c);
	CHECK_EQ_U64(t->addr, 14, "int0e: vector");
	CHECK_EQ_U64(t->has_error_code, 0, "int0e: INT 14 pushes no error code (SDM 3A 6.12.1)");
	CHECK_EQ_U64(t->cr2, 0, "int0e: no cr2");
	CHECK_EQ_U64(out.state.gpr[RBX], 0x77, "int0e: rbx kept");

	mk(&c, "outsb", outs, sizeof(outs));
	c.data[0] = 0xa1; c.data[1] = 0xb2; c.data[2] = 0xc3;
	c.data_len = 3;
	c.gpr[RSI] = LAYOUT_DATA;
	c.gpr[RCX] = 3;
	c.gpr[RDX] = 0x2f8;
	t = run(&c);
	CHECK_EQ_U64(out.n_events, 4, "outsb: one event per element, then hlt");
	for (unsigned i = 0; i < 3 && i < out.n_events; i++) {
		CHECK_EQ_U64(out.events[i].kind, EXIT_IO, "outsb: element kind");
		CHECK_EQ_U64(out.events[i].addr, 0x2f8, "outsb: element port");
		CHECK_EQ_U64(out.events[i].data, c.data[i], "outsb: element data");
	}
	CHECK_EQ_U64(out.state.gpr[RCX], 0, "outsb: rcx counted down");
	CHECK_EQ_U64(out.state.gpr[RSI], LAYOUT_DATA + 3, "outsb: rsi advanced");
	CHECK_EQ_U64(out.state.fs, SEL_DATA, "outsb: fs selector");
	CHECK_EQ_U64(out.state.gs, SEL_DATA, "outsb: gs selector");

	mk(&c, "loop", loop, sizeof(loop));
	t = run(&c);
	CHECK_EQ_U64(t->kind, EXIT_TIMEOUT, "loop: jmp $ ends in TIMEOUT");
	CHECK_EQ_U64(t->addr, 0, "loop: step budget");
	CHECK(out.steps >= REF_STEP_BUDGET, "loop: ran the step budget (%u)", out.steps);

	mk(&c, "syscall", sysc, sizeof(sysc));
	t = run(&c);
	CHECK_EQ_U64(t->kind, EXIT_UNSUPPORTED, "syscall: unicorn cannot run it");
	CHECK(!strcmp(out.mnemonic, "syscall"), "syscall: mnemonic '%s'", out.mnemonic);

	/* REP STOSB over its own bytes: QEMU would decode them again after
	 * the first element, the CPU does not (emulator-ref/ref_string.c):
	 * refused. The same REP storing past itself runs. */
	static const uint8_t rep_self[] = { 0xf3, 0xaa, 0xf4, 0xf4 }; /* rep stosb; hlt */
	mk(&c, "rep_self", rep_self, sizeof(rep_self));
	c.gpr[RAX] = 0x90;
	c.gpr[RCX] = 4;
	c.gpr[RDI] = LAYOUT_CODE;
	t = run(&c);
	CHECK_EQ_U64(t->kind, EXIT_UNSUPPORTED, "rep_self: unicorn cannot judge a REP storing into itself");
	CHECK(!strcmp(out.mnemonic, "smc-rep"), "rep_self: mnemonic '%s'", out.mnemonic);
	mk(&c, "rep_past", rep_self, sizeof(rep_self));
	c.gpr[RAX] = 0x90;
	c.gpr[RCX] = 4;
	c.gpr[RDI] = LAYOUT_CODE + 4;
	t = run(&c);
	CHECK_EQ_U64(t->kind, EXIT_HLT, "rep_past: a REP storing right after itself runs to the HLT");
	CHECK_EQ_U64(t->rip, LAYOUT_CODE + 3, "rep_past: the HLT at 0x10002 ran (RIP after it)");

	/* F3 E0 (REP LOOPNE): the vendor decides what the prefix does. */
	static const uint8_t rep_loopne[] = { 0xf3, 0xe0, 0xfe, 0xf4 };
	mk(&c, "rep_loopne", rep_loopne, sizeof(rep_loopne));
	c.gpr[RCX] = 2;
	t = run(&c);
	CHECK_EQ_U64(t->kind, EXIT_UNSUPPORTED, "rep_loopne: unicorn cannot judge a REP-prefixed LOOPcc");
	CHECK(!strcmp(out.mnemonic, "rep-loopcc"), "rep_loopne: mnemonic '%s'", out.mnemonic);

	/* WRMSR of a reserved IA32_PAT type: the CPU's #GP(0), QEMU stores it. */
	static const uint8_t wrmsr_pat[] = { 0x0f, 0x30, 0xf4 };
	mk(&c, "wrmsr_pat", wrmsr_pat, sizeof(wrmsr_pat));
	c.gpr[RCX] = 0x277;
	c.gpr[RAX] = 0x10;
	t = run(&c);
	CHECK_EQ_U64(t->kind, EXIT_UNSUPPORTED, "wrmsr_pat: unicorn cannot judge WRMSR");
	CHECK(!strcmp(out.mnemonic, "wrmsr"), "wrmsr_pat: mnemonic '%s'", out.mnemonic);

	/* The next case runs on a fresh state: the selector and RIP come
	 * back whatever the previous case did. */
	static const uint8_t movss[] = { 0x31, 0xc0, 0x8e, 0xd8, 0xf4 }; /* xor eax,eax; mov ds,ax */
	mk(&c, "mov_ds", movss, sizeof(movss));
	run(&c);
	CHECK_EQ_U64(out.state.ds, 0, "mov_ds: ds loaded with null");
	static const uint8_t hlt[] = { 0xf4 };
	mk(&c, "after", hlt, sizeof(hlt));
	run(&c);
	CHECK_EQ_U64(out.state.ds, SEL_DATA, "after: ds restored for the next case");
}

/* Cases both Unicorn and the reference must run alike. */
static void test_agree_with_ref(void)
{
	static const struct { const char *id; uint8_t code[16]; uint32_t len; } cases[] = {
		/* add rax,rbx; hlt */
		{ "add", { 0x48, 0x01, 0xd8, 0xf4 }, 4 },
		/* sub ecx,edx; adc rax,rcx; hlt */
		{ "sub_adc", { 0x29, 0xd1, 0x48, 0x11, 0xc8, 0xf4 }, 6 },
		/* xor eax,eax; push rbx; pop rdx; mov [0x12000],rdx; hlt */
		{ "push_store", { 0x31, 0xc0, 0x53, 0x5a, 0x48, 0x89, 0x14, 0x25, 0x00, 0x20,
				  0x01, 0x00, 0xf4 }, 13 },
		/* inc rbx; cmp rbx,rax; out 0x70,al; hlt */
		{ "inc_cmp_out", { 0x48, 0xff, 0xc3, 0x48, 0x39, 0xc3, 0xe6, 0x70, 0xf4 }, 9 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct test_case c;
		mk(&c, cases[i].id, cases[i].code, cases[i].len);
		c.gpr[RAX] = 0x8000000000000001ull;
		c.gpr[RBX] = 0x7fffffffffffffffull;
		c.gpr[RCX] = 0x123;
		c.gpr[RDX] = 0x456;
		c.rflags |= RFLAGS_CF;
		run(&c);
		int rc = ref_ex.ops->run(&ref_ex, &c, &rout);
		CHECK(rc == 0, "%s: reference produced an outcome", c.id);
		struct divergence d;
		enum verdict v = outcome_diff(&rout, &out, &d);
		CHECK(v == VERDICT_AGREE, "%s: unicorn agrees with the reference (%s)", c.id,
		      v == VERDICT_AGREE ? "-" : d.signature);
	}
}

int main(void)
{
	uc_ex.ops = &unicorn_executor_ops;
	ref_ex.ops = &ref_executor_ops;
	char err[256] = "";
	int rc = uc_ex.ops->init(&uc_ex, err, sizeof(err));
	CHECK(rc == 0, "unicorn executor init (%s)", err);
	if (rc)
		return check_done("test_uc_basic");
	rc = ref_ex.ops->init(&ref_ex, err, sizeof(err));
	CHECK(rc == 0, "reference executor init (%s)", err);
	test_hlt();
	test_io();
	test_mmio();
	test_ud();
	test_pf();
	test_int3();
	test_more();
	test_crash_contained();
	if (rc == 0) {
		test_agree_with_ref();
		ref_ex.ops->fini(&ref_ex);
	}
	uc_ex.ops->fini(&uc_ex);
	return check_done("test_uc_basic");
}
#else
int main(void)
{
	printf("SKIPPED: built without Unicorn (libunicorn-dev); the Unicorn oracle tests did not run\n");
	return 77;
}
#endif
