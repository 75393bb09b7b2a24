/* KVM executor in every CPU mode and with the knobs: hand-assembled cases
 * with checked outcomes (bytes and assembly side by side), the
 * architectural exception frames read back, the read-only system area in
 * the unpaged modes, CPL3, a CR0 knob, what this KVM does with 32-bit
 * paging, and a long64 case after each of them. */
#include <string.h>
#include <time.h>
#include "check.h"
#include "executor.h"
#include "knobs.h"
#include "layout.h"
#include "mode.h"
#include "kvm_internal.h"

static struct executor ex;
static struct test_case tc;
static struct outcome out;
static uint8_t pristine[LAYOUT_RW_BASE];

static int is_pvm(void)
{
	return strcmp(ex.env.backend, "kvm_pvm") == 0;
}

static void start(const char *id, enum cpu_mode m, uint32_t knobs, const uint8_t *code, size_t n)
{
	case_init(&tc);
	snprintf(tc.id, sizeof(tc.id), "%s", id);
	tc.mode = (uint8_t)m;
	tc.knobs = knobs;
	memcpy(tc.code, code, n);
	tc.code_len = (uint32_t)n;
}

#define CODE(...) ((const uint8_t[]){ __VA_ARGS__ }), sizeof((const uint8_t[]){ __VA_ARGS__ })

/* Runs tc; returns the terminal event (never NULL: a failed run reports). */
static const struct exit_event *go(void)
{
	static const struct exit_event none = { .kind = 0xff };
	int rc = ex.ops->run(&ex, &tc, &out);
	CHECK(rc == 0, "%s: run returned %d (%s)", tc.id, rc, rc ? ex.err : "ok");
	const struct exit_event *t = rc == 0 ? outcome_terminal(&out) : NULL;
	return t ? t : &none;
}

static void want_kind(const struct exit_event *e, int kind, const char *what)
{
	char buf[256];
	snprintf(buf, sizeof(buf), "%s: %s: terminal kind (got %s)", tc.id, what,
		 exit_kind_name((enum exit_kind)e->kind));
	CHECK_EQ_U64(e->kind, kind, buf);
}

static void want_u64(uint64_t got, uint64_t want, const char *what)
{
	char buf[256];
	snprintf(buf, sizeof(buf), "%s: %s", tc.id, what);
	CHECK_EQ_U64(got, want, buf);
}

static void want_event(unsigned i, int kind, int dir, int size, uint64_t addr, uint64_t data)
{
	char buf[96];
	CHECK(out.n_events > i, "%s: has event %u (of %u)", tc.id, i, out.n_events);
	if (out.n_events <= i)
		return;
	const struct exit_event *e = &out.events[i];
	snprintf(buf, sizeof(buf), "event %u kind (%s)", i, exit_kind_name((enum exit_kind)e->kind));
	want_u64(e->kind, kind, buf);
	snprintf(buf, sizeof(buf), "event %u dir", i);
	want_u64(e->dir, dir, buf);
	snprintf(buf, sizeof(buf), "event %u size", i);
	want_u64(e->size, size, buf);
	snprintf(buf, sizeof(buf), "event %u addr", i);
	want_u64(e->addr, addr, buf);
	snprintf(buf, sizeof(buf), "event %u data", i);
	want_u64(e->data, data, buf);
}

static void want_exception(const struct exit_event *e, unsigned vector, int has_err,
			   uint32_t err, uint64_t rip)
{
	want_kind(e, EXIT_EXCEPTION, "exception");
	want_u64(e->addr, vector, "vector");
	want_u64(e->has_error_code, has_err, "has_error_code");
	want_u64(e->error_code, err, "error code");
	want_u64(e->rip, rip, "faulting rip");
	want_u64(out.state.rip, rip, "end-state rip from the frame");
}

static uint32_t mem32(uint64_t gpa)
{
	uint32_t v;
	memcpy(&v, out.mem + (gpa - LAYOUT_CMP_BASE), 4);
	return v;
}

static uint16_t mem16(uint64_t gpa)
{
	uint16_t v;
	memcpy(&v, out.mem + (gpa - LAYOUT_CMP_BASE), 2);
	return v;
}

/* A long64 CPL0 case right after another mode: the vCPU must be back in
 * long mode with nothing left over. */
static void long64_after(const char *after)
{
	char id[64];
	snprintf(id, sizeof(id), "long64-after-%s", after);
	/* mov rax, 0x1122334455667788 ; add rax, rbx ; hlt
	 * 48 b8 88 77 66 55 44 33 22 11 ; 48 01 d8 ; f4 */
	start(id, MODE_LONG64, 0, CODE(0x48, 0xb8, 0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11,
				       0x48, 0x01, 0xd8, 0xf4));
	tc.gpr[RBX] = 0x100000000ull;
	const struct exit_event *e = go();
	want_kind(e, EXIT_HLT, "hlt");
	want_u64(e->rip, LAYOUT_CODE + 14, "hlt rip");
	want_u64(out.state.gpr[RAX], 0x1122334555667788ull, "rax (64-bit add)");
	want_u64(out.state.cs, SEL_CODE64, "cs");
	want_u64(out.state.efer & 0x500, 0x500, "efer LME|LMA");
	want_u64(out.state.gpr[RSP], LAYOUT_STACK_TOP, "rsp");
}

static void system_area_unchanged(void)
{
	const struct kvm_ctx *k = ex.priv; /* struct kvm_priv starts with it */
	CHECK(memcmp(k->ram, pristine, LAYOUT_RW_BASE) == 0,
	      "%s: the system area (GDT, IDT, tables) is unchanged", tc.id);
}

