/* The reference's vendor profiles: each row of the differences table
 * (emulator-ref/ref_vendor.c, docs/vendors.md) run under both vendors on
 * any host, with what each vendor's manual (or the CPU, measured natively)
 * says; the vendor pick; and CPUID as the host decides it (CR4-mirroring
 * bits, CPL3's own table, registers that carry host values). */
#include "outcome_check.h"
#include "ref_vendor.h"
#include "knobs.h"

static struct executor ex;
static struct test_case tc;
static struct outcome o;

static void run_as(enum cpu_vendor v, const char *name, const uint8_t *code, unsigned n)
{
	char full[sizeof(tc.id)];
	snprintf(full, sizeof(full), "%.40s [%s]", name, vendor_name(v));
	ex.vendor = v;
	oc_run_code(&ex, &tc, &o, full, code, n);
}

static void call_noncanonical(void)
{
	for (int v = VENDOR_INTEL; v <= VENDOR_AMD; v++) {
		oc_start(&tc, MODE_LONG64, 0);
		tc.gpr[RAX] = 0x8000000000000000ull;
		run_as((enum cpu_vendor)v, "call rax (non-canonical)", B(0xff, 0xd0, 0xf4));
		oc_want_exc(&o, 13, 1, 0, LAYOUT_CODE);
		CHECK_EQ_U64(o.state.gpr[RSP], LAYOUT_STACK_TOP, "RSP unchanged by the fault");
		/* Intel stores the return address before the check; AMD not. */
		CHECK_EQ_U64(oc_mem(&o, LAYOUT_STACK_TOP - 8, 8), v == VENDOR_INTEL ? LAYOUT_CODE + 2 : 0,
			     "stack slot below RSP");
	}
}

static void sysret_noncanonical(void)
{
	for (int v = VENDOR_INTEL; v <= VENDOR_AMD; v++) {
		oc_start(&tc, MODE_LONG64, 0);
		tc.gpr[RCX] = 0x800000000000ull;
		run_as((enum cpu_vendor)v, "sysretq, RCX non-canonical", B(0x48, 0x0f, 0x07));
		/* Intel: #GP(0) at the SYSRET, CPL0. AMD: returns, and the
		 * fetch at the non-canonical RIP faults at CPL3. */
		oc_want_exc(&o, 13, 1, 0, v == VENDOR_INTEL ? LAYOUT_CODE : 0x800000000000ull);
		CHECK_EQ_U64(o.state.cs & 3, v == VENDOR_INTEL ? 0 : 3, "CPL after the fault's frame");
	}
}

static void sysenter_sysexit_long_mode(void)
{
	for (int v = VENDOR_INTEL; v <= VENDOR_AMD; v++) {
		oc_start(&tc, MODE_LONG64, 0);
		run_as((enum cpu_vendor)v, "sysenter in long mode, SYSENTER_CS = 0", B(0x0f, 0x34));
		if (v == VENDOR_INTEL)
			oc_want_exc(&o, 13, 1, 0, LAYOUT_CODE);
		else
			oc_want_exc(&o, 6, 0, 0, LAYOUT_CODE);
		oc_start(&tc, MODE_LONG64, 0);
		run_as((enum cpu_vendor)v, "sysexit in long mode at CPL0", B(0x0f, 0x35));
		if (v == VENDOR_INTEL)
			oc_want_exc(&o, 13, 1, 0, LAYOUT_CODE);
		else
			CHECK_EQ_U64(oc_term(&o)->kind, EXIT_UNSUPPORTED,
				     "AMD SYSEXIT at CPL0 in long mode: not modeled");
		oc_start(&tc, MODE_LONG64, KNOB_CPL3);
		run_as((enum cpu_vendor)v, "sysexit in long mode at CPL3", B(0x0f, 0x35));
		if (v == VENDOR_INTEL)
			oc_want_exc(&o, 13, 1, 0, LAYOUT_CODE);
		else
			CHECK_EQ_U64(oc_term(&o)->kind, EXIT_UNSUPPORTED,
				     "AMD SYSEXIT at CPL3 in long mode: not modeled (families differ)");
	}
}

