/* The KVM executor's events made pending later than the start
 * (harness/kvm_after.c, harness/kvm_events.c): an NMI after=N is taken at
 * the Nth boundary (SDM Vol. 3A 6.7), an NMI made pending while the
 * vCPU halts in an interrupt's handler is delivered there (not masked by
 * IF, 6.7.1), a second NMI in an NMI's handler and an interrupt in it are
 * held (6.7.1, 6.8.1), and nothing held leaks into the next case. */
#include <string.h>
#include "check.h"
#include "executor.h"
#include "layout.h"
#include "outcome_check.h"

static struct executor ex;
static struct test_case tc;
static struct outcome out;

#define CODE(...) ((const uint8_t[]){ __VA_ARGS__ }), sizeof((const uint8_t[]){ __VA_ARGS__ })

static void run(const char *id, struct case_event a, struct case_event b, const uint8_t *code,
		size_t n)
{
	case_init(&tc);
	snprintf(tc.id, sizeof(tc.id), "%s", id);
	tc.event[0] = a;
	tc.event[1] = b;
	memcpy(tc.code, code, n);
	tc.code_len = (uint32_t)n;
	printf("-- %s\n", id);
	int rc = ex.ops->run(&ex, &tc, &out);
	CHECK(rc == 0, "%s: run returned %d (%s)", id, rc, rc ? ex.err : "ok");
	if (rc == 0)
		oc_print_trace(&out);
}

static void want(unsigned i, unsigned kind, unsigned vector, uint64_t rip, const char *what)
{
	CHECK(i < out.n_events && out.events[i].kind == kind &&
	      (kind != EXIT_EXCEPTION || out.events[i].addr == vector) && out.events[i].rip == rip,
	      "%s: event %u is %s %u at 0x%llx", what, i, exit_kind_name((enum exit_kind)kind),
	      vector, (unsigned long long)rip);
}

int main(void)
{
	SKIP_WITHOUT_KVM();
	ex.ops = &kvm_executor_ops;
	int rc = ex.ops->init(&ex, ex.err, sizeof(ex.err));
	CHECK(rc == 0, "init (%s)", rc ? ex.err : "ok");
	if (rc)
		return check_done("test_kvm_events_later");
	const struct case_event none = { 0 };
	const struct case_event nmi = { .kind = CASE_EVENT_NMI };
	const struct case_event nmi2 = { .kind = CASE_EVENT_NMI, .after = 2 };
	const struct case_event nmi_h = { .kind = CASE_EVENT_NMI, .in_handler = 1 };
	const struct case_event intr = { .kind = CASE_EVENT_INTR, .vector = 48 };
	const struct case_event intr_h = { .kind = CASE_EVENT_INTR, .vector = 48, .in_handler = 1 };

	run("nmi after=2", nmi2, none, CODE(0xff, 0xc0, 0xff, 0xc0, 0xff, 0xc0, 0xf4));
	CHECK_EQ_U64(out.n_events, 1, "nmi after=2: one event");
	want(0, EXIT_EXCEPTION, 2, LAYOUT_CODE + 4, "nmi after=2");
	CHECK_EQ_U64(out.state.gpr[RAX], 2, "nmi after=2: two INCs ran");
	CHECK_EQ_U64(out.state.ss, SEL_DATA, "nmi after=2: the case's own SS (the load stood)");

	run("nmi after=5, past the end", (struct case_event){ .kind = CASE_EVENT_NMI, .after = 5 },
	    none, CODE(0xff, 0xc0, 0xf4));
	CHECK(out.n_events == 1 && out.events[0].kind == EXIT_HLT, "never reached: the HLT only");

	run("nmi in an interrupt handler", intr, nmi_h, CODE(0xfb, 0xf4, 0xf4));
	CHECK_EQ_U64(out.n_events, 3, "window, interrupt, nmi");
	want(0, EXIT_IRQ_WINDOW, 0, LAYOUT_CODE + 2, "nmi in handler");
	want(1, EXIT_EXCEPTION, 48, LAYOUT_CODE + 2, "nmi in handler");
	want(2, EXIT_EXCEPTION, 2, LAYOUT_STUBS + 48 + 1, "nmi in handler");
	CHECK_EQ_U64(out.state.gpr[RSP], LAYOUT_IST_TOP - 40, "the NMI's frame: RSP in the handler");
	CHECK(!(out.state.rflags & RFLAGS_IF), "the NMI's frame: IF clear in the handler");

	run("nmi in an nmi handler", nmi, nmi_h, CODE(0xff, 0xc0, 0xf4));
	CHECK_EQ_U64(out.n_events, 1, "second nmi held");
	want(0, EXIT_EXCEPTION, 2, LAYOUT_CODE, "second nmi held");
	CHECK_EQ_U64(out.state.rip, LAYOUT_CODE, "held: the first NMI's frame is the end state");

	run("intr in an nmi handler", nmi, intr_h, CODE(0xfb, 0x90, 0xf4));
	CHECK_EQ_U64(out.n_events, 1, "interrupt held, no window");
	want(0, EXIT_EXCEPTION, 2, LAYOUT_CODE, "interrupt held");

	/* Nothing held may reach the next case. */
	run("after the held ones: sti; nop; hlt", none, none, CODE(0xfb, 0x90, 0xf4));
	CHECK(out.n_events == 1 && out.events[0].kind == EXIT_HLT &&
	      out.events[0].rip == LAYOUT_CODE + 3, "no NMI or interrupt leaked into the next case");

	ex.ops->fini(&ex);
	return check_done("test_kvm_events_later");
}