static void prot32_cases(void)
{
	/* mov eax, 0x12345678 ; add eax, ebx ; hlt   b8 78 56 34 12 ; 01 d8 ; f4 */
	start("prot32-hlt", MODE_PROT32, 0, CODE(0xb8, 0x78, 0x56, 0x34, 0x12, 0x01, 0xd8, 0xf4));
	tc.gpr[RBX] = 0x11111111;
	const struct exit_event *e = go();
	want_kind(e, EXIT_HLT, "hlt");
	want_u64(e->rip, LAYOUT_CODE + 8, "hlt rip (EIP after the hlt)");
	want_u64(out.state.gpr[RAX], 0x23456789, "eax");
	want_u64(out.state.cs, SEL_CODE32, "cs");
	want_u64(out.state.ds, SEL_DATA, "ds");
	want_u64(out.state.cr0 & 0x80000001u, 1, "cr0 PE without PG");
	want_u64(out.state.efer & 0x400, 0, "efer.LMA clear");
	long64_after("prot32-hlt");

	/* mov al, 0x5a ; out 0x80, al ; hlt   b0 5a ; e6 80 ; f4 */
	start("prot32-out", MODE_PROT32, 0, CODE(0xb0, 0x5a, 0xe6, 0x80, 0xf4));
	e = go();
	want_event(0, EXIT_IO, DIR_OUT, 1, 0x80, 0x5a);
	want_kind(e, EXIT_HLT, "hlt after the out");
	want_u64(out.n_events, 2, "events");

	/* mov eax, 0xcafef00d ; mov [0x100000], eax ; hlt
	 * b8 0d f0 fe ca ; a3 00 00 10 00 ; f4 -- above RAM: MMIO */
	start("prot32-mmio", MODE_PROT32, 0, CODE(0xb8, 0x0d, 0xf0, 0xfe, 0xca,
						  0xa3, 0x00, 0x00, 0x10, 0x00, 0xf4));
	e = go();
	want_event(0, EXIT_MMIO, DIR_OUT, 4, 0x100000, 0xcafef00d);
	want_kind(e, EXIT_HLT, "hlt after the mmio write");

	/* nop ; ud2   90 ; 0f 0b -> #UD through IDT32, frame EIP CS EFLAGS
	 * on the case's stack (no error code, SDM 3A 6.12.1) */
	start("prot32-ud2", MODE_PROT32, 0, CODE(0x90, 0x0f, 0x0b));
	tc.rflags = RFLAGS_FIXED1 | RFLAGS_CF;
	e = go();
	want_exception(e, 6, 0, 0, LAYOUT_CODE + 1);
	want_u64(out.state.gpr[RSP], LAYOUT_STACK_TOP, "esp restored from the frame");
	want_u64(out.state.cs, SEL_CODE32, "cs from the frame");
	want_u64(mem32(LAYOUT_STACK_TOP - 12), LAYOUT_CODE + 1, "frame EIP on the case stack");
	want_u64(mem32(LAYOUT_STACK_TOP - 8), SEL_CODE32, "frame CS on the case stack");
	want_u64(mem32(LAYOUT_STACK_TOP - 4) & 0xffff, RFLAGS_FIXED1 | RFLAGS_CF,
		 "frame EFLAGS (low 16) on the case stack");
	want_u64(out.state.rflags & 0xffff, RFLAGS_FIXED1 | RFLAGS_CF, "end-state eflags (low 16)");

	/* mov eax, [0xfffffff0] is not RAM: a read answered all ones.
	 * mov eax, [0xfffffff0] ; hlt   a1 f0 ff ff ff ; f4 */
	start("prot32-mmio-read", MODE_PROT32, 0, CODE(0xa1, 0xf0, 0xff, 0xff, 0xff, 0xf4));
	e = go();
	want_event(0, EXIT_MMIO, DIR_IN, 4, 0xfffffff0u, 0xffffffffu);
	want_u64(out.state.gpr[RAX], 0xffffffffu, "eax from the mmio read");

	/* mov eax, 0x55aa55aa ; mov [0x1008], eax ; hlt  (the GDT's code64
	 * descriptor) b8 aa 55 aa 55 ; a3 08 10 00 00 ; f4: the read-only
	 * slot makes it an MMIO write exit that changes nothing. */
	start("prot32-write-gdt", MODE_PROT32, 0, CODE(0xb8, 0xaa, 0x55, 0xaa, 0x55,
						       0xa3, 0x08, 0x10, 0x00, 0x00, 0xf4));
	e = go();
	want_event(0, EXIT_MMIO, DIR_OUT, 4, LAYOUT_GDT + 8, 0x55aa55aa);
	want_kind(e, EXIT_HLT, "hlt after the write");
	system_area_unchanged();

	/* A hole page (0x11000) is plain RAM without paging: written, then
	 * cleared before the next case. mov [0x11000], eax ; mov ebx,[0x11000] ; hlt
	 * a3 00 10 01 00 ; 8b 1d 00 10 01 00 ; f4 */
	start("prot32-hole-write", MODE_PROT32, 0, CODE(0xa3, 0x00, 0x10, 0x01, 0x00,
							0x8b, 0x1d, 0x00, 0x10, 0x01, 0x00, 0xf4));
	tc.gpr[RAX] = 0x77;
	e = go();
	want_kind(e, EXIT_HLT, "hlt");
	want_u64(out.state.gpr[RBX], 0x77, "ebx read back from the hole page");
	/* mov ebx, [0x11000] ; hlt   8b 1d 00 10 01 00 ; f4 */
	start("prot32-hole-reset", MODE_PROT32, 0, CODE(0x8b, 0x1d, 0x00, 0x10, 0x01, 0x00, 0xf4));
	tc.gpr[RBX] = 0x99;
	e = go();
	want_u64(out.state.gpr[RBX], 0, "the hole page is zero again in the next case");

	/* The hole pages lie inside the compare window: a long64 case after
	 * an unpaged one that wrote them must not see those bytes.
	 * mov [0x14018], eax ; hlt   a3 18 40 01 00 ; f4 */
	start("prot32-hole-write-2", MODE_PROT32, 0, CODE(0xa3, 0x18, 0x40, 0x01, 0x00, 0xf4));
	tc.gpr[RAX] = 0xd0;
	e = go();
	want_u64(mem32(0x14018), 0xd0, "the write reached the hole page 0x14000");
	start("long64-after-hole-write", MODE_LONG64, 0, CODE(0xf4));
	e = go();
	want_kind(e, EXIT_HLT, "hlt");
	want_u64(mem32(0x14018), 0, "the long64 compare window shows the hole page clear");
	want_u64(mem32(0x11000), 0, "and the other hole too");

	/* Upper halves: a case's 64-bit value is cut to 32 bits. */
	start("prot32-mask", MODE_PROT32, 0, CODE(0xf4));
	tc.gpr[RSI] = 0xdeadbeef;
	e = go();
	want_u64(out.state.gpr[RSI], 0xdeadbeef, "esi");
	want_u64(out.state.rip >> 32, 0, "rip upper half");
	long64_after("prot32");
}

