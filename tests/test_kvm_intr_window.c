/* The KVM executor's external interrupt (event intr V, harness/kvm_irq.c):
 * the interrupt waits while IF = 0 and leaks into no later case; STI; HLT
 * wakes the HLT for it (irq_window, then the delivery through the IDT,
 * both at the RIP after the HLT: SDM Vol. 3A 6.8.3, Vol. 2A HLT); STI;
 * CLI keeps it pending; and the window after STI; NOP opens at the INC
 * (SDM) or, on kvm_pvm, where its emulator batch ends (the HLT: the known
 * divergence corpus/events/intr-sti-shadow.case), never anywhere else. */
#include <string.h>
#include "check.h"
#include "executor.h"
#include "layout.h"
#include "outcome_check.h"
#include "kvm_internal.h"

static struct executor ex;
static struct test_case tc;
static struct outcome out;

#define VEC 0x30
#define CODE(...) ((const uint8_t[]){ __VA_ARGS__ }), sizeof((const uint8_t[]){ __VA_ARGS__ })

static void run(const char *id, int intr, const uint8_t *code, size_t n)
{
	case_init(&tc);
	snprintf(tc.id, sizeof(tc.id), "%s", id);
	if (intr)
		tc.event[0] = (struct case_event){ .kind = CASE_EVENT_INTR, .vector = VEC };
	memcpy(tc.code, code, n);
	tc.code_len = (uint32_t)n;
	printf("-- %s\n", id);
	int rc = ex.ops->run(&ex, &tc, &out);
	CHECK(rc == 0, "%s: run returned %d (%s)", id, rc, rc ? ex.err : "ok");
	if (rc == 0)
		oc_print_trace(&out);
}

static void want_hlt(uint64_t rip, const char *what)
{
	CHECK(out.n_events == 1 && out.events[0].kind == EXIT_HLT && out.events[0].rip == rip,
	      "%s: one event, hlt at 0x%llx (got %u events, last %s)", what,
	      (unsigned long long)rip, out.n_events,
	      out.n_events ? exit_kind_name((enum exit_kind)out.events[out.n_events - 1].kind) : "-");
}

/* irq_window at rip, then the delivery of VEC with the same RIP. */
static void want_delivered(uint64_t rip, const char *what)
{
	CHECK(out.n_events == 2, "%s: two events (got %u)", what, out.n_events);
	CHECK(out.events[0].kind == EXIT_IRQ_WINDOW && out.events[0].rip == rip,
	      "%s: irq_window at 0x%llx (got %s at 0x%llx)", what, (unsigned long long)rip,
	      exit_kind_name((enum exit_kind)out.events[0].kind),
	      (unsigned long long)out.events[0].rip);
	CHECK(out.events[1].kind == EXIT_EXCEPTION && out.events[1].addr == VEC &&
	      out.events[1].rip == rip && !out.events[1].has_error_code,
	      "%s: vector %u delivered, frame RIP 0x%llx, no error code", what, VEC,
	      (unsigned long long)rip);
	CHECK(out.state.rflags & RFLAGS_IF, "%s: IF set in the frame's RFLAGS", what);
}

