/* VMCALL and VMMCALL as KVM's hypercall ABI (emulator-ref/ref_hypercall.c,
 * Documentation/virt/kvm/x86/hypercalls.rst): results in RAX by number,
 * -KVM_EPERM above CPL0, -KVM_ENOSYS for an unknown number, 32-bit
 * results outside 64-bit mode (real mode too), and the other vendor's
 * instruction rewritten in place first; under both vendor profiles.
 * KVM_HC_MAP_GPA_RANGE exits to user space (KVM_CAP_EXIT_HYPERCALL,
 * api.rst): a hypercall event with GPA, pages and attributes, RAX = the
 * VMM's 0; a range KVM refuses first (unaligned, empty, wrapping) returns
 * -KVM_EINVAL without one. */
#include "outcome_check.h"
#include "knobs.h"

static struct executor ex;
static struct test_case tc;
static struct outcome o;

#define VMCALL 0x0f, 0x01, 0xc1
#define VMMCALL 0x0f, 0x01, 0xd9

static void call(enum cpu_vendor v, enum cpu_mode m, uint32_t knobs, uint64_t nr, int vmm,
		 const char *name)
{
	oc_start(&tc, m, knobs);
	tc.gpr[RAX] = nr;
	ex.vendor = v;
	char full[sizeof(tc.id)];
	snprintf(full, sizeof(full), "%.40s [%s]", name, vendor_name(v));
	if (vmm)
		oc_run_code(&ex, &tc, &o, full, B(VMMCALL, 0xf4));
	else
		oc_run_code(&ex, &tc, &o, full, B(VMCALL, 0xf4));
}

int main(void)
{
	if (oc_open_ref(&ex) < 0)
		return 1;
	for (int v = VENDOR_INTEL; v <= VENDOR_AMD; v++) {
		enum cpu_vendor vv = (enum cpu_vendor)v;
		int native_vmm = v == VENDOR_AMD;
		call(vv, MODE_LONG64, 0, 1, native_vmm, "vapic_poll_irq, this vendor's instruction");
		oc_want_hlt(&o, LAYOUT_CODE + 4);
		CHECK_EQ_U64(o.state.gpr[RAX], 0, "KVM_HC_VAPIC_POLL_IRQ returns 0");
		CHECK_EQ_U64(oc_mem(&o, LAYOUT_CODE + 2, 1), native_vmm ? 0xd9 : 0xc1,
			     "this vendor's instruction is left as it is");

		call(vv, MODE_LONG64, 0, 11, !native_vmm, "sched_yield, the other vendor's instruction");
		oc_want_hlt(&o, LAYOUT_CODE + 4);
		CHECK_EQ_U64(o.state.gpr[RAX], 0, "KVM_HC_SCHED_YIELD returns 0");
		CHECK_EQ_U64(oc_mem(&o, LAYOUT_CODE + 2, 1), native_vmm ? 0xd9 : 0xc1,
			     "the other vendor's instruction is rewritten to this vendor's");

		call(vv, MODE_LONG64, 0, 0xdead, native_vmm, "unknown number");
		CHECK_EQ_U64(o.state.gpr[RAX], (uint64_t)-1000, "-KVM_ENOSYS for an unknown number");
		call(vv, MODE_LONG64, 0, 0x100000001ull, native_vmm, "number above 32 bits");
		CHECK_EQ_U64(o.state.gpr[RAX], (uint64_t)-1000, "64-bit mode: all of RAX is the number");

		call(vv, MODE_LONG64, KNOB_CPL3, 1, native_vmm, "at CPL3");
		oc_want_exc(&o, 13, 1, 0, LAYOUT_CODE + 3);   /* the HLT after it */
		CHECK_EQ_U64(o.state.gpr[RAX], (uint64_t)-1, "-KVM_EPERM above CPL0");

		call(vv, MODE_PROT32, 0, 0xffffffff00000001ull, native_vmm, "32-bit mode");
		CHECK_EQ_U64(o.state.gpr[RAX], 0, "outside 64-bit mode EAX is the number (1: returns 0)");
		call(vv, MODE_PROT32, 0, 0xdead, native_vmm, "32-bit mode, unknown number");
		CHECK_EQ_U64(o.state.gpr[RAX], 0xfffffc18u, "outside 64-bit mode the result is 32 bits");

		/* Real mode: IP 0 in CS 0x1000 (layout.h), the ABI 32 bits
		 * wide; the rewrite lands at CS base + IP, the code's own
		 * bytes (KVM's emulator writes at IP as if it were linear:
		 * corpus/system/hypercall-vmcall-real16.case). */
		call(vv, MODE_REAL16, 0, 0xffffffff0000dead, !native_vmm, "real mode, the other vendor's");
		oc_want_hlt(&o, 4);
		CHECK_EQ_U64(o.state.gpr[RAX], 0xfffffc18u, "real mode: EAX is the number, the result 32 bits");
		CHECK_EQ_U64(oc_mem(&o, LAYOUT_CODE + 2, 1), native_vmm ? 0xd9 : 0xc1,
			     "real mode: the rewrite at CS base + IP");

		call(vv, MODE_LONG64, 0, 9, native_vmm, "clock pairing");
		CHECK(oc_term(&o)->kind == EXIT_UNSUPPORTED && !strcmp(o.mnemonic, "hypercall:clock_pairing"),
		      "a host-dependent call is not modeled (%s)", o.mnemonic);
	}
	/* map_gpa_range: RBX GPA, RCX pages, RDX attributes. */
	static const struct { uint64_t gpa, npages; int exits; const char *what; } maps[] = {
		{ 0x12000, 2, 1, "two pages at 0x12000: exits" },
		{ 0x12800, 1, 0, "GPA not page-aligned: -KVM_EINVAL" },
		{ 0x12000, 0, 0, "no pages: -KVM_EINVAL" },
		{ 0x12000, 0xffffffffffffffefull, 0, "a page count that wraps the frame number: -KVM_EINVAL" },
	};
	for (size_t i = 0; i < sizeof(maps) / sizeof(maps[0]); i++) {
		oc_start(&tc, MODE_LONG64, 0);
		tc.gpr[RAX] = 12;
		tc.gpr[RBX] = maps[i].gpa;
		tc.gpr[RCX] = maps[i].npages;
		tc.gpr[RDX] = 0x10;
		ex.vendor = VENDOR_AMD;
		oc_run_code(&ex, &tc, &o, maps[i].what, B(VMMCALL, 0xf4));
		oc_want_hlt(&o, LAYOUT_CODE + 4);
		CHECK_EQ_U64(o.n_events, maps[i].exits ? 2 : 1, "events: the hypercall exit, then hlt");
		if (maps[i].exits) {
			const struct exit_event *e = &o.events[0];
			CHECK(e->kind == EXIT_HYPERCALL && e->addr == 12 && e->data == maps[i].gpa &&
			      e->cr2 == maps[i].npages && e->error_code == 0x10,
			      "hypercall event nr=12 a0=GPA a1=pages a2=attributes (got %s nr=%llu)",
			      exit_kind_name((enum exit_kind)e->kind), (unsigned long long)e->addr);
		}
		CHECK_EQ_U64(o.state.gpr[RAX], maps[i].exits ? 0 : (uint64_t)-22,
			     "RAX: the VMM's 0, or -KVM_EINVAL");
	}
	ex.ops->fini(&ex);
	return check_done("test_ref_hypercall");
}
