/* Golden tests of the bit, exchange and flag-register semantics through
 * the whole reference executor: each row of test_ref_bits_rows.h becomes a
 * case (its code, then HLT) and the outcome must match the row's literal
 * registers, memory cell, defined flags, undefined-flag set and terminal
 * event. Also checks that the new fragments own their ids in the merged
 * table. */
#include <string.h>
#include "check.h"
#include "../core/case.h"
#include "../core/executor.h"
#include "../core/layout.h"
#include "../core/outcome.h"
#include "../emulator-ref/ref_internal.h"
#include "../emulator-ref/ref_ext_priv.h"
#include "test_ref_bits_rows.h"

/* The cell: 32 bytes, 16-aligned; RDI points at its middle. */
#define CELL_OFF 0x100u
#define CELL_RDI (LAYOUT_DATA + CELL_OFF + 16)

static int row_case(const struct bits_row *r, struct test_case *c)
{
	case_init(c);
	snprintf(c->id, sizeof(c->id), "bits:%s", r->name);
	int n = hex_bytes(r->code, c->code, CASE_CODE_MAX - 1);
	if (n <= 0)
		return -1;
	c->code[n] = 0xf4;
	c->code_len = (uint32_t)n + 1;
	c->gpr[RAX] = r->rax;
	c->gpr[RBX] = r->rbx;
	c->gpr[RCX] = r->rcx;
	c->gpr[RDX] = r->rdx;
	c->gpr[RDI] = CELL_RDI;
	c->rflags = (r->fin & RFLAGS_CASE_SETTABLE) | RFLAGS_FIXED1;
	memcpy(c->data + CELL_OFF, r->mem, sizeof(r->mem));
	c->data_len = CELL_OFF + sizeof(r->mem);
	return n;
}

static void run_row(struct executor *ex, const struct bits_row *r,
		    struct cpuid_table *feat[2])
{
	static struct test_case c;
	static struct outcome o;
	int n = row_case(r, &c);
	if (n < 0) {
		CHECK(0, "%s: bad hex '%s'", r->name, r->code);
		return;
	}
	ex->cpuid = feat[r->feat];
	if (ex->ops->run(ex, &c, &o) != 0) {
		CHECK(0, "%s: executor failed: %s", r->name, ex->err);
		return;
	}
	const struct exit_event *t = outcome_terminal(&o);
	char why[320] = "";
	size_t w = 0;
#define WHY(...) (w += (size_t)snprintf(why + w, w < sizeof(why) ? sizeof(why) - w : 0, __VA_ARGS__))
	if (!t) {
		WHY(" no terminal event;");
	} else if (r->vec == -2) {
		if (t->kind != EXIT_UNSUPPORTED)
			WHY(" wanted unsupported, got %s;", exit_kind_name(t->kind));
		CHECK(w == 0, "%-26s %-12s ->%s", r->name, r->code, w ? why : " unsupported as expected");
		return;
	} else if (r->vec < 0) {
		if (t->kind != EXIT_HLT || t->rip != LAYOUT_CODE + (uint64_t)n + 1)
			WHY(" wanted hlt, got %s (%" PRIu64 ") rip 0x%" PRIx64 " [%s];",
			    exit_kind_name(t->kind), t->addr, t->rip, o.mnemonic);
	} else if (t->kind != EXIT_EXCEPTION || t->addr != (uint64_t)r->vec ||
		   t->rip != LAYOUT_CODE) {
		WHY(" wanted exception %d, got %s (%" PRIu64 ") rip 0x%" PRIx64 ";",
		    r->vec, exit_kind_name(t->kind), t->addr, t->rip);
	}
	static const int regs[4] = { RAX, RBX, RCX, RDX };
	const uint64_t want[4] = { r->o_rax, r->o_rbx, r->o_rcx, r->o_rdx };
	for (int k = 0; k < 4; k++)
		if (o.state.gpr[regs[k]] != want[k])
			WHY(" %s 0x%" PRIx64 " want 0x%" PRIx64 ";", gpr_name((enum gpr)regs[k]),
			    o.state.gpr[regs[k]], want[k]);
	for (int g = 0; g < GPR_COUNT; g++)
		if (g != RAX && g != RBX && g != RCX && g != RDX && o.state.gpr[g] != c.gpr[g])
			WHY(" %s changed to 0x%" PRIx64 ";", gpr_name((enum gpr)g), o.state.gpr[g]);
	for (int k = 0; k < 4; k++) {
		uint64_t v;
		memcpy(&v, o.mem + (LAYOUT_DATA - LAYOUT_CMP_BASE) + CELL_OFF + 8 * k, 8);
		if (v != r->o_mem[k])
			WHY(" mem[%d] 0x%" PRIx64 " want 0x%" PRIx64 ";", k, v, r->o_mem[k]);
	}
	const uint64_t def = r->def;
	if ((o.state.rflags & def) != (r->fout & def))
		WHY(" flags 0x%" PRIx64 " want 0x%" PRIx64 ";", o.state.rflags & def,
		    (uint64_t)(r->fout & def));
	if ((o.undefined_flags & RFLAGS_STATUS) != (RFLAGS_STATUS & ~def))
		WHY(" undefined 0x%" PRIx64 " want 0x%" PRIx64 ";",
		    o.undefined_flags & RFLAGS_STATUS, (uint64_t)(RFLAGS_STATUS & ~def));
#undef WHY
	CHECK(w == 0, "%-26s %-12s ->%s", r->name, r->code, w ? why : " as expected");
}

static void check_fragment(const char *what, const struct ref_sem *f, unsigned n)
{
	unsigned lost = 0;
	for (unsigned i = 0; i < n; i++)
		lost += ref_lookup(f[i].id) != f[i].fn;
	CHECK(lost == 0 && n > 0, "all %u ids of the %s fragment dispatch to it (%u lost)",
	      n, what, lost);
}

int main(void)
{
	struct executor ex = { .ops = &ref_executor_ops };
	char err[256];
	if (ex.ops->init(&ex, err, sizeof(err)) != 0) {
		printf("FAILED: reference executor init: %s\n", err);
		return 1;
	}
	/* feat 0: POPCNT and CX16 (leaf 1 ECX bits 23, 13), BMI1 (7.0 EBX
	 * bit 3), LAHF-SAHF and ABM (0x80000001 ECX bits 0, 5). feat 1: the
	 * same leaves with those bits clear. */
	static struct cpuid_table full = { .n = 3, .e = {
		{ .leaf = 1, .ecx = (1u << 23) | (1u << 13) },
		{ .leaf = 7, .ebx = 1u << 3 },
		{ .leaf = 0x80000001u, .ecx = 1u | (1u << 5) },
	} };
	static struct cpuid_table none = { .n = 3, .e = {
		{ .leaf = 1 }, { .leaf = 7 }, { .leaf = 0x80000001u },
	} };
	struct cpuid_table *feat[2] = { &full, &none };
	check_fragment("bits", ref_sem_bits, ref_sem_bits_count);
	check_fragment("xchg", ref_sem_xchg, ref_sem_xchg_count);
	check_fragment("flagreg", ref_sem_flagreg, ref_sem_flagreg_count);
	check_fragment("string", ref_sem_string, ref_sem_string_count);
	for (unsigned i = 0; i < BITS_ROW_COUNT; i++)
		run_row(&ex, &bits_rows[i], feat);
	ex.ops->fini(&ex);
	return check_done("test_ref_bits");
}