static void real16_cases(void)
{
	/* mov ax, 0x1234 ; add ax, bx ; hlt   b8 34 12 ; 01 d8 ; f4 */
	start("real16-hlt", MODE_REAL16, 0, CODE(0xb8, 0x34, 0x12, 0x01, 0xd8, 0xf4));
	tc.gpr[RBX] = 0x1111;
	tc.gpr[RAX] = 0xabcd0000;
	const struct exit_event *e = go();
	want_kind(e, EXIT_HLT, "hlt");
	want_u64(e->rip, 6, "hlt rip (IP after the hlt, CS-relative)");
	want_u64(out.state.gpr[RAX], 0xabcd2345, "eax (16-bit add keeps the upper half)");
	want_u64(out.state.cs, REAL_SEG, "cs");
	want_u64(out.state.ss, REAL_SEG, "ss");
	want_u64(out.state.cr0 & 1, 0, "cr0.PE clear");

	/* mov al, 0x5a ; out 0x80, al ; hlt   b0 5a ; e6 80 ; f4 */
	start("real16-out", MODE_REAL16, 0, CODE(0xb0, 0x5a, 0xe6, 0x80, 0xf4));
	e = go();
	want_event(0, EXIT_IO, DIR_OUT, 1, 0x80, 0x5a);
	want_kind(e, EXIT_HLT, "hlt after the out");

	/* mov ax, 0xbeef ; mov [0x9000], ax ; hlt   b8 ef be ; a3 00 90 ; f4
	 * DS base 0x10000 + 0x9000 = GPA 0x19000, above RAM: MMIO */
	start("real16-mmio", MODE_REAL16, 0, CODE(0xb8, 0xef, 0xbe, 0xa3, 0x00, 0x90, 0xf4));
	e = go();
	want_event(0, EXIT_MMIO, DIR_OUT, 2, 0x19000, 0xbeef);
	want_kind(e, EXIT_HLT, "hlt after the mmio write");

	/* mov [0x2000], ax ; hlt   a3 00 20 ; f4: DS:2000 = the data page */
	start("real16-data", MODE_REAL16, 0, CODE(0xa3, 0x00, 0x20, 0xf4));
	tc.gpr[RAX] = 0x4321;
	e = go();
	want_kind(e, EXIT_HLT, "hlt");
	want_u64(mem16(LAYOUT_DATA), 0x4321, "DS:2000 is LAYOUT_DATA");

	/* nop ; div bx   90 ; f7 f3 with BX=0 -> #DE (a fault: IP of the div)
	 * through the IVT to 0x300:0; frame IP CS FLAGS at SS:SP (SDM 3B
	 * 20.1.4): SP 0x6000 -> 0x5ffa. ESP's upper half is 0 here: see
	 * real16-esp-upper below for why. */
	start("real16-div0", MODE_REAL16, 0, CODE(0x90, 0xf7, 0xf3));
	tc.rflags = RFLAGS_FIXED1 | RFLAGS_ZF;
	tc.gpr[RSP] = 0x6000;
	tc.gpr[RAX] = 5;
	e = go();
	want_exception(e, 0, 0, 0, 1);
	want_u64(out.state.cs, REAL_SEG, "cs from the frame");
	want_u64(out.state.gpr[RSP], 0x6000, "sp restored from the frame");
	want_u64(out.state.gpr[RAX], 5, "ax untouched by the faulting div");
	want_u64(mem16(LAYOUT_STACK_TOP - 6), 1, "frame IP at SS:5ffa");
	want_u64(mem16(LAYOUT_STACK_TOP - 4), REAL_SEG, "frame CS at SS:5ffc");
	want_u64(mem16(LAYOUT_STACK_TOP - 2), RFLAGS_FIXED1 | RFLAGS_ZF, "frame FLAGS at SS:5ffe");

	/* int 0x21 ; hlt   cd 21 ; f4: a software interrupt is a trap (IP
	 * after it) and KVM's emulator does deliver it in real mode. */
	start("real16-int21", MODE_REAL16, 0, CODE(0xcd, 0x21, 0xf4));
	e = go();
	want_exception(e, 0x21, 0, 0, 2);
	want_u64(out.state.gpr[RSP], LAYOUT_STACK_TOP, "esp restored (SP 0x6000 + upper 0x1)");

	/* The same #DE with ESP = 0x16000: a real-mode push uses SP and
	 * keeps ESP's upper half (SDM Vol. 1 6.2.3, 3B 20.1.1). */
	start("real16-esp-upper", MODE_REAL16, 0, CODE(0xf7, 0xf3));
	e = go();
	want_kind(e, EXIT_EXCEPTION, "exception");
	if (is_pvm() && out.state.gpr[RSP] == 0x6000) {
		printf("XFAIL: %s: kvm_pvm delivers a real-mode exception with ESP cut to SP "
		       "(ESP 0x%llx after the frame, architecturally 0x16000)\n", tc.id,
		       (unsigned long long)out.state.gpr[RSP]);
		want_u64(mem16(LAYOUT_STACK_TOP - 6), 0, "frame IP at SS:5ffa all the same");
	} else {
		want_u64(out.state.gpr[RSP], LAYOUT_STACK_TOP, "esp upper half kept");
	}

	/* ud2   0f 0b: #UD architecturally; KVM's emulator has no UD2 and
	 * at CPL0 in real mode reports an emulation failure instead. */
	start("real16-ud2", MODE_REAL16, 0, CODE(0x0f, 0x0b));
	e = go();
	if (is_pvm() && e->kind == EXIT_INTERNAL_ERROR) {
		printf("XFAIL: %s: kvm_pvm: emulation failure (suberror %llu) instead of #UD in real mode\n",
		       tc.id, (unsigned long long)e->addr);
		want_u64(e->addr, KVM_INTERNAL_ERROR_EMULATION, "suberror emulation");
		want_u64(out.state.rip, 0, "ip on the ud2");
	} else {
		want_exception(e, 6, 0, 0, 0);
	}

	/* xor ax, ax ; mov ds, ax ; mov [0x1000], ax ; hlt
	 * 31 c0 ; 8e d8 ; a3 00 10 ; f4: the GDT, read-only: an MMIO write */
	start("real16-write-gdt", MODE_REAL16, 0, CODE(0x31, 0xc0, 0x8e, 0xd8, 0xa3, 0x00, 0x10, 0xf4));
	e = go();
	want_event(0, EXIT_MMIO, DIR_OUT, 2, LAYOUT_GDT, 0);
	want_kind(e, EXIT_HLT, "hlt after the write");
	want_u64(out.state.ds, 0, "ds loaded with 0");
	system_area_unchanged();
	long64_after("real16");
}