int main(void)
{
	SKIP_WITHOUT_KVM();
	ex.ops = &kvm_executor_ops;
	int rc = ex.ops->init(&ex, ex.err, sizeof(ex.err));
	CHECK(rc == 0, "init (%s)", rc ? ex.err : "ok");
	if (rc)
		return check_done("test_kvm_intr_window");
	printf("env: kernel=%s backend=%s\n", ex.env.kernel, ex.env.backend);

	run("if0-held", 1, CODE(0xff, 0xc0, 0xf4)); /* inc eax; hlt */
	want_hlt(LAYOUT_CODE + 3, "IF = 0 throughout: still pending at the end");
	CHECK_EQ_U64(out.state.gpr[RAX], 1, "the inc ran");

	run("after-held: sti; nop; hlt (no event)", 0, CODE(0xfb, 0x90, 0xf4));
	want_hlt(LAYOUT_CODE + 3, "the held interrupt did not leak into the next case");

	const struct kvm_ctx *k = ex.priv; /* struct kvm_priv starts with it */
	uint64_t wakes = k->irq_hlt_wakes;
	run("sti-hlt", 1, CODE(0xfb, 0xf4, 0xff, 0xc0, 0xf4)); /* sti; hlt; inc eax; hlt */
	want_delivered(LAYOUT_CODE + 2, "sti; hlt: the hlt wakes");
	CHECK(k->irq_hlt_wakes == wakes + 1, "sti; hlt: injected at the HLT exit (if_flag set)");
	CHECK_EQ_U64(out.state.gpr[RAX], 0, "the inc after the hlt did not run");

	run("sti-cli", 1, CODE(0xfb, 0xfa, 0x90, 0xf4)); /* sti; cli; nop; hlt */
	want_hlt(LAYOUT_CODE + 4, "sti; cli: closed inside the shadow");

	uint64_t windows = k->irq_window_exits;
	wakes = k->irq_hlt_wakes;
	run("sti-nop-inc", 1, CODE(0xfb, 0x90, 0xff, 0xc0, 0xf4)); /* sti; nop; inc eax; hlt */
	uint64_t at = out.n_events ? out.events[0].rip : 0;
	printf("   measured: %llu KVM_EXIT_IRQ_WINDOW_OPEN, %llu HLT wake\n",
	       (unsigned long long)(k->irq_window_exits - windows),
	       (unsigned long long)(k->irq_hlt_wakes - wakes));
	int arch = at == LAYOUT_CODE + 2, pvm_batch = !strcmp(ex.env.backend, "kvm_pvm") &&
						     at == LAYOUT_CODE + 5;
	printf("   measured: the window after sti; nop opened at 0x%llx (%s)\n",
	       (unsigned long long)at, arch ? "the architecture's boundary" :
	       pvm_batch ? "kvm_pvm: its emulator batch's end, the hlt" : "elsewhere");
	CHECK(arch || pvm_batch, "sti; nop; inc: the window at the inc (SDM Vol. 3A 6.8.3), or at "
	      "the hlt on kvm_pvm (got 0x%llx)", (unsigned long long)at);
	want_delivered(at, "sti; nop; inc");

	/* sti, 1100 nops, hlt: where no HLT ends the emulator's batch first,
	 * the window is a KVM_EXIT_IRQ_WINDOW_OPEN (on kvm_pvm at the end of
	 * a 1024-instruction batch: RIP 0x10400, measured). */
	static uint8_t nops[1102];
	memset(nops, 0x90, sizeof(nops));
	nops[0] = 0xfb;
	nops[sizeof(nops) - 1] = 0xf4;
	windows = k->irq_window_exits;
	run("sti-1100-nops", 1, nops, sizeof(nops));
	at = out.n_events ? out.events[0].rip : 0;
	printf("   measured: window at 0x%llx, %llu KVM_EXIT_IRQ_WINDOW_OPEN\n",
	       (unsigned long long)at, (unsigned long long)(k->irq_window_exits - windows));
	CHECK(k->irq_window_exits == windows + 1, "sti; 1100 nops: one KVM_EXIT_IRQ_WINDOW_OPEN");
	CHECK(at == LAYOUT_CODE + 2 || (!strcmp(ex.env.backend, "kvm_pvm") &&
					 at > LAYOUT_CODE + 2 && at < LAYOUT_CODE + sizeof(nops) - 1),
	      "sti; 1100 nops: the window at the second nop, or on kvm_pvm at a batch's end "
	      "before the hlt (got 0x%llx)", (unsigned long long)at);
	want_delivered(at, "sti; 1100 nops");

	run("after-delivered: nop; hlt (no event)", 0, CODE(0x90, 0xf4));
	want_hlt(LAYOUT_CODE + 2, "a delivered interrupt leaves nothing for the next case");

	ex.ops->fini(&ex);
	return check_done("test_kvm_intr_window");
}
