/* The reference in every CPU mode (real16, prot32, prot32-paged, long64
 * with knobs, compat32), run as whole cases through ref_executor_ops: exact events,
 * end state and stack frames. Expected values are worked out by hand from
 * the SDM, layout.h and mode.h (the IVT sends vector v to 0x300:v, the
 * IDT32 to 0x28:0x3000+v, both HLT stubs). */
#include <string.h>
#include "outcome_check.h"
#include "ref_internal.h"
#include "knobs.h"

static struct executor ex;
static struct outcome out;
static struct test_case tc;


static void start(enum cpu_mode m, uint32_t knobs)
{
	case_init(&tc);
	tc.mode = (uint8_t)m;
	tc.knobs = knobs;
}

static void go(const char *name, const uint8_t *code, unsigned n)
{
	oc_run_code(&ex, &tc, &out, name, code, n);
}

static const struct exit_event *ev(unsigned i)
{
	static const struct exit_event none = { .kind = 0xff };
	return i < out.n_events ? &out.events[i] : &none;
}

/* n (<= 8) bytes at gpa, little-endian. */
static uint64_t mem_le(uint64_t gpa, unsigned n)
{
	uint64_t v = 0;
	for (unsigned i = 0; i < n; i++)
		v |= (uint64_t)out.mem[gpa - LAYOUT_CMP_BASE + i] << (8 * i);
	return v;
}