static void cpl3_cases(void)
{
	/* hlt   f4 -> #GP(0) at CPL3 (SDM 2A HLT), frame on IST1 */
	start("cpl3-hlt", MODE_LONG64, KNOB_CPL3, CODE(0xf4));
	const struct exit_event *e = go();
	want_exception(e, 13, 1, 0, LAYOUT_CODE);
	want_u64(out.state.cs, SEL_UCODE64, "cs from the frame (CPL3)");
	want_u64(out.state.ss, SEL_UDATA, "ss from the frame");
	want_u64(out.state.gpr[RSP], LAYOUT_STACK_TOP, "rsp from the frame");

	/* add rax, rbx ; mov rax, cr0   48 01 d8 ; 0f 20 c0 -> #GP(0) */
	start("cpl3-mov-cr0", MODE_LONG64, KNOB_CPL3, CODE(0x48, 0x01, 0xd8, 0x0f, 0x20, 0xc0));
	tc.gpr[RAX] = 40;
	tc.gpr[RBX] = 2;
	e = go();
	want_exception(e, 13, 1, 0, LAYOUT_CODE + 3);
	want_u64(out.state.gpr[RAX], 42, "rax computed at CPL3 before the fault");

	/* out 0x80, al   e6 80 -> #GP(0): IOPL 0 < CPL 3, no I/O bitmap */
	start("cpl3-out", MODE_LONG64, KNOB_CPL3, CODE(0xe6, 0x80));
	e = go();
	want_exception(e, 13, 1, 0, LAYOUT_CODE);
	want_u64(out.n_events, 1, "no I/O event");

	/* mov [0xc0000000], eax via rbx: mov [rbx], eax ; ud2   89 03 ; 0f 0b
	 * the MMIO page is a user page: an MMIO write from CPL3 */
	start("cpl3-mmio", MODE_LONG64, KNOB_CPL3, CODE(0x89, 0x03, 0x0f, 0x0b));
	tc.gpr[RBX] = LAYOUT_MMIO;
	tc.gpr[RAX] = 0x1234;
	e = go();
	want_event(0, EXIT_MMIO, DIR_OUT, 4, LAYOUT_MMIO, 0x1234);
	want_exception(e, 6, 0, 0, LAYOUT_CODE + 2);

	/* mov eax, [0x17000]  8b 04 25 00 70 01 00: the IST page is
	 * supervisor: #PF error 5 (P, U/S, read) */
	start("cpl3-ist-read", MODE_LONG64, KNOB_CPL3, CODE(0x8b, 0x04, 0x25, 0x00, 0x70, 0x01, 0x00));
	e = go();
	want_exception(e, 14, 1, 5, LAYOUT_CODE);
	want_u64(e->cr2, LAYOUT_IST, "cr2");
	long64_after("cpl3");
}

/*
 * Knobs at CPL3. 64-bit CPL3 code runs natively under kvm_pvm, and there
 * the guest's CR0.TS, CR4.TSD/OSXSAVE/FSGSBASE/OSFXSR and EFER.SCE are not
 * what the CPU applies: each row has the architectural outcome (SDM
 * vector at the first instruction) and the one kvm_pvm gives (the
 * instruction runs, the UD2 after it faults). Either passes; the kvm_pvm
 * one only under kvm_pvm, printed as XFAIL. These are real divergences
 * exitdiff finds; the test pins down that the harness reports them as
 * they happen.
 */
static const struct knob_row {
	const char *id;
	uint32_t knobs;
	uint8_t code[8];
	uint8_t len;
	uint8_t vector, has_err;      /* architectural */
	uint8_t pvm_vector, pvm_off;  /* kvm_pvm: vector, faulting RIP - CODE */
	uint64_t pvm_rip;             /* kvm_pvm absolute RIP when nonzero */
} knob_rows[] = {
	/* rdtsc ; ud2   0f 31 0f 0b */
	{ "cpl3-tsd-rdtsc", KNOB_CPL3 | KNOB_CR4_TSD, { 0x0f, 0x31, 0x0f, 0x0b }, 4, 13, 1, 6, 2, 0 },
	/* movaps xmm0, xmm1 ; ud2   0f 28 c1 0f 0b */
	{ "cpl3-ts-movaps", KNOB_CPL3 | KNOB_CR0_TS, { 0x0f, 0x28, 0xc1, 0x0f, 0x0b }, 5, 7, 0, 6, 3, 0 },
	{ "cpl3-no-osfxsr-movaps", KNOB_CPL3 | KNOB_NO_OSFXSR, { 0x0f, 0x28, 0xc1, 0x0f, 0x0b }, 5, 6, 0, 6, 3, 0 },
	{ "cpl3-em-movaps", KNOB_CPL3 | KNOB_CR0_EM, { 0x0f, 0x28, 0xc1, 0x0f, 0x0b }, 5, 6, 0, 6, 3, 0 },
	/* rdfsbase rax ; ud2   f3 48 0f ae c0 0f 0b (no cr4.fsgsbase) */
	{ "cpl3-rdfsbase", KNOB_CPL3, { 0xf3, 0x48, 0x0f, 0xae, 0xc0, 0x0f, 0x0b }, 7, 6, 0, 6, 5, 0 },
	/* xgetbv ; ud2   0f 01 d0 0f 0b (no cr4.osxsave) */
	{ "cpl3-xgetbv", KNOB_CPL3, { 0x0f, 0x01, 0xd0, 0x0f, 0x0b }, 5, 6, 0, 6, 3, 0 },
	/* syscall   0f 05 (no-sce): kvm_pvm runs it, to LSTAR = 0: #PF there */
	{ "cpl3-no-sce-syscall", KNOB_CPL3 | KNOB_NO_SCE, { 0x0f, 0x05 }, 2, 6, 0, 14, 0, 0 },
	/* sgdt [rbx] ; ud2   0f 01 03 0f 0b: UMIP is honoured: #GP(0) */
	{ "cpl3-umip-sgdt", KNOB_CPL3 | KNOB_CR4_UMIP, { 0x0f, 0x01, 0x03, 0x0f, 0x0b }, 5, 13, 1, 13, 0, 0 },
};

