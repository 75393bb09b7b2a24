/* DR0-DR3 breakpoints the case's own MOV DR7 enables (SDM Vol. 3A 17.2,
 * Vol. 3B 18.3.1): an instruction breakpoint is a fault before the
 * instruction with RF clear in the frame; a data breakpoint traps after
 * the instruction whose access overlaps it (write-only ones ignore
 * reads), after the element of a REP string that hit, and past MOV SS;
 * an I/O breakpoint (CR4.DE set) traps after the IN/OUT/INS/OUTS whose
 * ports overlap it (Vol. 3A 17.2.4-17.2.5); without CR4.DE, and 8-byte
 * breakpoints outside long mode, are unsupported. */
#include "outcome_check.h"

static struct executor ex;
static struct test_case tc;
static struct outcome o;

/* mov eax, ADDR; mov dr0, rax; mov eax, DR7; mov dr7, rax: 16 bytes */
#define ARM(addr, dr7) 0xb8, (addr) & 0xff, ((addr) >> 8) & 0xff, ((addr) >> 16) & 0xff, 0, \
	0x0f, 0x23, 0xc0, \
	0xb8, (dr7) & 0xff, ((dr7) >> 8) & 0xff, ((dr7) >> 16) & 0xff, ((dr7) >> 24) & 0xff, \
	0x0f, 0x23, 0xf8
/* mov rax, cr4; or rax, 8 (DE); mov cr4, rax: 10 bytes */
#define SET_DE 0x0f, 0x20, 0xe0, 0x48, 0x83, 0xc8, 0x08, 0x0f, 0x22, 0xe0
#define DATA 0x12000
#define W4 0x000d0001   /* L0, RW0 = 01 (write), LEN0 = 11 (4 bytes) */
#define RW1 0x00030001  /* L0, RW0 = 11 (read/write), LEN0 = 00 (1 byte) */
#define X 0x00000001    /* L0, RW0 = 00 (execute) */

/* A guest CPUID with DE, PAE and FXSR (leaf 1 EDX), so the case's own
 * MOV CR4 can set DE; the other leaves present and empty. */
static struct cpuid_table de_cpuid = { .n = 4, .e = {
	{ 1, 0, 0, 0, 0, (1u << 2) | (1u << 6) | (1u << 24) },
	{ 7, 0, 0, 0, 0, 0 },
	{ 0x80000001u, 0, 0, 0, 0, (1u << 20) | (1u << 29) },
	{ 0xd, 0, 3, 0, 0, 0 },
} };

static void start(enum cpu_mode m)
{
	ex.cpuid = &de_cpuid;
	oc_start(&tc, m, 0);
	tc.gpr[RDI] = DATA;
	tc.gpr[RSI] = DATA + 0x100;
}