static void syscall_outside_64(void)
{
	for (int v = VENDOR_INTEL; v <= VENDOR_AMD; v++) {
		oc_start(&tc, MODE_PROT32, 0);
		run_as((enum cpu_vendor)v, "syscall in prot32, EFER.SCE = 0", B(0x0f, 0x05));
		oc_want_exc(&o, 6, 0, 0, LAYOUT_CODE);
		/* EFER.SCE set by WRMSR first (mov ecx, 0xc0000080; rdmsr;
		 * or eax, 1; wrmsr; syscall). */
		oc_start(&tc, MODE_PROT32, 0);
		run_as((enum cpu_vendor)v, "syscall in prot32, EFER.SCE = 1",
		       B(0xb9, 0x80, 0x00, 0x00, 0xc0, 0x0f, 0x32, 0x83, 0xc8, 0x01, 0x0f, 0x30, 0x0f, 0x05));
		if (v == VENDOR_INTEL)
			oc_want_exc(&o, 6, 0, 0, LAYOUT_CODE + 12);
		else
			CHECK(oc_term(&o)->kind == EXIT_UNSUPPORTED && !strcmp(o.mnemonic, "syscall:legacy"),
			      "AMD legacy-mode SYSCALL: unsupported (got %s, %s)",
			      exit_kind_name((enum exit_kind)oc_term(&o)->kind), o.mnemonic);
	}
}

static void rep_a32_zero_count(void)
{
	for (int v = VENDOR_INTEL; v <= VENDOR_AMD; v++) {
		oc_start(&tc, MODE_LONG64, 0);
		tc.gpr[RCX] = 0x300000000ull;
		tc.gpr[RSI] = 0x100000000ull;
		tc.gpr[RDI] = 0x200012000ull;
		run_as((enum cpu_vendor)v, "67 f3 a4 (rep movsb, a32) with ECX = 0", B(0x67, 0xf3, 0xa4, 0xf4));
		oc_want_hlt(&o, LAYOUT_CODE + 4);
		CHECK_EQ_U64(o.state.gpr[RCX], v == VENDOR_INTEL ? 0 : 0x300000000ull,
			     "RCX written zero-extended (Intel) or left (AMD)");
		CHECK_EQ_U64(o.state.gpr[RDI], v == VENDOR_INTEL ? 0x12000 : 0x200012000ull,
			     "RDI written zero-extended (Intel) or left (AMD)");
	}
}

/* F3 LOOPNE with ZF = 1 loops (the prefix's condition) on AMD, measured;
 * Intel's is not modeled (REP on LOOPcc is reserved). */
static void rep_prefixed_loopcc(void)
{
	for (int v = VENDOR_INTEL; v <= VENDOR_AMD; v++) {
		oc_start(&tc, MODE_LONG64, 0);
		tc.gpr[RCX] = 5;
		tc.rflags |= RFLAGS_ZF;
		run_as((enum cpu_vendor)v, "f3 e0 01 (rep loopne) with ZF = 1", B(0xf3, 0xe0, 0x01, 0xf4, 0xf4));
		if (v == VENDOR_AMD) {
			oc_want_hlt(&o, LAYOUT_CODE + 5);
			CHECK_EQ_U64(o.state.gpr[RCX], 4, "AMD: F3 makes it loop while ZF = 1: taken");
		} else {
			CHECK_EQ_U64(oc_term(&o)->kind, EXIT_UNSUPPORTED, "Intel: REP on LOOPcc not modeled");
		}
	}
}

static void put_vendor(struct cpuid_entry *e, const char id[13])
{
	memset(e, 0, sizeof(*e));
	memcpy(&e->ebx, id, 4);
	memcpy(&e->edx, id + 4, 4);
	memcpy(&e->ecx, id + 8, 4);
	e->eax = 1;
}

static void vendor_pick(void)
{
	static struct cpuid_table t;
	t.n = 1;
	put_vendor(&t.e[0], "AuthenticAMD");
	CHECK(ref_vendor_pick(VENDOR_UNKNOWN, &t) == VENDOR_AMD, "pick: calibrated AuthenticAMD -> amd");
	put_vendor(&t.e[0], "GenuineIntel");
	CHECK(ref_vendor_pick(VENDOR_UNKNOWN, &t) == VENDOR_INTEL, "pick: calibrated GenuineIntel -> intel");
	CHECK(ref_vendor_pick(VENDOR_AMD, &t) == VENDOR_AMD, "pick: an explicit vendor wins over the table");
	CHECK(ref_vendor_pick(VENDOR_UNKNOWN, NULL) == vendor_of_host(), "pick: no table -> the host's (%s)",
	      vendor_name(vendor_of_host()));
	/* The pick reaches a run: a calibrated AMD table makes CALL AMD's. */
	ex.cpuid = &t;
	put_vendor(&t.e[0], "AuthenticAMD");
	oc_start(&tc, MODE_LONG64, 0);
	tc.gpr[RAX] = 0x8000000000000000ull;
	run_as(VENDOR_UNKNOWN, "call rax under a calibrated AMD table", B(0xff, 0xd0, 0xf4));
	CHECK_EQ_U64(oc_mem(&o, LAYOUT_STACK_TOP - 8, 8), 0, "AMD's CALL stores nothing");
	ex.cpuid = NULL;
}