static void cpl3_knob_rows(void)
{
	for (unsigned i = 0; i < sizeof(knob_rows) / sizeof(knob_rows[0]); i++) {
		const struct knob_row *r = &knob_rows[i];
		start(r->id, MODE_LONG64, r->knobs, r->code, r->len);
		tc.gpr[RBX] = LAYOUT_DATA;
		const struct exit_event *e = go();
		uint64_t pvm_rip = r->pvm_vector == 14 ? 0 : LAYOUT_CODE + r->pvm_off;
		if (e->kind == EXIT_EXCEPTION && e->addr == r->vector && e->rip == LAYOUT_CODE) {
			want_exception(e, r->vector, r->has_err, 0, LAYOUT_CODE);
		} else if (is_pvm() && e->kind == EXIT_EXCEPTION && e->addr == r->pvm_vector &&
			   e->rip == pvm_rip) {
			printf("XFAIL: %s: kvm_pvm ignores the knob at CPL3: vector %u at rip 0x%llx "
			       "(architecturally vector %u at 0x%x); rax 0x%llx\n", r->id, r->pvm_vector,
			       (unsigned long long)e->rip, r->vector, LAYOUT_CODE,
			       (unsigned long long)out.state.gpr[RAX]);
			want_u64(out.state.cs, SEL_UCODE64, "still CPL3 at the fault");
		} else {
			CHECK(0, "%s: wanted vector %u at 0x%x (or under kvm_pvm %u at 0x%llx), got %s vector %llu at 0x%llx",
			      r->id, r->vector, LAYOUT_CODE, r->pvm_vector, (unsigned long long)pvm_rip,
			      exit_kind_name((enum exit_kind)e->kind), (unsigned long long)e->addr,
			      (unsigned long long)e->rip);
		}
	}
}

/* A CR4 knob KVM refuses (simulated: this KVM takes them all) is an error
 * naming the case and the knob to blame, every time, and the executor goes
 * on. Runs before any case used cr4.smap, so nothing is cached for it. */
static void refused_knob(void)
{
	struct kvm_ctx *k = ex.priv;
	k->test_refuse_cr4 = 1ull << 21; /* CR4.SMAP */
	for (int i = 0; i < 2; i++) {
		start("refused-smap", MODE_LONG64, KNOB_CR4_SMAP | KNOB_CR4_UMIP, CODE(0xf4));
		int rc = ex.ops->run(&ex, &tc, &out);
		printf("info: %s\n", ex.err);
		CHECK(rc < 0 && strstr(ex.err, "case refused-smap: KVM refuses cr4.smap in mode long64") &&
		      !strstr(ex.err, "umip") && strstr(ex.err, "CR4=0x200e20"),
		      "refused knob: error names the case and cr4.smap alone (try %d)", i + 1);
	}
	k->test_refuse_cr4 = 0;
	kvm_tmpl_reset(k); /* forget the simulated refusals (smap alone too) */
	start("accepted-umip", MODE_LONG64, KNOB_CR4_UMIP, CODE(0xf4));
	want_kind(go(), EXIT_HLT, "umip alone still runs");
	long64_after("refused");
}

static void knob_cases(void)
{
	/* movaps xmm0, xmm1 ; hlt   0f 28 c1 ; f4 with CR0.TS: #NM (SDM 3A 2.5) */
	static const enum cpu_mode modes[] = { MODE_LONG64, MODE_PROT32, MODE_REAL16 };
	for (unsigned i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		char id[64];
		snprintf(id, sizeof(id), "%s-cr0ts-movaps", mode_name(modes[i]));
		start(id, modes[i], KNOB_CR0_TS, CODE(0x0f, 0x28, 0xc1, 0xf4));
		const struct exit_event *e = go();
		want_exception(e, 7, 0, 0, modes[i] == MODE_REAL16 ? 0 : LAYOUT_CODE);
		want_u64(out.state.cr0 & 8, 8, "cr0.TS set");
	}
	/* Without the knob the same instruction runs. */
	start("long64-movaps", MODE_LONG64, 0, CODE(0x0f, 0x28, 0xc1, 0xf4));
	want_kind(go(), EXIT_HLT, "hlt");
	want_u64(out.state.cr0 & 8, 0, "cr0.TS clear again");

	/* no-osfxsr: movaps -> #UD */
	start("prot32-no-osfxsr", MODE_PROT32, KNOB_NO_OSFXSR, CODE(0x0f, 0x28, 0xc1, 0xf4));
	want_exception(go(), 6, 0, 0, LAYOUT_CODE);

	/* no-sce: syscall   0f 05 -> #UD (CPL0: KVM's emulator checks it) */
	start("long64-no-sce", MODE_LONG64, KNOB_NO_SCE, CODE(0x0f, 0x05));
	want_exception(go(), 6, 0, 0, LAYOUT_CODE);
	want_u64(out.state.efer & 1, 0, "efer.SCE clear");

	/* xgetbv at CPL0: 0f 01 d0 ; hlt. KVM's emulator has no XGETBV: an
	 * emulation failure under kvm_pvm, #UD without cr4.osxsave else. */
	start("long64-xgetbv", MODE_LONG64, 0, CODE(0x0f, 0x01, 0xd0, 0xf4));
	const struct exit_event *e = go();
	if (is_pvm() && e->kind == EXIT_INTERNAL_ERROR) {
		printf("XFAIL: %s: kvm_pvm: emulation failure for XGETBV at CPL0\n", tc.id);
		want_u64(e->addr, KVM_INTERNAL_ERROR_EMULATION, "suberror emulation");
	} else {
		want_exception(e, 6, 0, 0, LAYOUT_CODE);
	}
	cpl3_knob_rows();

	/* Every knob alone in every mode it applies to: accepted (HLT) or
	 * refused with an error naming the case and the knob. This KVM
	 * accepts them all (docs/harness.md); another may not. */
	unsigned refused = 0;
	for (unsigned i = 0; i < knob_def_count; i++) {
		const struct knob_def *kd = &knob_defs[i];
		for (unsigned m = 0; m < MODE_COUNT; m++) {
			/* Paging outside long mode: paged_legacy_cases(). */
			if (!(kd->modes & (1u << m)) || m == MODE_PROT32PG || m == MODE_PROT32PAE)
				continue;
			char id[64];
			snprintf(id, sizeof(id), "knob-%s-%s", kd->name, mode_name((enum cpu_mode)m));
			start(id, (enum cpu_mode)m, kd->bit, CODE(0x90, 0xf4));
			int rc = ex.ops->run(&ex, &tc, &out);
			if (rc == 0) {
				const struct exit_event *t = outcome_terminal(&out);
				/* v86 runs at CPL3 whatever the knob. */
				int cpl3 = kd->bit == KNOB_CPL3 || m == MODE_V86;
				printf("info: knob %-12s %-8s accepted\n", kd->name, mode_name((enum cpu_mode)m));
				CHECK(t && t->kind == (cpl3 ? EXIT_EXCEPTION : EXIT_HLT),
				      "%s: ends in %s", id, cpl3 ? "#GP (hlt at CPL3)" : "hlt");
			} else {
				refused++;
				printf("info: knob %-12s %-8s refused: %s\n", kd->name,
				       mode_name((enum cpu_mode)m), ex.err);
				CHECK(strstr(ex.err, id) && strstr(ex.err, kd->name),
				      "%s: the error names the case and the knob", id);
			}
		}
	}
	if (is_pvm())
		CHECK_EQ_U64(refused, 0, "knobs refused alone by kvm_pvm (it accepted all when measured)");
	/* A knob outside its modes is an error naming the case, not a crash. */
	start("real16-cpl3", MODE_REAL16, KNOB_CPL3, CODE(0xf4));
	CHECK(ex.ops->run(&ex, &tc, &out) < 0 && strstr(ex.err, "real16-cpl3") &&
	      strstr(ex.err, "cpl3"), "knob cpl3 in real16 refused: %s", ex.err);
	long64_after("knobs");
}