static void real_mode(void)
{
	start(MODE_REAL16, 0);
	go("mov ax, 0x1234; add ax, 1; hlt", B(0xb8, 0x34, 0x12, 0x05, 0x01, 0x00, 0xf4));
	oc_want_hlt(&out, 7);
	CHECK_EQ_U64(out.state.gpr[RAX], 0x1235, "ax");
	CHECK_EQ_U64(out.state.cs, REAL_SEG, "cs");

	start(MODE_REAL16, 0);
	go("mov al, 0x5a; out 0x80, al; hlt", B(0xb0, 0x5a, 0xe6, 0x80, 0xf4));
	CHECK_EQ_U64(out.n_events, 2, "two events");
	CHECK_EQ_U64(ev(0)->kind, EXIT_IO, "io");
	CHECK_EQ_U64(ev(0)->addr, 0x80, "port");
	CHECK_EQ_U64(ev(0)->data, 0x5a, "data");
	oc_want_hlt(&out, 5);

	start(MODE_REAL16, 0);
	go("ud2: frame IP CS FLAGS on SS:SP", B(0x0f, 0x0b));
	oc_want_exc(&out, 6, 0, 0, 0);
	CHECK_EQ_U64(out.state.cs, REAL_SEG, "cs from the frame");
	CHECK_EQ_U64(out.state.gpr[RSP], 0x16000, "sp back above the frame");
	CHECK_EQ_U64(mem_le(0x15ffa, 2), 0, "frame ip");
	CHECK_EQ_U64(mem_le(0x15ffc, 2), REAL_SEG, "frame cs");
	CHECK_EQ_U64(mem_le(0x15ffe, 2), 0x2, "frame flags");

	start(MODE_REAL16, 0);
	go("mov ax, [0xffff]: a word at the segment end is #GP", B(0xa1, 0xff, 0xff));
	oc_want_exc(&out, 13, 0, 0, 0);

	start(MODE_REAL16, 0);
	go("mov ax, [bp-1]: SS-relative word at 0xffff is #SS", B(0x8b, 0x46, 0xff));
	oc_want_exc(&out, 12, 0, 0, 0);
	CHECK_EQ_U64(out.state.gpr[RSP], 0x16000, "sp back above the frame");

	start(MODE_REAL16, 0);
	tc.gpr[RBX] = 0xffff;
	tc.gpr[RSI] = 1;
	go("mov al, [bx+si]: the 16-bit offset wraps to 0 (the first code byte)",
	   B(0x8a, 0x00, 0xf4));
	oc_want_hlt(&out, 3);
	CHECK_EQ_U64(out.state.gpr[RAX], 0x8a, "al = code byte at offset 0");

	start(MODE_REAL16, 0);
	tc.data_len = 1;
	tc.data[0] = 0xa5;
	go("mov ax, 0x1200; mov ds, ax; mov al, [0]: DS base 0x12000",
	   B(0xb8, 0x00, 0x12, 0x8e, 0xd8, 0xa0, 0x00, 0x00, 0xf4));
	oc_want_hlt(&out, 9);
	CHECK_EQ_U64(out.state.gpr[RAX], 0x12a5, "al from the data page");
	CHECK_EQ_U64(out.state.ds, 0x1200, "ds");

	start(MODE_REAL16, 0);
	go("call far 0x1000:6; hlt; retf",
	   B(0x9a, 0x06, 0x00, 0x00, 0x10, 0xf4, 0xcb));
	oc_want_hlt(&out, 6);
	CHECK_EQ_U64(out.state.gpr[RSP], 0x16000, "sp balanced");
	CHECK_EQ_U64(mem_le(0x15ffc, 2), 5, "pushed ip");
	CHECK_EQ_U64(mem_le(0x15ffe, 2), REAL_SEG, "pushed cs");

	start(MODE_REAL16, 0);
	go("mov al, [0xffff]: the byte at 0x1ffff is above RAM (MMIO)",
	   B(0xa0, 0xff, 0xff, 0xf4));
	CHECK_EQ_U64(ev(0)->kind, EXIT_MMIO, "mmio");
	CHECK_EQ_U64(ev(0)->addr, 0x1ffff, "gpa");
	CHECK_EQ_U64(ev(0)->dir, DIR_IN, "read");
	oc_want_hlt(&out, 4);
	CHECK_EQ_U64(out.state.gpr[RAX] & 0xff, 0xff, "al = MMIO answer");

	start(MODE_REAL16, 0);
	go("mov ds, 0; mov byte [0x3000], 0x90: read-only memslot, an MMIO write",
	   B(0x31, 0xc0, 0x8e, 0xd8, 0xc6, 0x06, 0x00, 0x30, 0x90, 0xf4));
	CHECK_EQ_U64(ev(0)->kind, EXIT_MMIO, "mmio");
	CHECK_EQ_U64(ev(0)->addr, 0x3000, "gpa");
	CHECK_EQ_U64(ev(0)->dir, DIR_OUT, "write");
	CHECK_EQ_U64(ev(0)->data, 0x90, "data");
	oc_want_hlt(&out, 10);
	CHECK_EQ_U64(out.state.ds, 0, "ds");

	start(MODE_REAL16, 0);
	go("jmp 0x1001:0x0005 lands on HLT padding at 0x10015", B(0xea, 0x05, 0x00, 0x01, 0x10));
	oc_want_hlt(&out, 6);
	CHECK_EQ_U64(out.state.cs, 0x1001, "cs");

	start(MODE_REAL16, 0);
	go("int 0x21 through the IVT", B(0xcd, 0x21));
	oc_want_exc(&out, 0x21, 0, 0, 2);

	start(MODE_REAL16, 0);
	go("push 2; push cs; push 0x10; iret", B(0x6a, 0x02, 0x0e, 0x6a, 0x10, 0xcf));
	oc_want_hlt(&out, 0x11);
	CHECK_EQ_U64(out.state.gpr[RSP], 0x16000, "sp");
	CHECK_EQ_U64(out.state.rflags, 0x2, "flags");

	start(MODE_REAL16, 0);
	go("call +1; hlt; ret (16-bit near call/ret)",
	   B(0xe8, 0x01, 0x00, 0xf4, 0xc3));
	oc_want_hlt(&out, 4);
	CHECK_EQ_U64(out.state.gpr[RSP], 0x16000, "sp balanced");

	start(MODE_REAL16, 0);
	tc.data_len = 4;
	memcpy(tc.data, (uint8_t[]){ 0x78, 0x56, 0x00, 0x20 }, 4);
	go("les bx, [0x2000]", B(0xc4, 0x1e, 0x00, 0x20, 0xf4));
	oc_want_hlt(&out, 5);
	CHECK_EQ_U64(out.state.gpr[RBX], 0x5678, "bx");
	CHECK_EQ_U64(out.state.es, 0x2000, "es");

	start(MODE_REAL16, 0);
	tc.gpr[RAX] = 0x8000;
	tc.gpr[RDX] = 0x12345678;
	go("cwd in 16-bit code (Capstone 4 says cdq): DX only", B(0x99, 0xf4));
	oc_want_hlt(&out, 2);
	CHECK_EQ_U64(out.state.gpr[RDX], 0x1234ffff, "dx = sign of ax, upper half kept");

	start(MODE_REAL16, 0);
	tc.gpr[RSP] = 0x10001;
	go("ud2 with SP=1: #SS while pushing, #DF, shutdown", B(0x0f, 0x0b));
	CHECK_EQ_U64(oc_term(&out)->kind, EXIT_SHUTDOWN, "shutdown");
}

