/* outcome_diff: every divergence class from a one-field change of an
 * agreeing pair, masking, the TIMEOUT/UNSUPPORTED rules, signatures. */
#include <string.h>
#include "check.h"
#include "diff.h"

static struct outcome base, a, b;

static void build_base(void)
{
	struct outcome *o = &base;
	memset(o, 0, sizeof(*o));
	o->n_events = 3;
	o->events[0] = (struct exit_event){ .kind = EXIT_IO, .dir = DIR_OUT, .size = 1,
					    .addr = 0x80, .data = 0x41 };
	o->events[1] = (struct exit_event){ .kind = EXIT_MMIO, .dir = DIR_IN, .size = 4,
					    .addr = LAYOUT_MMIO, .data = 0xffffffff };
	o->events[2] = (struct exit_event){ .kind = EXIT_HLT, .rip = 0x10010 };
	for (int r = 0; r < GPR_COUNT; r++)
		o->state.gpr[r] = 0x1000u + (unsigned)r;
	o->state.rip = 0x10010;
	o->state.rflags = 0x202;
	o->state.cr0 = LM_CR0;
	o->state.cr3 = LM_CR3;
	o->state.cr4 = LM_CR4;
	o->state.efer = LM_EFER;
	o->state.cs = SEL_CODE64;
	o->state.ss = o->state.ds = o->state.es = SEL_DATA;
	strcpy(o->mnemonic, "hlt");
	memset(o->mem, 0xf4, PAGE_SIZE);
	o->mem[LAYOUT_DATA - LAYOUT_CMP_BASE] = 0x11;
}

static void reset(void)
{
	a = base;
	b = base;
}

static struct divergence d;

/* Diffs a and b and checks verdict, class, field and signature. */
static void expect_div(const char *what, enum divergence_class cls, const char *field,
		       const char *sig)
{
	enum verdict v = outcome_diff(&a, &b, &d);
	CHECK(v == VERDICT_DIVERGE && d.verdict == v && d.cls == cls &&
	      !strcmp(d.field, field) && (!sig || !strcmp(d.signature, sig)),
	      "%s: diverges, class %d field '%s'%s%s (got verdict %d class %d field '%s' "
	      "signature '%s')", what, cls, field, sig ? " signature " : "", sig ? sig : "",
	      v, d.cls, d.field, d.signature);
}

static void expect_agree(const char *what)
{
	enum verdict v = outcome_diff(&a, &b, &d);
	CHECK(v == VERDICT_AGREE && d.cls == DIV_NONE && d.event_index == -1,
	      "%s: agree (got verdict %d class %d field '%s')", what, v, d.cls, d.field);
}