/* compat32: CS 0x28 (L=0) under EFER.LMA. 0x40 is INC EAX here (a REX
 * prefix in 64-bit code), a far JMP to 0x08 runs 64-bit code, RETFQ comes
 * back, and exceptions arrive through the 64-bit IDT's IST1 frame. */
static void compat32_cases(void)
{
	/* inc eax ; mov ebx, 0x12000 ; jmp far 0x08:0x10020 ; hlt padding
	 * 0x10020: shl rax, 32 ; mov [rbx], rax ; push 0x28 ; push 0x10040 ;
	 * retfq ; hlt padding ; 0x10040: inc eax ; hlt */
	static const uint8_t to64[] = { 0x40, 0xbb, 0x00, 0x20, 0x01, 0x00,
					0xea, 0x20, 0x00, 0x01, 0x00, 0x08, 0x00 };
	static const uint8_t in64[] = { 0x48, 0xc1, 0xe0, 0x20, 0x48, 0x89, 0x03, 0x6a, 0x28,
					0x68, 0x40, 0x00, 0x01, 0x00, 0x48, 0xcb };
	static const uint8_t back[] = { 0x40, 0xf4 };
	uint8_t far[0x42];
	memset(far, 0xf4, sizeof(far));
	memcpy(far, to64, sizeof(to64));
	memcpy(far + 0x20, in64, sizeof(in64));
	memcpy(far + 0x40, back, sizeof(back));
	start("compat32-far-64-and-back", MODE_COMPAT32, 0, far, sizeof(far));
	tc.gpr[RAX] = 0x12345677;
	const struct exit_event *e = go();
	want_kind(e, EXIT_HLT, "hlt");
	want_u64(e->rip, LAYOUT_CODE + 0x42, "hlt rip back in compat32");
	want_u64(out.state.cs, SEL_CODE32, "cs 0x28 after RETFQ");
	want_u64(out.state.gpr[RAX], 1, "eax: INC EAX after SHL RAX, 32 left 0 in the low half");
	want_u64(mem32(LAYOUT_DATA + 4), 0x12345678, "upper half of RAX stored by 64-bit code");
	want_u64(out.state.efer & 0x500, 0x500, "efer LME|LMA");
	want_u64(out.state.gpr[RSP], LAYOUT_STACK_TOP, "rsp after RETFQ");

	/* inc eax ; ud2 */
	start("compat32-ud2", MODE_COMPAT32, 0, CODE(0x40, 0x0f, 0x0b));
	e = go();
	want_exception(e, 6, 0, 0, LAYOUT_CODE + 1);
	want_u64(out.state.gpr[RAX], 1, "eax (0x40 is INC EAX)");
	want_u64(out.state.cs, SEL_CODE32, "cs from the IST1 frame");
	want_u64(out.state.gpr[RSP], LAYOUT_STACK_TOP, "rsp from the IST1 frame");

	/* mov eax, [0x11000]: unmapped under long mode's paging */
	start("compat32-pf", MODE_COMPAT32, 0, CODE(0xa1, 0x00, 0x10, 0x01, 0x00, 0xf4));
	e = go();
	want_exception(e, 14, 1, 0, LAYOUT_CODE);
	want_u64(e->cr2, 0x11000, "cr2");
	system_area_unchanged();
	long64_after("compat32");
}

/* A mode with paging outside long mode (prot32-paged, prot32-pae): it
 * runs, or this KVM shuts the vCPU down (kvm_pvm: measured), and either
 * way it is an outcome and every mode runs after it. tag names the ids. */
