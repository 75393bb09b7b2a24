/* The reference in virtual-8086 mode: IOPL-sensitive instructions, the
 * I/O permission bitmap, instructions v86 does not recognise, seg*16
 * addressing, and delivery to CPL0 with the v86 frame. Expected values are
 * worked out by hand from the SDM (Vol. 3B chapter 20, Vol. 3A 6.12.1 and
 * figure 6-5, Vol. 1 19.5.2) and layout.h: the TSS denies ports 0x80-0xff
 * and everything past 0xff, SS0:ESP0 is 0x10:LAYOUT_IST_TOP, the IDT32
 * sends vector v to 0x28:0x3000+v. */
#include <string.h>
#include "outcome_check.h"
#include "ref_internal.h"
#include "knobs.h"

static struct executor ex;
static struct outcome out;
static struct test_case tc;

#define VM RFLAGS_VM
#define IOPL3 (3ull << 12)

static void start(uint32_t knobs)
{
	oc_start(&tc, MODE_V86, knobs);
	tc.gpr[RSP] = 0x6000;
}

static void go(const char *name, const uint8_t *code, unsigned n)
{
	oc_run_code(&ex, &tc, &out, name, code, n);
}

/* The state at the exception, read back from the 9-slot frame. */
static void want_v86_state(uint64_t rip, uint64_t rflags)
{
	CHECK_EQ_U64(out.state.rip, rip, "ip from the frame");
	CHECK_EQ_U64(out.state.rflags & ~(uint64_t)RFLAGS_STATUS, rflags,
		     "eflags from the frame (VM set), status flags aside");
	CHECK_EQ_U64(out.state.cs, REAL_SEG, "cs from the frame");
	CHECK_EQ_U64(out.state.ss, REAL_SEG, "ss from the frame");
	CHECK_EQ_U64(out.state.gpr[RSP], 0x6000, "sp from the frame");
}

static void sensitive(void)
{
	start(0);
	go("add ax, bx; hlt: HLT at CPL3 is #GP(0)", B(0x01, 0xd8, 0xf4));
	oc_want_exc(&out, 13, 1, 0, 2);
	want_v86_state(2, VM | RFLAGS_RF | RFLAGS_FIXED1);

	start(0);
	go("cli at IOPL 0: #GP(0)", B(0xfa, 0xf4));
	oc_want_exc(&out, 13, 1, 0, 0);

	start(0);
	go("pushf at IOPL 0: #GP(0), nothing pushed", B(0x9c, 0xf4));
	oc_want_exc(&out, 13, 1, 0, 0);
	CHECK_EQ_U64(oc_mem(&out, 0x15ffe, 2), 0, "no flags image on the stack");

	start(KNOB_IOPL3);
	go("cli; sti; pushf; popf at IOPL 3 run; hlt #GP", B(0xfa, 0xfb, 0x9c, 0x9d, 0xf4));
	oc_want_exc(&out, 13, 1, 0, 4);
	want_v86_state(4, VM | IOPL3 | RFLAGS_IF | RFLAGS_RF | RFLAGS_FIXED1);

	start(KNOB_IOPL3);
	go("push 0; popf at IOPL 3: IOPL stays 3 (CPL 3 > 0)",
	   B(0x6a, 0x00, 0x9d, 0xf4));
	oc_want_exc(&out, 13, 1, 0, 3);
	CHECK_EQ_U64(out.state.rflags & IOPL3, IOPL3, "iopl kept");

	start(0);
	go("int 0x21 at IOPL 0: #GP(0)", B(0xcd, 0x21, 0xf4));
	oc_want_exc(&out, 13, 1, 0, 0);

	start(KNOB_IOPL3);
	go("int 0x21 at IOPL 3: gate DPL 0 < CPL 3, #GP(0x21*8+2)", B(0xcd, 0x21, 0xf4));
	oc_want_exc(&out, 13, 1, 0x21 * 8 + 2, 0);

	start(KNOB_IOPL3);
	/* IRET at IOPL 3: IP, CS, FLAGS popped; IOPL and VM stay. */
	go("push 0 (flags); push cs; push 9; iret; ...; hlt at 9",
	   B(0x6a, 0x00, 0x0e, 0x6a, 0x09, 0xcf, 0x90, 0x90, 0x90, 0xf4));
	oc_want_exc(&out, 13, 1, 0, 9);
	CHECK_EQ_U64(out.state.rflags, VM | IOPL3 | RFLAGS_RF | RFLAGS_FIXED1,
		     "iopl and vm kept by iret");
}