static void prot_mode(void)
{
	start(MODE_PROT32, 0);
	go("mov eax, 0x1234; add eax, 1; hlt",
	   B(0xb8, 0x34, 0x12, 0, 0, 0x83, 0xc0, 0x01, 0xf4));
	oc_want_hlt(&out, 0x10009);
	CHECK_EQ_U64(out.state.gpr[RAX], 0x1235, "eax");
	CHECK_EQ_U64(out.state.cs, SEL_CODE32, "cs");

	start(MODE_PROT32, 0);
	go("ud2: EIP CS EFLAGS on the stack", B(0x0f, 0x0b));
	oc_want_exc(&out, 6, 0, 0, 0x10000);
	CHECK_EQ_U64(out.state.gpr[RSP], 0x16000, "esp above the frame");
	CHECK_EQ_U64(mem_le(0x15ff4, 4), 0x10000, "frame eip");
	CHECK_EQ_U64(mem_le(0x15ff8, 4), SEL_CODE32, "frame cs");
	CHECK_EQ_U64(mem_le(0x15ffc, 4), 0x10002, "frame eflags (RF of a fault)");

	start(MODE_PROT32, 0);
	go("mov eax, [0xc0000000]; mov byte [0x3000], 1", B(0xa1, 0, 0, 0, 0xc0,
	   0xc6, 0x05, 0x00, 0x30, 0, 0, 0x01, 0xf4));
	CHECK_EQ_U64(ev(0)->kind, EXIT_MMIO, "mmio read");
	CHECK_EQ_U64(ev(0)->addr, LAYOUT_MMIO, "gpa");
	CHECK_EQ_U64(ev(1)->kind, EXIT_MMIO, "system-area write is MMIO");
	CHECK_EQ_U64(ev(1)->addr, 0x3000, "gpa");
	CHECK_EQ_U64(ev(1)->dir, DIR_OUT, "write");
	oc_want_hlt(&out, 0x1000d);
	CHECK_EQ_U64(out.state.gpr[RAX], 0xffffffff, "eax");

	start(MODE_PROT32, 0);
	go("mov ax, 0x18; mov ds, ax: a TSS is not data, #GP(0x18)",
	   B(0x66, 0xb8, 0x18, 0, 0x8e, 0xd8));
	oc_want_exc(&out, 13, 1, 0x18, 0x10004);

	start(MODE_PROT32, 0);
	go("mov ds, 0x0f (TI=1, RPL3): #GP(0xc)", B(0x66, 0xb8, 0x0f, 0, 0x8e, 0xd8));
	oc_want_exc(&out, 13, 1, 0xc, 0x10004);

	start(MODE_PROT32, 0);
	go("mov ss, 0: #GP(0)", B(0x66, 0xb8, 0x00, 0x00, 0x8e, 0xd0));
	oc_want_exc(&out, 13, 1, 0, 0x10004);

	start(MODE_PROT32, 0);
	go("xor eax, eax (AF undefined); ud2: the frame's FLAGS slot is masked",
	   B(0x31, 0xc0, 0x0f, 0x0b));
	oc_want_exc(&out, 6, 0, 0, 0x10002);
	CHECK(out.n_undefined_mem == 1 && out.undefined_mem[0].addr == 0x15ffc &&
	      out.undefined_mem[0].mask == RFLAGS_AF,
	      "one undefined-mem slot: AF of the EFLAGS image at 0x15ffc (n=%u addr=0x%x mask=0x%x)",
	      out.n_undefined_mem, out.undefined_mem[0].addr, out.undefined_mem[0].mask);

	start(MODE_PROT32, 0);
	tc.gpr[RSP] = 0x200000;
	go("xor eax, eax; ud2 with ESP above RAM: the FLAGS image would be MMIO data, unsupported",
	   B(0x31, 0xc0, 0x0f, 0x0b));
	CHECK_EQ_U64(oc_term(&out)->kind, EXIT_UNSUPPORTED, "unsupported");
	CHECK(strcmp(out.mnemonic, "undef-flags:frame") == 0, "mnemonic (got '%s')", out.mnemonic);

	start(MODE_LONG64, 0);
	go("xor eax, eax; pushfq; pop rbx: the image is masked, reading it back is unsupported",
	   B(0x31, 0xc0, 0x9c, 0x5b, 0xf4));
	CHECK_EQ_U64(oc_term(&out)->kind, EXIT_UNSUPPORTED, "unsupported at the pop");
	CHECK(strcmp(out.mnemonic, "undef-mem:pop") == 0, "mnemonic (got '%s')", out.mnemonic);

	start(MODE_LONG64, 0);
	go("xor eax, eax; pushfq; mov qword [rsp], 0: the store defines the bytes again",
	   B(0x31, 0xc0, 0x9c, 0x48, 0xc7, 0x04, 0x24, 0, 0, 0, 0, 0xf4));
	oc_want_hlt(&out, 0x1000c);
	CHECK(out.n_undefined_mem == 1 && out.undefined_mem[0].mask == 0,
	      "the slot's mask is cleared by the overwrite (mask=0x%x)", out.undefined_mem[0].mask);

	start(MODE_PROT32, 0);
	go("mov ds, 0; mov eax, [0x12000]: null DS, #GP(0)",
	   B(0x66, 0xb8, 0x00, 0x00, 0x8e, 0xd8, 0xa1, 0x00, 0x20, 0x01, 0x00));
	oc_want_exc(&out, 13, 1, 0, 0x10006);
	CHECK_EQ_U64(out.state.ds, 0, "ds null");

	start(MODE_PROT32, 0);
	go("mov ds, 0x33 (DPL3 data at CPL0); mov eax, [0x12000]",
	   B(0xb8, 0x33, 0, 0, 0, 0x8e, 0xd8, 0xa1, 0x00, 0x20, 0x01, 0x00, 0xf4));
	oc_want_hlt(&out, 0x1000d);
	CHECK_EQ_U64(out.state.ds, SEL_UDATA, "ds");
	CHECK_EQ_U64(out.state.gpr[RAX], 0, "eax");

	start(MODE_PROT32, 0);
	go("jmp 0x08:0x10007 (D=0: 16-bit code); mov ax, 0x1234; hlt",
	   B(0xea, 0x07, 0x00, 0x01, 0x00, 0x08, 0x00, 0xb8, 0x34, 0x12));
	oc_want_hlt(&out, 0x1000b);
	CHECK_EQ_U64(out.state.cs, SEL_CODE64, "cs");
	CHECK_EQ_U64(out.state.gpr[RAX], 0x1234, "ax");

	start(MODE_PROT32, 0);
	go("int 0x21 through the IDT32", B(0xcd, 0x21));
	oc_want_exc(&out, 0x21, 0, 0, 0x10002);
	CHECK_EQ_U64(mem_le(0x15ffc, 4), 0x2, "frame eflags (no RF for a trap)");

	start(MODE_PROT32, 0);
	go("push 2; push cs; push 0x10010; iretd",
	   B(0x6a, 0x02, 0x0e, 0x68, 0x10, 0x00, 0x01, 0x00, 0xcf));
	oc_want_hlt(&out, 0x10011);
	CHECK_EQ_U64(out.state.gpr[RSP], 0x16000, "esp");

	start(MODE_PROT32, 0);
	go("pushad; popad", B(0x60, 0x61, 0xf4));
	oc_want_hlt(&out, 0x10003);
	CHECK_EQ_U64(out.state.gpr[RSP], 0x16000, "esp");
	CHECK_EQ_U64(mem_le(0x15fec, 4), 0x16000, "the pushed ESP");

	start(MODE_PROT32, 0);
	tc.gpr[RSP] = 2;
	tc.gpr[RAX] = 0x11223344;
	go("push eax with ESP=2 wraps at 4 GiB: implementation-specific, unsupported",
	   B(0x50, 0xf4));
	CHECK_EQ_U64(out.n_events, 1, "no access was made");
	CHECK_EQ_U64(oc_term(&out)->kind, EXIT_UNSUPPORTED, "unsupported");
	CHECK(strcmp(out.mnemonic, "wrap-4g") == 0, "mnemonic wrap-4g (got '%s')", out.mnemonic);
	CHECK_EQ_U64(out.state.gpr[RSP], 2, "esp unchanged");

	start(MODE_PROT32PG, 0);
	go("mov eax, [0x14000]: not present, #PF(0)", B(0xa1, 0x00, 0x40, 0x01, 0x00));
	oc_want_exc(&out, 14, 1, 0, 0x10000);
	CHECK_EQ_U64(oc_term(&out)->cr2, 0x14000, "cr2");
	CHECK_EQ_U64(mem_le(0x15ff0, 4), 0, "frame error code");

	start(MODE_PROT32PG, 0);
	go("mov [0x3000], al: read-only page with WP, #PF(P|W)", B(0xa2, 0x00, 0x30, 0, 0));
	oc_want_exc(&out, 14, 1, 3, 0x10000);

	start(MODE_PROT32PG, 0);
	tc.gpr[RSP] = 0x14010;
	go("ud2 with ESP on an unmapped page: #PF, #DF, shutdown", B(0x0f, 0x0b));
	CHECK_EQ_U64(oc_term(&out)->kind, EXIT_SHUTDOWN, "shutdown");
}

