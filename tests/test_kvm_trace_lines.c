/* KVM trace lines as tracefs writes them (recorded on a kvm_pvm host)
 * taken apart into event and detail; headers and foreign lines refused. */
#include <string.h>
#include "check.h"
#include "kvm_trace.h"

struct row {
	const char *line;
	int event;
	const char *name, *detail;
};

static const struct row rows[] = {
	{ "        exitdiff-3131    [000] ..... 11843.170438: kvm_emulate_insn: 10000:0:0f 05 (real)\n",
	  1, "kvm_emulate_insn", "10000:0:0f 05 (real)" },
	{ "        exitdiff-3131    [000] ..... 11843.170440: kvm_inj_exception: #GP (0x0)\n",
	  1, "kvm_inj_exception", "#GP (0x0)" },
	{ "        exitdiff-3131    [001] d..1. 11843.170542: kvm_userspace_exit: reason KVM_EXIT_HLT (5)\n",
	  1, "kvm_userspace_exit", "reason KVM_EXIT_HLT (5)" },
	/* A task name with spaces, brackets and colons: fields are found
	 * from the CPU's bracket, not by splitting on blanks. */
	{ "  a b:c [x]-77    [001] ..... 5.000001: kvm_pio: pio_read at 0x71 size 4 count 1 val 0xff \n",
	  1, "kvm_pio", "pio_read at 0x71 size 4 count 1 val 0xff " },
	{ "        exitdiff-9 [000] ..... 1.5: kvm_emulate_insn: 0:10000:cc (prot64) failed",
	  1, "kvm_emulate_insn", "0:10000:cc (prot64) failed" },
	{ "# tracer: nop\n", 0, NULL, NULL },
	{ "#           TASK-PID     CPU#  |||||  TIMESTAMP  FUNCTION\n", 0, NULL, NULL },
	{ "\n", 0, NULL, NULL },
	{ "CPU:0 [LOST 12 EVENTS]\n", 0, NULL, NULL },
};

int main(void)
{
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct row *r = &rows[i];
		struct kvm_trace_event e;
		memset(&e, 0, sizeof(e));
		int got = kvm_trace_parse_line(r->line, &e);
		CHECK(got == r->event, "line %zu is %s", i, r->event ? "an event" : "not an event");
		if (!r->event || got != 1)
			continue;
		CHECK(!strcmp(e.name, r->name), "line %zu: event '%s' (wanted '%s')", i, e.name, r->name);
		CHECK(!strcmp(e.detail, r->detail), "line %zu: detail '%s' (wanted '%s')", i, e.detail,
		      r->detail);
	}
	return check_done("test_kvm_trace_lines");
}