static void cpuid_host_values(void)
{
	static struct cpuid_table t, user;
	t.n = 2;
	put_vendor(&t.e[0], "GenuineIntel");
	t.e[1] = (struct cpuid_entry){ .leaf = 1, .eax = 0x806f8, .ebx = 0x00010800, .ecx = 0x80000001, .edx = 0x1 };
	ex.cpuid = &t;
	oc_start(&tc, MODE_LONG64, 0);
	tc.gpr[RAX] = 1;
	run_as(VENDOR_UNKNOWN, "cpuid leaf 1, CR4.OSXSAVE clear", B(0x0f, 0xa2, 0xf4));
	CHECK_EQ_U64(o.state.gpr[RCX] >> 27 & 1, 0, "ECX.OSXSAVE mirrors CR4.OSXSAVE = 0");
	CHECK_EQ_U64(o.host_gprs, (1u << RAX) | (1u << RBX) | (1u << RCX) | (1u << RDX),
		     "CPUID's four outputs are host values");
	oc_start(&tc, MODE_LONG64, KNOB_CR4_OSXSAVE);
	tc.gpr[RAX] = 1;
	run_as(VENDOR_UNKNOWN, "cpuid leaf 1, CR4.OSXSAVE set", B(0x0f, 0xa2, 0xf4));
	CHECK_EQ_U64(o.state.gpr[RCX] >> 27 & 1, 1, "ECX.OSXSAVE mirrors CR4.OSXSAVE = 1");
	CHECK_EQ_U64(o.undefined_gprs, 1u << RBX, "leaf 1 EBX (initial APIC ID) is never predicted");
	oc_start(&tc, MODE_LONG64, 0);
	tc.gpr[RAX] = 0;
	run_as(VENDOR_UNKNOWN, "cpuid leaf 0", B(0x0f, 0xa2, 0xf4));
	CHECK_EQ_U64(o.undefined_gprs, 0, "leaf 0 names no CPU: nothing undefined");

	/* A CPL3 view (the host CPU answers): its values as read, the APIC
	 * ID register undefined, OSXSAVE not overridden. */
	user = t;
	user.e[1].ecx = 0x88000001;
	user.e[1].ebx = 0x07010800;
	t.user = &user;
	oc_start(&tc, MODE_LONG64, KNOB_CPL3);
	tc.gpr[RAX] = 1;
	run_as(VENDOR_UNKNOWN, "cpuid leaf 1 at CPL3 with a host view", B(0x0f, 0xa2, 0xf4));
	CHECK_EQ_U64(o.state.gpr[RCX], 0x88000001, "CPL3 reads the CPL3 table, OSXSAVE as the host set it");
	CHECK_EQ_U64(o.undefined_gprs, 1u << RBX, "leaf 1 EBX (initial APIC ID) is undefined at CPL3");
	oc_start(&tc, MODE_LONG64, 0);
	tc.gpr[RAX] = 1;
	run_as(VENDOR_UNKNOWN, "cpuid leaf 1 at CPL0 beside a host view", B(0x0f, 0xa2, 0xf4));
	CHECK_EQ_U64(o.state.gpr[RBX], 0x00010800, "CPL0 reads the CPL0 table");
	t.user = NULL;

	/* A leaf above its range: Intel answers the highest basic leaf
	 * (here 1, leaf 0's EAX), AMD zeros. */
	for (int v = VENDOR_INTEL; v <= VENDOR_AMD; v++) {
		oc_start(&tc, MODE_LONG64, 0);
		tc.gpr[RAX] = 0x7fff;
		run_as((enum cpu_vendor)v, "cpuid of an out-of-range leaf", B(0x0f, 0xa2, 0xf4));
		CHECK_EQ_U64(o.state.gpr[RBX], v == VENDOR_INTEL ? 0x00010800 : 0,
			     "out-of-range leaf: EBX of the highest basic leaf (Intel) or 0 (AMD)");
	}
	ex.cpuid = NULL;
}

int main(void)
{
	if (oc_open_ref(&ex) < 0)
		return 1;
	call_noncanonical();
	sysret_noncanonical();
	sysenter_sysexit_long_mode();
	syscall_outside_64();
	rep_a32_zero_count();
	rep_prefixed_loopcc();
	vendor_pick();
	cpuid_host_values();
	ex.ops->fini(&ex);
	return check_done("test_ref_vendor");
}