static void long_mode(void)
{
	start(MODE_LONG64, KNOB_CPL3);
	go("cpl3: hlt is #GP(0)", B(0xf4));
	oc_want_exc(&out, 13, 1, 0, 0x10000);
	CHECK_EQ_U64(out.state.cs, SEL_UCODE64, "cs");
	CHECK_EQ_U64(out.state.ss, SEL_UDATA, "ss");

	start(MODE_LONG64, KNOB_CPL3);
	go("cpl3: read of the IST page is #PF(P|U)",
	   B(0x48, 0x8b, 0x04, 0x25, 0x00, 0x70, 0x01, 0x00));
	oc_want_exc(&out, 14, 1, 5, 0x10000);
	CHECK_EQ_U64(oc_term(&out)->cr2, LAYOUT_IST, "cr2");

	start(MODE_LONG64, KNOB_CPL3);
	go("cpl3: write to the code page is allowed (U, W)",
	   B(0xc6, 0x05, 0x10, 0x00, 0x00, 0x00, 0x90, 0xf4));
	CHECK_EQ_U64(oc_term(&out)->kind, EXIT_EXCEPTION, "the HLT at CPL3 faults");
	CHECK_EQ_U64(mem_le(0x10017, 1), 0x90, "byte written");

	start(MODE_LONG64, KNOB_CPL3);
	go("cpl3: out is #GP(0) (IOPL 0, no bitmap)", B(0xe6, 0x80));
	oc_want_exc(&out, 13, 1, 0, 0x10000);
	CHECK_EQ_U64(out.n_events, 1, "no I/O event");

	start(MODE_LONG64, KNOB_CPL3);
	go("cpl3: int 0x21 is #GP(0x10a) (gate DPL0)", B(0xcd, 0x21));
	oc_want_exc(&out, 13, 1, 0x21 * 8 + 2, 0x10000);

	start(MODE_LONG64, KNOB_CPL3);
	go("cpl3: int3 goes through (gate DPL3)", B(0xcc));
	oc_want_exc(&out, 3, 0, 0, 0x10001);

	start(MODE_LONG64, 0);
	go("iretq from CPL0 to CPL3, then hlt there: #GP(0)",
	   B(0x6a, 0x33, 0x68, 0x00, 0x60, 0x01, 0x00, 0x6a, 0x02, 0x6a, 0x3b,
	     0x68, 0x20, 0x00, 0x01, 0x00, 0x48, 0xcf));
	oc_want_exc(&out, 13, 1, 0, 0x10020);
	CHECK_EQ_U64(out.state.cs, SEL_UCODE64, "cs");
	CHECK_EQ_U64(out.state.ss, SEL_UDATA, "ss");
	CHECK_EQ_U64(out.state.ds, 0, "ds nulled (DPL0 < CPL3)");
	CHECK_EQ_U64(out.state.gpr[RSP], 0x16000, "rsp");

	start(MODE_LONG64, KNOB_CR4_SMAP);
	go("cr4.smap: CPL0 read of a user page is #PF(P)",
	   B(0x8b, 0x04, 0x25, 0x00, 0x20, 0x01, 0x00));
	oc_want_exc(&out, 14, 1, 1, 0x10000);

	start(MODE_LONG64, 0);
	go("int 0x21 at CPL0", B(0xcd, 0x21));
	oc_want_exc(&out, 0x21, 0, 0, 0x10002);

	start(MODE_LONG64, 0);
	go("mov ax, 0x28; mov fs, ax; mov ax, fs", B(0x66, 0xb8, 0x10, 0x00, 0x8e, 0xe0,
	   0x8c, 0xe1, 0xf4));
	oc_want_hlt(&out, 0x10009);
	CHECK_EQ_U64(out.state.fs, SEL_DATA, "fs");
	CHECK_EQ_U64(out.state.gpr[RCX], SEL_DATA, "ecx");
}