static void test_classes(void)
{
	reset();
	expect_agree("identical outcomes");
	CHECK(d.whole, "identical outcomes agree whole (traces, state and memory compared)");

	reset();
	b.events[2].kind = EXIT_SHUTDOWN;
	expect_div("terminal hlt vs shutdown", DIV_TERMINAL, "terminal", "hlt/shutdown:terminal:hlt");
	CHECK_EQ_U64(d.a, EXIT_HLT, "terminal divergence: a is the kind hlt");
	CHECK_EQ_U64(d.b, EXIT_SHUTDOWN, "terminal divergence: b is the kind shutdown");

	reset();
	a.events[2] = (struct exit_event){ .kind = EXIT_EXCEPTION, .addr = 6, .rip = 0x10000 };
	strcpy(a.mnemonic, "lzcnt");
	b.mnemonic[0] = 0;
	expect_div("reference #UD, KVM hlt", DIV_TERMINAL, "terminal",
		   "exception#UD/hlt:terminal:lzcnt");

	reset();
	b.events[0].data = 0x42;
	expect_div("io data", DIV_TRACE, "event.data", NULL);
	CHECK_EQ_U64(d.event_index, 0, "io data divergence is at event 0");
	reset();
	b.events[0].data = 0x4100 | 0x41;
	expect_agree("io data bytes beyond the access size are ignored");
	reset();
	b.events[1].dir = DIR_OUT;
	expect_div("mmio direction", DIV_TRACE, "event.dir", NULL);
	CHECK_EQ_U64(d.event_index, 1, "mmio direction divergence is at event 1");
	reset();
	b.events[1].size = 2;
	expect_div("mmio size", DIV_TRACE, "event.size", NULL);
	reset();
	b.events[0].addr = 0x81;
	expect_div("io port", DIV_TRACE, "event.addr", NULL);
	reset();
	b.events[0].kind = EXIT_MMIO;
	expect_div("event kind", DIV_TRACE, "event.kind", NULL);
	reset();
	b.events[1] = b.events[2];
	b.n_events = 2;
	expect_div("one event fewer", DIV_TRACE, "event.count", NULL);
	CHECK_EQ_U64(d.a, 3, "event.count a");
	CHECK_EQ_U64(d.b, 2, "event.count b");
	CHECK_EQ_U64(d.event_index, 1, "event.count points at the first differing event");

	/* Exceptions: both #PF, one field apart. */
	reset();
	a.events[2] = (struct exit_event){ .kind = EXIT_EXCEPTION, .addr = 14,
		.has_error_code = 1, .error_code = 2, .rip = 0x10003, .cr2 = 0x14000 };
	strcpy(a.mnemonic, "mov");
	base = a;
	reset();
	expect_agree("identical #PF");
	b.events[2].error_code = 3;
	expect_div("#PF error code", DIV_EXCEPTION, "exception.error",
		   "exception#PF/exception#PF:exception.error:mov");
	CHECK_EQ_U64(d.event_index, 2, "exception divergence is at the terminal event");
	reset();
	b.events[2].cr2 = 0x14008;
	expect_div("#PF cr2", DIV_EXCEPTION, "exception.cr2", NULL);
	reset();
	b.events[2].rip = 0x10000;
	expect_div("#PF rip", DIV_EXCEPTION, "exception.rip", NULL);
	reset();
	b.events[2].addr = 13;
	expect_div("vector 14 vs 13", DIV_EXCEPTION, "exception.vector",
		   "exception#PF/exception#GP:exception.vector:mov");
	reset();
	b.events[2].has_error_code = 0;
	expect_div("error code pushed on one side only", DIV_EXCEPTION,
		   "exception.has_error", NULL);
	reset();
	a.events[2].addr = b.events[2].addr = 6;
	a.events[2].cr2 = 1;
	b.events[2].has_error_code = a.events[2].has_error_code = 0;
	expect_agree("cr2 is not compared for vectors other than 14");
	reset();
	b.state.gpr[RBX] = 0;
	expect_div("state still compared after an exception", DIV_GPR, "rbx", NULL);
	build_base();

	reset();
	b.state.rip = 0x10011;
	expect_div("rip", DIV_RIP, "rip", "hlt/hlt:rip:hlt");
	reset();
	b.state.gpr[RBX] = 7;
	strcpy(a.writer_gpr[RBX], "mov");
	expect_div("rbx", DIV_GPR, "rbx", "hlt/hlt:rbx:mov");
	reset();
	b.state.rflags |= RFLAGS_AF;
	strcpy(a.writer_flags, "imul");
	expect_div("rflags AF", DIV_RFLAGS, "rflags.AF", "hlt/hlt:rflags.AF:imul");
	a.undefined_flags = RFLAGS_AF;
	expect_agree("AF masked by the reference's undefined flags");
	a.undefined_flags = 0;
	b.undefined_flags = RFLAGS_AF;
	expect_agree("AF masked by the other side's undefined flags");
	reset();
	b.state.rflags |= RFLAGS_AF | RFLAGS_OF;
	a.undefined_flags = RFLAGS_AF;
	expect_div("OF still compared when only AF is undefined", DIV_RFLAGS, "rflags.OF", NULL);
	reset();
	b.state.rflags |= 1u << 5;
	expect_div("unnamed rflags bit", DIV_RFLAGS, "rflags.bit5", NULL);
	reset();
	b.state.cr4 |= 1u << 7;
	expect_div("cr4", DIV_SYSREG, "cr4", NULL);
	reset();
	b.state.efer = 0;
	expect_div("efer", DIV_SYSREG, "efer", NULL);
	reset();
	b.state.ss = 0;
	expect_div("ss selector", DIV_SYSREG, "ss", NULL);
	reset();
	b.state.gs = 0x33;
	expect_div("gs selector", DIV_SYSREG, "gs", NULL);
	reset();
	b.mem[LAYOUT_DATA - LAYOUT_CMP_BASE + 9] = 0x99;
	b.mem[LAYOUT_DATA - LAYOUT_CMP_BASE + 20] = 0x98;
	strcpy(b.writer_mem, "stosb");
	expect_div("memory", DIV_MEM, "mem", "hlt/hlt:mem:stosb");
	CHECK_EQ_U64(d.addr, LAYOUT_DATA + 9, "mem divergence names the first differing address");
	CHECK_EQ_U64(d.b, 0x99, "mem divergence b is the byte");
	char line[256];
	divergence_describe(&d, line, sizeof(line));
	CHECK(strstr(line, "mem") && strstr(line, "0x12009") && strstr(line, "0x99") &&
	      strstr(line, "stosb"), "describe names field, address, value, mnemonic: %s", line);

	reset();
	b.state.gpr[RAX] = 1;
	a.mnemonic[0] = b.mnemonic[0] = 0;
	expect_div("no mnemonic anywhere", DIV_GPR, "rax", "hlt/hlt:rax:-");
	divergence_describe(&d, line, sizeof(line));
	CHECK(strstr(line, "rax") && strstr(line, "0x1000") && strstr(line, "0x1"),
	      "describe shows both values in hex: %s", line);
}