static void paged_legacy_cases(enum cpu_mode m, const char *tag)
{
	char id[64], after[64];
	const char *mn = mode_name(m);
	/* mov eax, 0x12345678 ; hlt   b8 78 56 34 12 ; f4 */
	snprintf(id, sizeof(id), "%s-hlt", tag);
	start(id, m, 0, CODE(0xb8, 0x78, 0x56, 0x34, 0x12, 0xf4));
	int rc = ex.ops->run(&ex, &tc, &out);
	const struct exit_event *t = rc == 0 ? outcome_terminal(&out) : NULL;
	printf("info: %s on this KVM: rc %d %s, terminal %s addr 0x%llx, %u events, rip 0x%llx eax 0x%llx\n",
	       mn, rc, rc ? ex.err : "", t ? exit_kind_name((enum exit_kind)t->kind) : "-",
	       t ? (unsigned long long)t->addr : 0ull, out.n_events,
	       (unsigned long long)out.state.rip, (unsigned long long)out.state.gpr[RAX]);
	CHECK(rc == 0 && t, "%s: an outcome, not an executor error", mn);
	if (t && t->kind == EXIT_HLT) {
		want_u64(out.state.gpr[RAX], 0x12345678, "eax");
	} else if (t) {
		CHECK(t->kind == EXIT_SHUTDOWN, "%s: the vCPU shuts down (kvm_pvm; got %s)", mn,
		      exit_kind_name((enum exit_kind)t->kind));
	}
	long64_after(tag);
	/* And the other modes still run after it. */
	snprintf(after, sizeof(after), "prot32-after-%s", tag);
	start(after, MODE_PROT32, 0, CODE(0xb8, 0x78, 0x56, 0x34, 0x12, 0xf4));
	want_kind(go(), EXIT_HLT, "hlt");
	want_u64(out.state.gpr[RAX], 0x12345678, "eax");
	snprintf(id, sizeof(id), "%s-again", tag);
	start(id, m, 0, CODE(0xf4));
	rc = ex.ops->run(&ex, &tc, &out);
	CHECK(rc == 0, "%s runs again (%s)", mn, rc ? ex.err : "ok");
	snprintf(after, sizeof(after), "real16-after-%s", tag);
	start(after, MODE_REAL16, 0, CODE(0xb8, 0x34, 0x12, 0xf4));
	want_kind(go(), EXIT_HLT, "hlt");
	want_u64(out.state.gpr[RAX] & 0xffff, 0x1234, "ax");
	long64_after(id);
}

/* v86: a KVM that runs virtual-8086 mode delivers the HLT's #GP(0) to
 * CPL0 with the 9-slot v86 frame (SDM Vol. 3B 20.3.1.1), which the reader
 * takes back to IP 3 with VM set. kvm_pvm drops RFLAGS.VM at KVM_SET_REGS
 * (measured) and runs the code as 16-bit protected mode at CPL3: the HLT
 * still raises #GP(0), through a 5-slot frame the reader leaves alone.
 * Either way an outcome, and the other modes run after it. */
