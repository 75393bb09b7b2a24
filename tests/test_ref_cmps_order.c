/* CMPS reads ES:[rDI] before [rSI]. The SDM leaves the
 * order of the two reads open (Vol. 2A CMPS); natively at CPL3 on this
 * host CMPSB/CMPSQ with both operands on unmapped pages fault on the rDI
 * one, and KVM (CPL3 runs on the CPU) does no MMIO read of [rSI] when
 * ES:[rDI] faults. Each check fails with the old source-first order. */
#include <string.h>
#include "check.h"
#include "../core/case.h"
#include "../core/executor.h"
#include "../core/layout.h"
#include "../core/outcome.h"
#include "../emulator-ref/ref_internal.h"

#define UNMAPPED_PAGE 0x11000u  /* between code and data: not present */

static void run_cmps(struct executor *ex, const char *what, const uint8_t *code, unsigned len,
		     uint64_t rsi, uint64_t rdi)
{
	static struct test_case c;
	static struct outcome o;
	case_init(&c);
	snprintf(c.id, sizeof(c.id), "cmps-order:%s", what);
	memcpy(c.code, code, len);
	c.code[len] = 0xf4;
	c.code_len = len + 1;
	c.gpr[RSI] = rsi;
	c.gpr[RDI] = rdi;
	c.rflags = RFLAGS_FIXED1;
	if (ex->ops->run(ex, &c, &o) != 0) {
		CHECK(0, "%s: executor failed: %s", what, ex->err);
		return;
	}
	const struct exit_event *t = outcome_terminal(&o);
	unsigned mmio = 0;
	for (uint32_t i = 0; i < o.n_events; i++)
		mmio += o.events[i].kind == EXIT_MMIO;
	CHECK(t && t->kind == EXIT_EXCEPTION && t->addr == 14 && t->rip == LAYOUT_CODE &&
	      o.state.cr2 == rdi && mmio == 0,
	      "%s (rsi 0x%" PRIx64 ", rdi 0x%" PRIx64 "): #PF at the rDI operand, cr2 0x%" PRIx64
	      " (want 0x%" PRIx64 "), %u MMIO events (want 0)",
	      what, rsi, rdi, o.state.cr2, rdi, mmio);
}

int main(void)
{
	struct executor ex = { .ops = &ref_executor_ops };
	char err[256];
	if (ex.ops->init(&ex, err, sizeof(err)) != 0) {
		printf("FAILED: reference executor init: %s\n", err);
		return 1;
	}
	static const uint8_t cmpsb[] = { 0xa6 }, cmpsq[] = { 0x48, 0xa7 };
	run_cmps(&ex, "cmpsb both unmapped", cmpsb, 1, UNMAPPED_PAGE + 1, 0);
	run_cmps(&ex, "cmpsq both unmapped", cmpsq, 2, 0, UNMAPPED_PAGE + 8);
	run_cmps(&ex, "cmpsb rsi in MMIO", cmpsb, 1, LAYOUT_MMIO, 0);
	ex.ops->fini(&ex);
	return check_done("test_ref_cmps_order");
}