static void test_rules(void)
{
	reset();
	a.events[2] = (struct exit_event){ .kind = EXIT_TIMEOUT };
	b.events[0] = (struct exit_event){ .kind = EXIT_TIMEOUT, .addr = 1 };
	b.state.rip = 0x1234;
	b.state.gpr[RAX] = 99;
	b.n_events = 1;
	expect_agree("both TIMEOUT: state and trace not compared");
	CHECK(!d.whole, "both TIMEOUT: an agreement, not a whole one");

	reset();
	a.events[2] = (struct exit_event){ .kind = EXIT_UNSUPPORTED, .rip = 0x10000 };
	strcpy(a.mnemonic, "vaddps");
	b.state.gpr[RAX] = 99;
	enum verdict v = outcome_diff(&a, &b, &d);
	CHECK(v == VERDICT_UNSUPPORTED && d.cls == DIV_NONE,
	      "reference UNSUPPORTED: verdict UNSUPPORTED, class NONE (got %d, %d)", v, d.cls);
	CHECK(!strcmp(d.mnemonic, "vaddps"), "unsupported verdict names the instruction (%s)",
	      d.mnemonic);
	v = outcome_diff(&b, &a, &d);
	CHECK(v == VERDICT_UNSUPPORTED, "UNSUPPORTED on the second side too (got %d)", v);

	static const uint8_t stop_kinds[] = { EXIT_SHUTDOWN, EXIT_INTERNAL_ERROR,
					      EXIT_FAIL_ENTRY, EXIT_OTHER };
	for (size_t i = 0; i < sizeof(stop_kinds); i++) {
		char what[96];
		reset();
		a.events[2] = b.events[2] = (struct exit_event){ .kind = stop_kinds[i] };
		b.state.rip = 5;
		b.mem[100] = 1;
		snprintf(what, sizeof(what), "both %s: the state after it is not compared",
			 exit_kind_name((enum exit_kind)stop_kinds[i]));
		expect_agree(what);
		CHECK(!d.whole, "%s: not a whole agreement", what);
	}
	reset();
	a.events[2] = (struct exit_event){ .kind = EXIT_OTHER, .addr = 37 };
	b.events[2] = (struct exit_event){ .kind = EXIT_OTHER, .addr = 38 };
	/* The terminal names its KVM exit reason (core/kvm_exit_reasons.def). */
	expect_div("other exit reasons differ", DIV_TRACE, "event.reason",
		   "other#notify/other#loongarch_iocsr:event.reason:hlt");
	reset();
	a.events[2] = (struct exit_event){ .kind = EXIT_OTHER, .addr = 7 };
	b.events[2] = (struct exit_event){ .kind = EXIT_OTHER, .addr = 200 };
	expect_div("an unnamed reason stays plain 'other'", DIV_TRACE, "event.reason",
		   "other#irq_window_open/other:event.reason:hlt");
	reset();
	a.events[2] = (struct exit_event){ .kind = EXIT_INTERNAL_ERROR, .addr = 1 };
	b.events[2] = (struct exit_event){ .kind = EXIT_INTERNAL_ERROR, .addr = 3 };
	expect_div("internal error suberrors differ", DIV_TRACE, "event.suberror", NULL);

	/* The reference's step budget against another KVM end. */
	reset();
	a.events[2] = (struct exit_event){ .kind = EXIT_TIMEOUT, .addr = 0 };
	a.steps = REF_STEP_BUDGET;
	b.events[2] = (struct exit_event){ .kind = EXIT_INTERNAL_ERROR, .addr = 1 };
	v = outcome_diff(&a, &b, &d);
	CHECK(v == VERDICT_UNSUPPORTED && !strcmp(d.mnemonic, "step-budget"),
	      "reference step budget vs internal error: not compared (verdict %d, %s)", v, d.mnemonic);
	a.steps = 12;
	v = outcome_diff(&a, &b, &d);
	CHECK(v == VERDICT_DIVERGE, "a TIMEOUT before the step budget is still compared (verdict %d)", v);
	reset();
	b.events[2] = (struct exit_event){ .kind = EXIT_TIMEOUT, .addr = 0 };
	v = outcome_diff(&a, &b, &d);
	CHECK(v == VERDICT_DIVERGE, "KVM out of time where the reference halted: a divergence (%d)", v);

	/* A hang (KVM_RUN stuck on one instruction) is its own terminal. */
	reset();
	b.events[2] = (struct exit_event){ .kind = EXIT_HANG, .rip = 0x10000 };
	expect_div("KVM hangs where the reference halted", DIV_TERMINAL, "terminal", "hlt/hang:terminal:hlt");
	reset();
	a.events[2] = (struct exit_event){ .kind = EXIT_TIMEOUT, .addr = 0, .rip = 0x10004 };
	a.steps = REF_STEP_BUDGET;
	b.events[2] = (struct exit_event){ .kind = EXIT_HANG, .rip = 0x10004 };
	b.state.gpr[RAX] ^= 1;
	v = outcome_diff(&a, &b, &d);
	CHECK(v == VERDICT_AGREE, "step budget spent on the instruction KVM hangs on (jmp $): agree (%d)", v);
	b.events[2].rip = 0x10002;
	v = outcome_diff(&a, &b, &d);
	CHECK(v == VERDICT_UNSUPPORTED, "a hang elsewhere than where the step budget ran out: not compared (%d)", v);
	reset();
	a.events[2] = (struct exit_event){ .kind = EXIT_HANG, .rip = 0x10000 };
	b.events[2] = (struct exit_event){ .kind = EXIT_HANG, .rip = 0x10000 };
	b.state.gpr[RAX] ^= 1;
	expect_agree("both hang: the state is not compared");
	reset();
	a.events[2] = (struct exit_event){ .kind = EXIT_HANG, .rip = 0x10000 };
	b.events[2] = (struct exit_event){ .kind = EXIT_TIMEOUT, .addr = 0 };
	expect_div("a hang against a timeout", DIV_TERMINAL, "terminal", NULL);

	/* Undefined memory bits (an RFLAGS image with undefined flags). */
	reset();
	a.n_undefined_mem = 1;
	a.undefined_mem[0] = (struct undefined_mem){ .addr = 0x15ffc, .mask = 0x10 };
	a.mem[0x15ffc - LAYOUT_CMP_BASE] = 0x02;
	b.mem[0x15ffc - LAYOUT_CMP_BASE] = 0x12;
	expect_agree("a byte differing only in an undefined-mem bit (AF at 0x15ffc)");
	b.mem[0x15ffc - LAYOUT_CMP_BASE] = 0x13;
	expect_div("the same byte differing also in a defined bit", DIV_MEM, "mem", NULL);
	reset();
	a.n_undefined_mem = 1;
	a.undefined_mem[0] = (struct undefined_mem){ .addr = 0x15ffc, .mask = 0x100 };
	a.mem[0x15ffd - LAYOUT_CMP_BASE] ^= 0x01;
	expect_agree("the mask's second byte covers the address after it");
	a.mem[0x16000 - LAYOUT_CMP_BASE - 1] ^= 0x01;
	expect_div("a byte past the slot is compared", DIV_MEM, "mem", NULL);

	/* Empty traces never crash. */
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	v = outcome_diff(&a, &b, &d);
	CHECK(v == VERDICT_AGREE, "two empty outcomes agree (got %d)", v);
	b = base;
	v = outcome_diff(&a, &b, &d);
	CHECK(v == VERDICT_DIVERGE && !strcmp(d.signature, "none/hlt:terminal:hlt"),
	      "empty vs hlt diverges at the terminal (%s)", d.signature);
}