int main(void)
{
	if (oc_open_ref(&ex) < 0)
		return 1;

	start(MODE_LONG64);
	oc_run_code(&ex, &tc, &o, "write bp, mov [rdi], ebx", B(ARM(DATA, W4), 0x89, 0x1f, 0x90, 0xf4));
	oc_want_exc(&o, 1, 0, 0, LAYOUT_CODE + 18);
	CHECK(!(o.state.rflags & (1u << 16)), "data breakpoint trap: RF clear");

	start(MODE_LONG64);
	oc_run_code(&ex, &tc, &o, "write bp, a read of it", B(ARM(DATA, W4), 0x8b, 0x0f, 0x90, 0xf4));
	oc_want_hlt(&o, LAYOUT_CODE + 20);

	start(MODE_LONG64);
	oc_run_code(&ex, &tc, &o, "1-byte rw bp, a read overlapping it",
		    B(ARM(DATA + 3, RW1), 0x8b, 0x0f, 0x90, 0xf4));
	oc_want_exc(&o, 1, 0, 0, LAYOUT_CODE + 18);

	start(MODE_LONG64);
	oc_run_code(&ex, &tc, &o, "1-byte rw bp, a read beside it",
		    B(ARM(DATA + 4, RW1), 0x8b, 0x0f, 0x90, 0xf4));
	oc_want_hlt(&o, LAYOUT_CODE + 20);

	start(MODE_LONG64);
	oc_run_code(&ex, &tc, &o, "execute bp on the nop", B(ARM(LAYOUT_CODE + 17, X), 0x90, 0x90, 0xf4));
	oc_want_exc(&o, 1, 0, 0, LAYOUT_CODE + 17);
	CHECK(!(o.state.rflags & (1u << 16)), "instruction breakpoint fault: RF clear in the frame");

	start(MODE_LONG64);
	oc_run_code(&ex, &tc, &o, "execute bp on a lone LOCK byte", B(ARM(LAYOUT_CODE + 16, X), 0xf0));
	oc_want_exc(&o, 1, 0, 0, LAYOUT_CODE + 16);   /* before the #UD decoding would raise */

	start(MODE_LONG64);
	tc.gpr[RCX] = 4;
	oc_run_code(&ex, &tc, &o, "rep movsb, bp on the second destination byte",
		    B(ARM(DATA + 1, RW1), 0xf3, 0xa4, 0xf4));
	oc_want_exc(&o, 1, 0, 0, LAYOUT_CODE + 16);
	CHECK_EQ_U64(o.state.gpr[RCX], 2, "rep movsb: the trap after the element that hit");

	start(MODE_LONG64);
	tc.data[0] = SEL_DATA;
	tc.data_len = 2;
	oc_run_code(&ex, &tc, &o, "mov ss, [rdi] hits a bp: the trap waits past the next instruction",
		    B(ARM(DATA, RW1), 0x8e, 0x17, 0x90, 0x90, 0xf4));
	oc_want_exc(&o, 1, 0, 0, LAYOUT_CODE + 19);

	start(MODE_PROT32);
	oc_run_code(&ex, &tc, &o, "prot32 write bp", B(ARM(DATA, W4), 0x89, 0x1f, 0x90, 0xf4));
	oc_want_exc(&o, 1, 0, 0, LAYOUT_CODE + 18);

	start(MODE_PROT32);
	oc_run_code(&ex, &tc, &o, "prot32 8-byte bp", B(ARM(DATA, 0x00090001), 0x89, 0x1f, 0xf4));
	CHECK_EQ_U64(oc_term(&o)->kind, EXIT_UNSUPPORTED, "8-byte breakpoint outside long mode: unsupported");

	start(MODE_LONG64);
	oc_run_code(&ex, &tc, &o, "I/O bp", B(ARM(0x80, 0x00020001), 0x90, 0xf4));
	CHECK_EQ_U64(oc_term(&o)->kind, EXIT_UNSUPPORTED, "I/O breakpoint without CR4.DE: unsupported");

	/* With CR4.DE: SET_DE (10 bytes) + ARM (16), the I/O at offset 26. */
#define IO1 0x00020001  /* L0, RW0 = 10 (I/O), LEN0 = 00 (1 byte) */
	start(MODE_LONG64);
	oc_run_code(&ex, &tc, &o, "I/O bp on port 0x80, out 0x80, al",
		    B(SET_DE, ARM(0x80, IO1), 0xe6, 0x80, 0x90, 0xf4));
	CHECK(o.n_events == 2 && o.events[0].kind == EXIT_IO && o.events[0].addr == 0x80,
	      "the OUT exits first (port 0x80)");
	oc_want_exc(&o, 1, 0, 0, LAYOUT_CODE + 28);

	start(MODE_LONG64);
	oc_run_code(&ex, &tc, &o, "I/O bp on port 0x80, out 0x81, al",
		    B(SET_DE, ARM(0x80, IO1), 0xe6, 0x81, 0x90, 0xf4));
	oc_want_hlt(&o, LAYOUT_CODE + 30);

	start(MODE_LONG64);
	tc.gpr[RDX] = 0x7f;
	oc_run_code(&ex, &tc, &o, "I/O bp on port 0x80, in ax, dx at 0x7f (ports 0x7f-0x80)",
		    B(SET_DE, ARM(0x80, IO1), 0x66, 0xed, 0x90, 0xf4));
	oc_want_exc(&o, 1, 0, 0, LAYOUT_CODE + 28);

	start(MODE_LONG64);
	tc.gpr[RDX] = 0x80;
	tc.gpr[RCX] = 3;
	oc_run_code(&ex, &tc, &o, "I/O bp on port 0x80, rep outsb: the trap after the first element",
		    B(SET_DE, ARM(0x80, IO1), 0xf3, 0x6e, 0xf4));
	oc_want_exc(&o, 1, 0, 0, LAYOUT_CODE + 26);
	CHECK_EQ_U64(o.state.gpr[RCX], 2, "rep outsb: RCX after one element");

	start(MODE_LONG64);
	oc_run_code(&ex, &tc, &o, "I/O bp armed, then mov cr4 clearing DE: unsupported",
		    B(SET_DE, ARM(0x80, IO1), 0x0f, 0x20, 0xe0, 0x48, 0x83, 0xe0, 0xf7, 0x0f, 0x22, 0xe0,
		      0xf4));
	CHECK_EQ_U64(oc_term(&o)->kind, EXIT_UNSUPPORTED, "clearing CR4.DE under an I/O breakpoint: unsupported");

	/* TF over REP: the trap after a non-last element pushes RF = 1 on
	 * Intel (SDM Vol. 3B 18.3.1.1), 0 on AMD (measured). */
	for (int v = VENDOR_INTEL; v <= VENDOR_AMD; v++) {
		start(MODE_LONG64);
		ex.vendor = (enum cpu_vendor)v;
		tc.rflags |= RFLAGS_TF;
		tc.gpr[RCX] = 3;
		oc_run_code(&ex, &tc, &o, "tf rep movsb", B(0xf3, 0xa4, 0xf4));
		CHECK(!!(o.state.rflags & (1u << 16)) == (v == VENDOR_INTEL),
		      "TF over REP MOVSB, %s: RF %s in the frame", vendor_name((enum cpu_vendor)v),
		      v == VENDOR_INTEL ? "set" : "clear");
	}
	ex.ops->fini(&ex);
	return check_done("test_ref_breakpoints");
}