/* compat32: 32-bit code (CS 0x28, L=0) under EFER.LMA. Worked out from
 * SDM Vol. 3A 5.2.1 (compatibility mode), 6.14 (64-bit mode exception
 * delivery, onto IST1: nothing lands on the case's stack) and Vol. 2A
 * IRET (IA-32e mode: SS:ESP is popped from 64-bit code or on a CPL
 * change, not by a same-level IRET in compatibility mode). */
static void compat_mode(void)
{
	uint8_t far[0x42];
	static const uint8_t to64[] = { 0x40, 0xbb, 0x00, 0x20, 0x01, 0x00,
					0xea, 0x20, 0x00, 0x01, 0x00, 0x08, 0x00 };
	static const uint8_t in64[] = { 0x48, 0xc1, 0xe0, 0x20, 0x48, 0x89, 0x03, 0x6a, 0x28,
					0x68, 0x40, 0x00, 0x01, 0x00, 0x48, 0xcb };
	memset(far, 0xf4, sizeof(far));
	memcpy(far, to64, sizeof(to64));
	memcpy(far + 0x20, in64, sizeof(in64));
	far[0x40] = 0x40; /* inc eax */
	start(MODE_COMPAT32, 0);
	tc.gpr[RAX] = 0x12345677;
	go("inc eax; jmp far 0x08:0x10020; shl rax, 32; mov [rbx], rax; retfq to 0x28; inc eax",
	   far, sizeof(far));
	oc_want_hlt(&out, 0x10042);
	CHECK_EQ_U64(out.state.cs, SEL_CODE32, "cs back to 0x28");
	CHECK_EQ_U64(out.state.gpr[RAX], 1, "eax");
	CHECK_EQ_U64(mem_le(LAYOUT_DATA, 8), 0x1234567800000000ull, "the 64-bit store");
	CHECK_EQ_U64(out.state.gpr[RSP], 0x16000, "rsp after retfq");

	/* call far 0x08:0x10010 ; hlt ... 0x10010: retf (32-bit: EIP, CS) */
	uint8_t call[0x11];
	memset(call, 0xf4, sizeof(call));
	memcpy(call, (const uint8_t[]){ 0x9a, 0x10, 0x00, 0x01, 0x00, 0x08, 0x00 }, 7);
	call[0x10] = 0xcb;
	start(MODE_COMPAT32, 0);
	go("call far into 64-bit code, retf back", call, sizeof(call));
	oc_want_hlt(&out, 0x10008);
	CHECK_EQ_U64(mem_le(0x15ff8, 4), 0x10007, "return EIP pushed (4 bytes)");
	CHECK_EQ_U64(mem_le(0x15ffc, 4), SEL_CODE32, "CS pushed (4 bytes)");
	CHECK_EQ_U64(out.state.cs, SEL_CODE32, "cs");

	start(MODE_COMPAT32, 0);
	go("inc eax; ud2: #UD delivered in 64-bit mode", B(0x40, 0x0f, 0x0b));
	oc_want_exc(&out, 6, 0, 0, 0x10001);
	CHECK_EQ_U64(out.state.gpr[RAX], 1, "0x40 is inc eax");
	CHECK_EQ_U64(out.state.gpr[RSP], 0x16000, "rsp: no frame on the case's stack");
	CHECK_EQ_U64(mem_le(0x15ff4, 8) | mem_le(0x15ffc, 4), 0, "the case's stack untouched (12 bytes)");

	start(MODE_COMPAT32, 0);
	go("int 0x21 through the 64-bit IDT", B(0xcd, 0x21));
	oc_want_exc(&out, 0x21, 0, 0, 0x10002);

	start(MODE_COMPAT32, 0);
	go("mov eax, [0x11000]: unmapped under long mode's paging",
	   B(0xa1, 0x00, 0x10, 0x01, 0x00));
	oc_want_exc(&out, 14, 1, 0, 0x10000);
	CHECK_EQ_U64(oc_term(&out)->cr2, 0x11000, "cr2");

	uint8_t iret[0x21];
	memset(iret, 0xf4, sizeof(iret));
	memcpy(iret, (const uint8_t[]){ 0x6a, 0x10, 0x68, 0x00, 0x5f, 0x01, 0x00, 0x68, 0x02,
					0x08, 0x00, 0x00, 0x6a, 0x28, 0x68, 0x20, 0x00, 0x01,
					0x00, 0xcf }, 20);
	start(MODE_COMPAT32, 0);
	go("iretd to the same level pops EIP, CS, EFLAGS only", iret, sizeof(iret));
	oc_want_hlt(&out, 0x10021);
	CHECK_EQ_U64(out.state.gpr[RSP], 0x15ff8, "esp past three slots (ESP, SS slots left)");
	CHECK_EQ_U64(out.state.rflags, 0x802, "eflags from the frame");

	/* The same frame from 64-bit code pops five (push imm is 8 bytes
	 * there; IRETD's slots are 4): jmp far 0x08:0x10020, then build
	 * EIP, CS, EFLAGS, ESP, SS as dwords below RSP and IRETD. */
	uint8_t iret64[0x51];
	memset(iret64, 0xf4, sizeof(iret64));
	memcpy(iret64, (const uint8_t[]){ 0xea, 0x20, 0x00, 0x01, 0x00, 0x08, 0x00 }, 7);
	memcpy(iret64 + 0x20, (const uint8_t[]){
		0x48, 0x83, 0xec, 0x14,                         /* sub rsp, 20 */
		0xc7, 0x04, 0x24, 0x50, 0x00, 0x01, 0x00,       /* mov dword [rsp], 0x10050 */
		0xc7, 0x44, 0x24, 0x04, 0x28, 0x00, 0x00, 0x00, /* mov dword [rsp+4], 0x28 */
		0xc7, 0x44, 0x24, 0x08, 0x02, 0x00, 0x00, 0x00, /* mov dword [rsp+8], 2 */
		0xc7, 0x44, 0x24, 0x0c, 0x00, 0x5f, 0x01, 0x00, /* mov dword [rsp+12], 0x15f00 */
		0xc7, 0x44, 0x24, 0x10, 0x10, 0x00, 0x00, 0x00, /* mov dword [rsp+16], 0x10 */
		0xcf }, 4 + 7 + 8 + 8 + 8 + 8 + 1);              /* iretd */
	start(MODE_COMPAT32, 0);
	go("iretd in 64-bit code pops EIP, CS, EFLAGS, ESP, SS", iret64, sizeof(iret64));
	oc_want_hlt(&out, 0x10051);
	CHECK_EQ_U64(out.state.gpr[RSP], 0x15f00, "esp from the frame");
	CHECK_EQ_U64(out.state.cs, SEL_CODE32, "cs 0x28: back in compatibility mode");
}

int main(void)
{
	if (oc_open_ref(&ex) < 0)
		return 1;
	real_mode();
	prot_mode();
	long_mode();
	compat_mode();
	ex.ops->fini(&ex);
	return check_done("test_ref_modes");
}
