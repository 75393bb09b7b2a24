/* Golden tests of MOVS STOS LODS SCAS CMPS through the whole reference
 * executor: each row of test_ref_string_rows.h becomes a case (its code,
 * then HLT); the outcome must match the row's literals. Plus: a REP LODSB
 * from the MMIO window is one MMIO event per element, and a REP STOSB that
 * runs off the mapped pages leaves RCX/RDI as the elements done left them. */
#include <string.h>
#include "check.h"
#include "../core/case.h"
#include "../core/executor.h"
#include "../core/layout.h"
#include "../core/outcome.h"
#include "../emulator-ref/ref_internal.h"
#include "test_ref_string_rows.h"

#define BUF_OFF 0x200u
#define BUF (LAYOUT_DATA + BUF_OFF)

static uint64_t ptr_of(const struct str_row *r, int64_t off)
{
	return r->abs ? (uint64_t)off : BUF + (uint64_t)off;
}

static void run_row(struct executor *ex, const struct str_row *r)
{
	static struct test_case c;
	static struct outcome o;
	case_init(&c);
	snprintf(c.id, sizeof(c.id), "str:%s", r->name);
	int n = hex_bytes(r->code, c.code, CASE_CODE_MAX - 1);
	if (n <= 0) {
		CHECK(0, "%s: bad hex", r->name);
		return;
	}
	c.code[n] = 0xf4;
	c.code_len = (uint32_t)n + 1;
	c.gpr[RAX] = r->rax;
	c.gpr[RCX] = r->rcx;
	c.gpr[RSI] = ptr_of(r, r->si);
	c.gpr[RDI] = ptr_of(r, r->di);
	c.rflags = (r->fin & RFLAGS_CASE_SETTABLE) | RFLAGS_FIXED1;
	memcpy(c.data + BUF_OFF, r->mem, sizeof(r->mem));
	c.data_len = BUF_OFF + sizeof(r->mem);
	if (ex->ops->run(ex, &c, &o) != 0) {
		CHECK(0, "%s: executor failed: %s", r->name, ex->err);
		return;
	}
	const struct exit_event *t = outcome_terminal(&o);
	char why[320] = "";
	size_t w = 0;
#define WHY(...) (w += (size_t)snprintf(why + w, w < sizeof(why) ? sizeof(why) - w : 0, __VA_ARGS__))
	if (!t)
		WHY(" no terminal event;");
	else if (r->vec < 0 && (t->kind != EXIT_HLT || t->rip != LAYOUT_CODE + (uint64_t)n + 1))
		WHY(" wanted hlt, got %s (%" PRIu64 ") [%s];", exit_kind_name(t->kind), t->addr,
		    o.mnemonic);
	else if (r->vec >= 0 && (t->kind != EXIT_EXCEPTION || t->addr != (uint64_t)r->vec ||
				 t->rip != LAYOUT_CODE))
		WHY(" wanted exception %d, got %s (%" PRIu64 ");", r->vec,
		    exit_kind_name(t->kind), t->addr);
	const int regs[4] = { RAX, RCX, RSI, RDI };
	const uint64_t want[4] = { r->o_rax, r->o_rcx, ptr_of(r, r->o_si), ptr_of(r, r->o_di) };
	for (int k = 0; k < 4; k++)
		if (o.state.gpr[regs[k]] != want[k])
			WHY(" %s 0x%" PRIx64 " want 0x%" PRIx64 ";", gpr_name((enum gpr)regs[k]),
			    o.state.gpr[regs[k]], want[k]);
	for (int g = 0; g < GPR_COUNT; g++)
		if (g != RAX && g != RCX && g != RSI && g != RDI && o.state.gpr[g] != c.gpr[g])
			WHY(" %s changed;", gpr_name((enum gpr)g));
	for (int k = 0; k < 8; k++) {
		uint64_t v;
		memcpy(&v, o.mem + (LAYOUT_DATA - LAYOUT_CMP_BASE) + BUF_OFF + 8 * k, 8);
		if (v != r->o_mem[k])
			WHY(" mem[%d] 0x%" PRIx64 " want 0x%" PRIx64 ";", k, v, r->o_mem[k]);
	}
	if ((o.state.rflags & r->def) != (r->fout & r->def))
		WHY(" flags 0x%" PRIx64 " want 0x%x;", o.state.rflags & r->def, r->fout & r->def);
	if ((o.undefined_flags & RFLAGS_STATUS) != (RFLAGS_STATUS & ~(uint64_t)r->def))
		WHY(" undefined 0x%" PRIx64 ";", o.undefined_flags & RFLAGS_STATUS);
#undef WHY
	CHECK(w == 0, "%-24s %-8s ->%s", r->name, r->code, w ? why : " as expected");
}

/* REP LODSB over the MMIO window: three elements, three MMIO reads, AL
 * from the last one, RSI advanced by three. */
static void check_mmio(struct executor *ex)
{
	static struct test_case c;
	static struct outcome o;
	case_init(&c);
	snprintf(c.id, sizeof(c.id), "str:mmio");
	const uint8_t code[] = { 0xf3, 0xac, 0xf4 };
	memcpy(c.code, code, sizeof(code));
	c.code_len = sizeof(code);
	c.gpr[RSI] = LAYOUT_MMIO + 0x10;
	c.gpr[RCX] = 3;
	c.rflags = RFLAGS_FIXED1;
	ex->ops->run(ex, &c, &o);
	unsigned mmio = 0, ok_addr = 1;
	for (uint32_t i = 0; i < o.n_events; i++)
		if (o.events[i].kind == EXIT_MMIO) {
			ok_addr &= o.events[i].addr == LAYOUT_MMIO + 0x10 + mmio &&
				   o.events[i].size == 1 && o.events[i].dir == DIR_IN;
			mmio++;
		}
	CHECK(mmio == 3 && ok_addr && (o.state.gpr[RAX] & 0xff) == ENV_MMIO_READ_BYTE &&
	      o.state.gpr[RSI] == LAYOUT_MMIO + 0x13 && o.state.gpr[RCX] == 0,
	      "rep lodsb over MMIO: %u one-byte MMIO reads at successive addresses (want 3), "
	      "rsi 0x%" PRIx64 " rcx %" PRIu64, mmio, o.state.gpr[RSI], o.state.gpr[RCX]);
}

int main(void)
{
	struct executor ex = { .ops = &ref_executor_ops };
	char err[256];
	if (ex.ops->init(&ex, err, sizeof(err)) != 0) {
		printf("FAILED: reference executor init: %s\n", err);
		return 1;
	}
	for (unsigned i = 0; i < STR_ROW_COUNT; i++)
		run_row(&ex, &str_rows[i]);
	check_mmio(&ex);
	ex.ops->fini(&ex);
	return check_done("test_ref_string");
}