static void v86_cases(void)
{
	/* mov ax, 0x1234 ; hlt   b8 34 12 ; f4 */
	start("v86-hlt", MODE_V86, 0, CODE(0xb8, 0x34, 0x12, 0xf4));
	tc.gpr[RSP] = 0x6000;
	const struct exit_event *t = go();
	want_kind(t, EXIT_EXCEPTION, "exception");
	want_u64(t->addr, 13, "#GP");
	want_u64(out.state.gpr[RAX] & 0xffff, 0x1234, "ax");
	if (out.state.rflags & RFLAGS_VM) {
		want_u64(t->rip, 3, "ip of the HLT from the v86 frame");
		want_u64(out.state.cs, REAL_SEG, "cs from the v86 frame");
		want_u64(out.state.gpr[RSP], 0x6000, "sp from the v86 frame");
	} else {
		CHECK(is_pvm(), "v86-hlt: VM clear at the exception outside kvm_pvm (rip 0x%llx)",
		      (unsigned long long)out.state.rip);
		printf("XFAIL: v86-hlt: kvm_pvm dropped RFLAGS.VM: #GP(0) from 16-bit protected mode "
		       "at CPL3, stub state rip 0x%llx cs 0x%x esp 0x%llx\n",
		       (unsigned long long)out.state.rip, out.state.cs,
		       (unsigned long long)out.state.gpr[RSP]);
		want_u64(out.state.cs, SEL_CODE32, "the stub's CS");
		want_u64(out.state.gpr[RSP], LAYOUT_IST_TOP - 24,
			 "ESP0 minus error code, EIP, CS, EFLAGS, ESP, SS");
	}
	/* mov al, 0x5a ; out 0x40, al ; hlt   b0 5a ; e6 40 ; f4: port 0x40
	 * is allowed by the TSS bitmap, which v86 consults whatever IOPL is,
	 * and which protected mode at CPL3 > IOPL consults as well. */
	start("v86-out-0x40", MODE_V86, 0, CODE(0xb0, 0x5a, 0xe6, 0x40, 0xf4));
	tc.gpr[RSP] = 0x6000;
	t = go();
	want_event(0, EXIT_IO, DIR_OUT, 1, 0x40, 0x5a);
	want_kind(t, EXIT_EXCEPTION, "exception");
	long64_after("v86");
	start("real16-after-v86", MODE_REAL16, 0, CODE(0xb8, 0x34, 0x12, 0xf4));
	want_kind(go(), EXIT_HLT, "hlt");
	start("prot32-after-v86", MODE_PROT32, 0, CODE(0xb8, 0x78, 0x56, 0x34, 0x12, 0xf4));
	want_kind(go(), EXIT_HLT, "hlt");
	want_u64(out.state.cs, SEL_CODE32, "cs");
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* Runaway cases in every mode: `jmp $` ends in HANG within the budget
 * (KVM's emulator runs 16/32-bit code, the watchdog must still get it
 * out), an OUT loop fills the trace, and the next case is clean. */
static void budget_cases(void)
{
	static const enum cpu_mode modes[] = { MODE_LONG64, MODE_PROT32, MODE_REAL16 };
	for (unsigned i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		char id[64];
		snprintf(id, sizeof(id), "%s-jmp-self", mode_name(modes[i]));
		start(id, modes[i], 0, CODE(0xeb, 0xfe)); /* jmp $   eb fe */
		double t0 = now_s();
		const struct exit_event *e = go();
		double ms = (now_s() - t0) * 1e3;
		want_kind(e, EXIT_HANG, "hang");
		want_u64(e->rip, out.state.rip, "the hang names the RIP the vCPU stays on");
		CHECK(ms < 500, "%s: ended in %.1f ms (budget %u us + watchdog %u us, with extensions)",
		      id, ms, KVM_TIME_BUDGET_US, KVM_WATCHDOG_PERIOD_US);

		/* l: out 0x80, al ; jmp l   e6 80 ; eb fc */
		snprintf(id, sizeof(id), "%s-out-loop", mode_name(modes[i]));
		start(id, modes[i], 0, CODE(0xe6, 0x80, 0xeb, 0xfc));
		tc.gpr[RAX] = 0x42;
		e = go();
		want_kind(e, EXIT_TIMEOUT, "timeout");
		want_u64(e->addr, 1, "event budget");
		want_u64(out.n_events, TRACE_MAX, "a full trace");
		want_event(TRACE_MAX - 2, EXIT_IO, DIR_OUT, 1, 0x80, 0x42);
		/* The pending OUT must not complete into this next case. */
		long64_after(id);
	}
}

/* cases/s per mode through ops.run, and the sregs fast path: a run of
 * cases in one mode never re-sets sregs (prot32-paged and CPL3: every
 * time, see below). Figures for docs/harness.md; the time is info only. */
static void bench_modes(void)
{
	struct kvm_ctx *k = ex.priv;
	static const struct {
		enum cpu_mode mode;
		uint32_t knobs;
		const char *what;
		uint8_t code[12];
		uint8_t len;
	} rows[] = {
		{ MODE_LONG64, 0, "hlt", { 0xf4 }, 1 },
		{ MODE_PROT32, 0, "hlt", { 0xf4 }, 1 },
		{ MODE_PROT32PG, 0, "hlt (shutdown)", { 0xf4 }, 1 },
		{ MODE_REAL16, 0, "hlt", { 0xf4 }, 1 },
		{ MODE_LONG64, KNOB_CPL3, "ud2 (cpl3)", { 0x0f, 0x0b }, 2 },
		/* mov eax, 1 ; add eax, ebx ; out 0x80, al ; hlt */
		{ MODE_LONG64, 0, "mov-add-out-hlt", { 0xb8, 1, 0, 0, 0, 0x01, 0xd8, 0xe6, 0x80, 0xf4 }, 10 },
		{ MODE_PROT32, 0, "mov-add-out-hlt", { 0xb8, 1, 0, 0, 0, 0x01, 0xd8, 0xe6, 0x80, 0xf4 }, 10 },
		/* mov ax, 1 ; add ax, bx ; out 0x80, al ; hlt */
		{ MODE_REAL16, 0, "mov-add-out-hlt", { 0xb8, 1, 0, 0x01, 0xd8, 0xe6, 0x80, 0xf4 }, 8 },
		/* mov ecx, 1000 ; loop $ ; hlt  (real16: a32 loop) */
		{ MODE_LONG64, 0, "loop x1000", { 0xb9, 0xe8, 0x03, 0, 0, 0xe2, 0xfe, 0xf4 }, 8 },
		{ MODE_PROT32, 0, "loop x1000", { 0xb9, 0xe8, 0x03, 0, 0, 0xe2, 0xfe, 0xf4 }, 8 },
		{ MODE_REAL16, 0, "loop x1000", { 0x66, 0xb9, 0xe8, 0x03, 0, 0, 0x67, 0xe2, 0xfd, 0xf4 }, 10 },
	};
	for (unsigned i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		start("bench", rows[i].mode, rows[i].knobs, rows[i].code, rows[i].len);
		if (ex.ops->run(&ex, &tc, &out) < 0) { /* warm: template built */
			CHECK(0, "bench %s %s: %s", mode_name(rows[i].mode), rows[i].what, ex.err);
			continue;
		}
		uint64_t sets0 = k->sregs_sets, ev0 = k->events_sets, rs0 = k->restores;
		unsigned n = 0;
		double t0 = now_s(), t;
		do {
			for (int j = 0; j < 64; j++, n++)
				if (ex.ops->run(&ex, &tc, &out) < 0)
					break;
			t = now_s() - t0;
		} while (t < 0.25);
		uint64_t sets = k->sregs_sets - sets0;
		printf("bench: %-8s %-18s %8.0f cases/s (%7.2f us/case) sregs set %llu, events set %llu, restores %llu of %u, ends %s\n",
		       mode_name(rows[i].mode), rows[i].what, n / t, t / n * 1e6,
		       (unsigned long long)sets, (unsigned long long)(k->events_sets - ev0),
		       (unsigned long long)(k->restores - rs0), n,
		       exit_kind_name((enum exit_kind)outcome_terminal(&out)->kind));
		/* prot32-paged re-sets by design; a CPL3 case ends in a
		 * CPL0 stub, so its CS/SS differ from the template. */
		if (!k->have_sync)
			continue; /* the ioctl fallback sets sregs every case */
		if (rows[i].mode == MODE_PROT32PG || rows[i].knobs & KNOB_CPL3)
			CHECK(sets == n, "bench %s %s: sregs set for every case (%llu of %u)",
			      mode_name(rows[i].mode), rows[i].what, (unsigned long long)sets, n);
		else
			CHECK(sets == 0, "bench %s %s: sregs never re-set within one mode (%llu of %u)",
			      mode_name(rows[i].mode), rows[i].what, (unsigned long long)sets, n);
	}
}

int main(void)
{
	SKIP_WITHOUT_KVM();
	ex.ops = &kvm_executor_ops;
	if (ex.ops->init(&ex, ex.err, sizeof(ex.err)) < 0) {
		printf("FAILED: init: %s\n", ex.err);
		return 1;
	}
	layout_build(pristine);
	prot32_cases();
	real16_cases();
	refused_knob();
	cpl3_cases();
	knob_cases();
	paged_legacy_cases(MODE_PROT32PG, "prot32pg");
	paged_legacy_cases(MODE_PROT32PAE, "prot32pae");
	compat32_cases();
	v86_cases();
	budget_cases();
	bench_modes();
	const struct kvm_ctx *k = ex.priv;
	printf("counters: cases=%llu sregs_sets=%llu tmpl_builds=%llu vm_rebuilds=%llu\n",
	       (unsigned long long)k->cases, (unsigned long long)k->sregs_sets,
	       (unsigned long long)k->tmpl_builds, (unsigned long long)k->vm_rebuilds);
	CHECK_EQ_U64(k->vm_rebuilds, 0, "no VM rebuild needed");
	ex.ops->fini(&ex);
	return check_done("test_kvm_modes");
}