static void io_bitmap(void)
{
	start(0);
	go("mov al, 0x5a; out 0x40, al at IOPL 0: the bitmap allows it",
	   B(0xb0, 0x5a, 0xe6, 0x40, 0xf4));
	CHECK_EQ_U64(out.n_events, 2, "io then the #GP of hlt");
	CHECK_EQ_U64(out.events[0].kind, EXIT_IO, "io event");
	CHECK_EQ_U64(out.events[0].addr, 0x40, "port");
	oc_want_exc(&out, 13, 1, 0, 4);

	start(KNOB_IOPL3);
	tc.gpr[RDX] = 0x80;
	go("out dx, al to 0x80 at IOPL 3: the bitmap denies it", B(0xee, 0xf4));
	CHECK_EQ_U64(out.n_events, 1, "no io event");
	oc_want_exc(&out, 13, 1, 0, 0);

	start(0);
	tc.gpr[RDX] = 0x7f;
	go("out dx, ax to 0x7f: the second byte's port 0x80 is denied", B(0xef, 0xf4));
	CHECK_EQ_U64(out.n_events, 1, "no io event");
	oc_want_exc(&out, 13, 1, 0, 0);

	start(0);
	tc.gpr[RDX] = 0x3f8;
	go("in al, dx from 0x3f8: its bitmap byte is past the TSS limit", B(0xec, 0xf4));
	oc_want_exc(&out, 13, 1, 0, 0);

	start(0);
	tc.gpr[RDX] = 0x20;
	tc.gpr[RCX] = 1;
	go("rep insb from 0x20 at IOPL 0: allowed, one element", B(0xf3, 0x6c, 0xf4));
	CHECK_EQ_U64(out.events[0].kind, EXIT_IO, "io event");
	oc_want_exc(&out, 13, 1, 0, 2);
}

static void segments_and_ud(void)
{
	start(0);
	go("mov bx, 0x1200; mov es, bx; mov es:[4], ax=0x1234: linear 0x12004",
	   B(0xb8, 0x34, 0x12, 0xbb, 0x00, 0x12, 0x8e, 0xc3, 0x26, 0xa3, 0x04, 0x00, 0xf4));
	oc_want_exc(&out, 13, 1, 0, 12);
	CHECK_EQ_U64(oc_mem(&out, 0x12004, 2), 0x1234, "seg*16 + offset");
	CHECK_EQ_U64(out.state.es, 0x1200, "es from the frame");

	start(0);
	go("arpl ax, cx: not recognised in v86, #UD", B(0x63, 0xc8));
	oc_want_exc(&out, 6, 0, 0, 0);

	start(0);
	go("int3: #BP through the DPL3 gate, a trap (IP after it, no RF)", B(0xcc, 0xf4));
	oc_want_exc(&out, 3, 0, 0, 1);
	want_v86_state(1, VM | RFLAGS_FIXED1);
}

/* Delivery itself, on the CPU state: what the stub sees at CPL0. */
static void delivery(void)
{
	static uint8_t ram[LAYOUT_RAM_SIZE];
	static struct ref_cpu cpu;
	static struct outcome o;
	layout_build(ram);
	start(0);
	tc.gpr[RSP] = 0x5ffe;
	ref_cpu_reset(&cpu, &tc, ram, &o);
	cpu.seg[SEG_FS].sel = 0x1234;
	printf("-- [v86] delivery of #GP(0) at ip 0x7 on the CPU state\n");
	CHECK_EQ_U64(cpu.cpl, 3, "v86 runs at CPL3");
	CHECK_EQ_U64(cpu.rflags & VM, VM, "VM set");
	int r = ref_v86_deliver(&cpu, 13, 0, 1, 0, 7, cpu.rflags | RFLAGS_RF);
	CHECK_EQ_U64(r, 0, "delivered");
	CHECK_EQ_U64(cpu.cpl, 0, "handler at CPL0");
	CHECK_EQ_U64(cpu.code_bits, 32, "32-bit handler");
	CHECK_EQ_U64(cpu.rflags & (VM | RFLAGS_IF | RFLAGS_RF), 0, "VM, IF, RF clear");
	CHECK_EQ_U64(cpu.rip, LAYOUT_STUBS + 13, "stub of vector 13");
	CHECK_EQ_U64(cpu.seg[SEG_CS].sel, SEL_CODE32, "gate's CS");
	CHECK_EQ_U64(cpu.seg[SEG_SS].sel, SEL_DATA, "SS0");
	CHECK_EQ_U64(cpu.gpr[RSP], LAYOUT_IST_TOP - 40, "ESP0 minus ten slots");
	static const enum ref_seg nulled[] = { SEG_DS, SEG_ES, SEG_FS, SEG_GS };
	for (unsigned i = 0; i < 4; i++)
		CHECK_EQ_U64(cpu.seg[nulled[i]].sel, 0, "data segment nulled");
	/* error code, EIP, CS, EFLAGS, ESP, SS, ES, DS, FS, GS upwards */
	const uint32_t want[10] = { 0, 7, REAL_SEG, (uint32_t)(VM | RFLAGS_RF | RFLAGS_FIXED1),
				    0x5ffe, REAL_SEG, REAL_SEG, REAL_SEG, 0x1234, REAL_SEG };
	for (unsigned i = 0; i < 10; i++) {
		uint32_t v;
		memcpy(&v, ram + LAYOUT_IST_TOP - 40 + 4 * i, 4);
		CHECK_EQ_U64(v, want[i], "frame slot");
	}
}

int main(void)
{
	if (oc_open_ref(&ex) < 0)
		return 1;
	sensitive();
	io_bitmap();
	segments_and_ud();
	delivery();
	ex.ops->fini(&ex);
	return check_done("test_ref_v86");
}
