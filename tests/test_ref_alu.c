/* Golden tests of the arithmetic/logic semantics through the whole
 * reference executor: each row of test_ref_alu_rows.h becomes a case (the
 * instruction, then HLT), runs in ref_executor_ops, and the outcome must
 * give the row's registers, memory cell, defined flags, the row's set of
 * undefined flags, and the row's terminal event (HLT after the
 * instruction, or the exception at it with nothing changed). */
#include <string.h>
#include "check.h"
#include "../core/case.h"
#include "../core/executor.h"
#include "../core/layout.h"
#include "../core/outcome.h"
#include "../emulator-ref/ref_internal.h"
#include "test_ref_alu_rows.h"

static uint64_t cell_of(const struct outcome *o)
{
	uint64_t v;
	memcpy(&v, o->mem + (LAYOUT_DATA - LAYOUT_CMP_BASE), sizeof(v));
	return v;
}

/* Builds the case of a row: code = instruction + HLT, RBX = the cell. */
static int row_case(const struct alu_row *r, struct test_case *c)
{
	case_init(c);
	snprintf(c->id, sizeof(c->id), "alu:%s", r->name);
	int n = hex_bytes(r->code, c->code, CASE_CODE_MAX - 1);
	if (n <= 0)
		return -1;
	c->code[n] = 0xf4; /* HLT */
	c->code_len = (uint32_t)n + 1;
	c->gpr[RAX] = r->rax;
	c->gpr[RCX] = r->rcx;
	c->gpr[RDX] = r->rdx;
	c->gpr[RBX] = LAYOUT_DATA;
	c->rflags = (r->fin & RFLAGS_CASE_SETTABLE) | RFLAGS_FIXED1;
	memcpy(c->data, &r->mem, sizeof(r->mem));
	c->data_len = sizeof(r->mem);
	return n;
}

static void run_row(struct executor *ex, const struct alu_row *r)
{
	static struct test_case c;
	static struct outcome o;
	int n = row_case(r, &c);
	if (n < 0) {
		CHECK(0, "%s: bad hex '%s' in the rows file", r->name, r->code);
		return;
	}
	if (ex->ops->run(ex, &c, &o) != 0) {
		CHECK(0, "%s: executor failed: %s", r->name, ex->err);
		return;
	}
	const struct exit_event *t = outcome_terminal(&o);
	const uint64_t def = r->def, stat_def = RFLAGS_STATUS & def;
	char why[256] = "";
	size_t w = 0;
#define WHY(...) (w += (size_t)snprintf(why + w, w < sizeof(why) ? sizeof(why) - w : 0, __VA_ARGS__))
	if (!t) {
		WHY(" no terminal event;");
	} else if (r->vec < 0) {
		if (t->kind != EXIT_HLT || t->rip != LAYOUT_CODE + (uint64_t)n + 1)
			WHY(" wanted hlt at 0x%x, got %s (vector %" PRIu64 ") rip 0x%" PRIx64
			    " [%s];", LAYOUT_CODE + n + 1, exit_kind_name(t->kind), t->addr,
			    t->rip, o.mnemonic);
	} else if (t->kind != EXIT_EXCEPTION || t->addr != (uint64_t)r->vec ||
		   t->rip != LAYOUT_CODE) {
		WHY(" wanted exception %d at 0x%x, got %s (%" PRIu64 ") rip 0x%" PRIx64 ";",
		    r->vec, LAYOUT_CODE, exit_kind_name(t->kind), t->addr, t->rip);
	}
	if (o.state.gpr[RAX] != r->o_rax)
		WHY(" rax 0x%" PRIx64 " want 0x%" PRIx64 ";", o.state.gpr[RAX], r->o_rax);
	if (o.state.gpr[RCX] != r->o_rcx)
		WHY(" rcx 0x%" PRIx64 " want 0x%" PRIx64 ";", o.state.gpr[RCX], r->o_rcx);
	if (o.state.gpr[RDX] != r->o_rdx)
		WHY(" rdx 0x%" PRIx64 " want 0x%" PRIx64 ";", o.state.gpr[RDX], r->o_rdx);
	for (int g = 0; g < GPR_COUNT; g++)
		if (g != RAX && g != RCX && g != RDX && o.state.gpr[g] != c.gpr[g])
			WHY(" %s changed to 0x%" PRIx64 ";", gpr_name((enum gpr)g), o.state.gpr[g]);
	if (cell_of(&o) != r->o_mem)
		WHY(" mem 0x%" PRIx64 " want 0x%" PRIx64 ";", cell_of(&o), r->o_mem);
	if ((o.state.rflags & def) != (r->fout & def))
		WHY(" flags 0x%" PRIx64 " want 0x%" PRIx64 " (mask 0x%" PRIx64 ");",
		    o.state.rflags & def, (uint64_t)(r->fout & def), def);
	if ((o.undefined_flags & RFLAGS_STATUS) != (RFLAGS_STATUS & ~stat_def))
		WHY(" undefined flags 0x%" PRIx64 " want 0x%" PRIx64 ";",
		    o.undefined_flags & RFLAGS_STATUS, (uint64_t)(RFLAGS_STATUS & ~stat_def));
#undef WHY
	CHECK(w == 0, "%-22s %-14s ->%s", r->name, r->code, w ? why : " as expected");
}

/* Every handler the fragment lists must be what the merged table
 * dispatches to: the framework's families are merged first and would win
 * a clash silently. */
static void check_table(void)
{
	unsigned lost = 0;
	for (unsigned i = 0; i < ref_sem_alu_count; i++)
		if (ref_lookup(ref_sem_alu[i].id) != ref_sem_alu[i].fn) {
			lost++;
			printf("  id %u is dispatched elsewhere\n", ref_sem_alu[i].id);
		}
	CHECK(lost == 0 && ref_sem_alu_count > 0,
	      "all %u ids of the ALU fragment dispatch to it (%u lost)",
	      ref_sem_alu_count, lost);
}

int main(void)
{
	struct executor ex = { .ops = &ref_executor_ops };
	char err[256];
	if (ex.ops->init(&ex, err, sizeof(err)) != 0) {
		printf("FAILED: reference executor init: %s\n", err);
		return 1;
	}
	check_table();
	for (unsigned i = 0; i < ALU_ROW_COUNT; i++)
		run_row(&ex, &alu_rows[i]);
	ex.ops->fini(&ex);
	return check_done("test_ref_alu");
}