static void test_signatures(void)
{
	char s1[SIGNATURE_MAX], s2[SIGNATURE_MAX];
	reset();
	b.state.gpr[RCX] = 1;
	strcpy(a.writer_gpr[RCX], "add");
	outcome_diff(&a, &b, &d);
	strcpy(s1, d.signature);
	b.state.gpr[RCX] = 0xdead;
	a.state.gpr[RCX] = 0xbeef;
	outcome_diff(&a, &b, &d);
	strcpy(s2, d.signature);
	CHECK(!strcmp(s1, s2), "same field, different values: same signature (%s, %s)", s1, s2);
	reset();
	b.state.gpr[RDX] = 1;
	strcpy(a.writer_gpr[RDX], "add");
	outcome_diff(&a, &b, &d);
	CHECK(strcmp(s1, d.signature) != 0, "different field: different signature (%s, %s)",
	      s1, d.signature);
	reset();
	b.state.gpr[RCX] = 1;
	strcpy(b.writer_gpr[RCX], "sub");
	outcome_diff(&a, &b, &d);
	CHECK(!strcmp(d.signature, "hlt/hlt:rcx:sub"),
	      "writer taken from b when a has none (%s)", d.signature);
	reset();
	b.state.gpr[RCX] = 1;
	strcpy(a.writer_gpr[RCX], "rep stosb");
	outcome_diff(&a, &b, &d);
	CHECK(!strcmp(d.signature, "hlt/hlt:rcx:rep_stosb") && !strcmp(d.mnemonic, "rep stosb"),
	      "whitespace in a mnemonic becomes '_' in the signature (%s)", d.signature);
	reset();
	a.events[2] = (struct exit_event){ .kind = EXIT_EXCEPTION, .addr = 9 };
	outcome_diff(&a, &b, &d);
	CHECK(!strcmp(d.signature, "exception#9/hlt:terminal:hlt"),
	      "unnamed vector prints as a number (%s)", d.signature);
	/* A trace divergence is named by the instruction behind the event
	 * (exit_event.by), not by the one that ended the case. */
	reset();
	b.events[0].data ^= 1;
	strcpy(a.events[0].by, "rep_outsb");
	outcome_diff(&a, &b, &d);
	CHECK(d.cls == DIV_TRACE && !strcmp(d.signature, "hlt/hlt:event.data:rep_outsb"),
	      "trace divergence named by the event's instruction (%s)", d.signature);
	a.events[0].by[0] = 0;
	outcome_diff(&a, &b, &d);
	CHECK(!strcmp(d.signature, "hlt/hlt:event.data:hlt"),
	      "without 'by' the case's last instruction names it (%s)", d.signature);
	/* Terminal kinds differ: named by what the reference ran at KVM's RIP. */
	reset();
	b.events[2] = (struct exit_event){ .kind = EXIT_INTERNAL_ERROR, .addr = 1 };
	b.state.rip = 0x10004;
	a.ran[RAN_SLOT(0x10004)] = (struct ran_insn){ .rip = 0x10004, .mnemonic = "popcnt" };
	outcome_diff(&a, &b, &d);
	CHECK(!strcmp(d.signature, "hlt/internal_error:terminal:popcnt"),
	      "terminal mismatch named by the instruction at KVM's RIP (%s)", d.signature);
	a.ran[RAN_SLOT(0x10004)].rip = 0x20004;
	outcome_diff(&a, &b, &d);
	CHECK(!strcmp(d.signature, "hlt/internal_error:terminal:hlt"),
	      "no instruction known at KVM's RIP: the last one names it (%s)", d.signature);
	/* Real mode starts at IP 0: a slot at rip 0 is a real entry. */
	b.state.rip = 0;
	outcome_diff(&a, &b, &d);
	CHECK(!strcmp(d.signature, "hlt/internal_error:terminal:hlt"),
	      "empty slot at rip 0 names nothing (%s)", d.signature);
	a.ran[RAN_SLOT(0)] = (struct ran_insn){ .rip = 0, .mnemonic = "mfence" };
	outcome_diff(&a, &b, &d);
	CHECK(!strcmp(d.signature, "hlt/internal_error:terminal:mfence"),
	      "KVM stopped at IP 0 (real mode): named by what ran there (%s)", d.signature);
	/* Exceptions at different addresses: named by what the reference ran
	 * where KVM faulted, not by the reference's own faulting one. */
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	a.n_events = b.n_events = 1;
	a.events[0] = (struct exit_event){ .kind = EXIT_EXCEPTION, .addr = 13, .rip = 0x10008,
					   .by = "mov" };
	b.events[0] = (struct exit_event){ .kind = EXIT_EXCEPTION, .addr = 6, .rip = 0x10003 };
	strcpy(a.mnemonic, "mov");
	*ran_place(&a, 0x10003) = (struct ran_insn){ .rip = 0x10003, .mnemonic = "movbe" };
	outcome_diff(&a, &b, &d);
	CHECK(!strcmp(d.signature, "exception#GP/exception#UD:exception.vector:movbe"),
	      "KVM's #UD at an earlier instruction is named by it (%s)", d.signature);

	/* A case ending at HLT: what would be named "hlt" (no writer, or the
	 * HLT's event) is named by the instruction before it; the HLT's own
	 * exit or fault keeps its name. */
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	a.n_events = 1;
	a.events[0] = (struct exit_event){ .kind = EXIT_HLT, .rip = 0x10006, .by = "hlt" };
	b.n_events = 2;
	b.events[0] = (struct exit_event){ .kind = EXIT_MMIO, .dir = DIR_IN, .addr = 0xc0000000, .size = 1 };
	b.events[1] = (struct exit_event){ .kind = EXIT_HLT, .rip = 0x10006 };
	a.state.rip = b.state.rip = 0x10006;
	strcpy(a.mnemonic, "hlt");
	strcpy(a.prev_mnemonic, "clflush");
	outcome_diff(&a, &b, &d);
	CHECK(!strcmp(d.signature, "hlt/hlt:event.count:clflush"),
	      "an extra KVM event before the HLT is named by the instruction before it (%s)",
	      d.signature);
	b.n_events = 1;
	b.events[0] = b.events[1];
	b.state.gpr[RCX] = 0x20;
	outcome_diff(&a, &b, &d);
	CHECK(!strcmp(d.signature, "hlt/hlt:rcx:clflush"),
	      "a register no instruction wrote is named by the one before the HLT (%s)", d.signature);
	b.state.gpr[RCX] = 0;
	b.events[0] = (struct exit_event){ .kind = EXIT_INTERNAL_ERROR, .rip = 0x10005 };
	b.state.rip = 0x10005;
	*ran_place(&a, 0x10005) = (struct ran_insn){ .rip = 0x10005, .mnemonic = "hlt" };
	outcome_diff(&a, &b, &d);
	CHECK(!strcmp(d.signature, "hlt/internal_error:terminal:clflush"),
	      "KVM ending otherwise where the reference halted: the instruction before (%s)",
	      d.signature);
	/* At CPL3 the HLT faults: its own #GP differing keeps its name. */
	struct outcome a3 = a, b3 = b;
	a3.events[0] = (struct exit_event){ .kind = EXIT_EXCEPTION, .addr = 13, .has_error_code = 1,
					    .rip = 0x10006, .by = "hlt" };
	b3.events[0] = (struct exit_event){ .kind = EXIT_EXCEPTION, .addr = 13, .has_error_code = 1,
					    .error_code = 8, .rip = 0x10006 };
	b3.state.rip = a3.state.rip = 0x10006;
	outcome_diff(&a3, &b3, &d);
	CHECK(!strcmp(d.signature, "exception#GP/exception#GP:exception.error:hlt"),
	      "the HLT's own fault differing keeps its name (%s)", d.signature);
	b3.events[0] = (struct exit_event){ .kind = EXIT_INTERNAL_ERROR, .rip = 0x10006 };
	outcome_diff(&a3, &b3, &d);
	CHECK(!strcmp(d.signature, "exception#GP/internal_error:terminal:hlt"),
	      "KVM ending otherwise where the HLT faulted keeps the name (%s)", d.signature);
	a.prev_mnemonic[0] = 0;
	b.events[0] = a.events[0];
	b.state.rip = a.state.rip;
	b.state.gpr[RCX] = 0x20;
	outcome_diff(&a, &b, &d);
	CHECK(!strcmp(d.signature, "hlt/hlt:rcx:hlt"),
	      "nothing ran before the HLT: it keeps the name (%s)", d.signature);
}

int main(void)
{
	build_base();
	test_classes();
	build_base();
	test_rules();
	build_base();
	test_signatures();
	return check_done("test_core_diff");
}
