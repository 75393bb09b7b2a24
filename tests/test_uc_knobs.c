/* Unicorn with knobs: each CR0/CR4 knob it now models changes what runs as
 * the SDM says (Vol. 3A 2.5 and each instruction's exceptions table), and
 * its whole outcome matches the reference executor's; the knobs it cannot
 * model end UNSUPPORTED with their reason. One row per knob, and CPL3
 * rows: the privileged HLT, IN/OUT above IOPL, INT n through DPL0 and DPL3
 * gates, a supervisor page (#PF error code with U), the CR knobs at CPL3. */
#include <string.h>
#include "check.h"
#include "diff.h"
#include "executor.h"
#include "knobs.h"
#include "layout.h"
#ifdef EXITDIFF_HAVE_UNICORN
#include "uc_oracle.h"

static struct executor uc_ex, ref_ex;
static struct outcome out, rout;

struct row {
	const char *what;
	uint8_t mode;
	uint32_t knobs;
	uint8_t code[16];
	unsigned len;
	int vector;           /* -1: ends at its HLT */
	uint32_t rip_off;     /* the exception's RIP - first RIP */
	int err;              /* the error code wanted, -1: none pushed */
};

#define C(...) { __VA_ARGS__ }, sizeof((uint8_t[]){ __VA_ARGS__ })

static const struct row rows[] = {
	{ "cr0.ts: MOVAPS raises #NM", MODE_LONG64, KNOB_CR0_TS, C(0x0f, 0x28, 0xc1, 0xf4), 7, 0, -1 },
	{ "cr0.ts: FLD1 raises #NM", MODE_LONG64, KNOB_CR0_TS, C(0xd9, 0xe8, 0xf4), 7, 0, -1 },
	{ "cr0.ts: integer code runs", MODE_LONG64, KNOB_CR0_TS, C(0x48, 0xff, 0xc0, 0xf4), -1, 0, -1 },
	{ "cr0.em: MOVAPS raises #UD", MODE_LONG64, KNOB_CR0_EM, C(0x0f, 0x28, 0xc1, 0xf4), 6, 0, -1 },
	{ "cr0.em: FLD1 raises #NM", MODE_LONG64, KNOB_CR0_EM, C(0xd9, 0xe8, 0xf4), 7, 0, -1 },
	{ "no-osfxsr: MOVAPS raises #UD", MODE_LONG64, KNOB_NO_OSFXSR, C(0x0f, 0x28, 0xc1, 0xf4), 6, 0, -1 },
	{ "no-osfxsr: integer code runs", MODE_LONG64, KNOB_NO_OSFXSR, C(0x48, 0xff, 0xc0, 0xf4), -1, 0, -1 },
	{ "cr0.ts in prot32: MOVAPS raises #NM", MODE_PROT32, KNOB_CR0_TS, C(0x0f, 0x28, 0xc1, 0xf4), 7, 0, -1 },
	{ "cr0.em in real16: MOVAPS raises #UD", MODE_REAL16, KNOB_CR0_EM, C(0x0f, 0x28, 0xc1, 0xf4), 6, 0, -1 },
	{ "cr0.ts|cr0.em: FLD1 raises #NM", MODE_LONG64, KNOB_CR0_TS | KNOB_CR0_EM, C(0xd9, 0xe8, 0xf4), 7, 0, -1 },
	{ "cr4.tsd at CPL0: RDTSC runs", MODE_LONG64, KNOB_CR4_TSD, C(0x0f, 0x31, 0xf4), -1, 0, -1 },
	{ "without cr4.osxsave: XGETBV raises #UD", MODE_LONG64, 0, C(0x0f, 0x01, 0xd0, 0xf4), 6, 0, -1 },
	{ "no-sce: SYSCALL raises #UD", MODE_LONG64, KNOB_NO_SCE, C(0x0f, 0x05, 0xf4), 6, 0, -1 },
	{ "cpl3|no-sce: SYSCALL raises #UD", MODE_LONG64, KNOB_CPL3 | KNOB_NO_SCE, C(0x90, 0x0f, 0x05, 0xf4), 6, 1, -1 },
	{ "no-sce: SYSRET raises #UD", MODE_LONG64, KNOB_NO_SCE, C(0x48, 0x0f, 0x07, 0xf4), 6, 0, -1 },
	{ "cpl3: the ending HLT raises #GP(0)", MODE_LONG64, KNOB_CPL3, C(0x48, 0xff, 0xc0, 0xf4), 13, 3, 0 },
	{ "cpl3: OUT raises #GP(0), no port access", MODE_LONG64, KNOB_CPL3, C(0xe6, 0x80, 0xf4), 13, 0, 0 },
	{ "cpl3: IN raises #GP(0), no port access", MODE_LONG64, KNOB_CPL3, C(0xec, 0xf4), 13, 0, 0 },
	{ "cpl3: INT 0 through a DPL0 gate raises #GP(0x2)", MODE_LONG64, KNOB_CPL3, C(0xcd, 0x00, 0xf4), 13, 0, 0x2 },
	{ "cpl3: INT 0x21 through a DPL0 gate raises #GP(0x10a)", MODE_LONG64, KNOB_CPL3, C(0x90, 0xcd, 0x21, 0xf4), 13, 1, 0x10a },
	{ "cpl3: INT3 through its DPL3 gate is #BP, a trap", MODE_LONG64, KNOB_CPL3, C(0xcc, 0xf4), 3, 1, -1 },
	{ "cpl3: a read of the GDT page raises #PF(U|P)", MODE_LONG64, KNOB_CPL3, C(0x8b, 0x04, 0x25, 0x00, 0x10, 0x00, 0x00, 0xf4), 14, 0, 0x5 },
	{ "cpl3: a store to the data page runs", MODE_LONG64, KNOB_CPL3, C(0x48, 0x89, 0x04, 0x25, 0x00, 0x20, 0x01, 0x00, 0xf4), 13, 8, 0 },
	{ "cpl3|cr0.ts: MOVAPS raises #NM", MODE_LONG64, KNOB_CPL3 | KNOB_CR0_TS, C(0x0f, 0x28, 0xc1, 0xf4), 7, 0, -1 },
	{ "cpl3|no-osfxsr: MOVAPS raises #UD", MODE_LONG64, KNOB_CPL3 | KNOB_NO_OSFXSR, C(0x0f, 0x28, 0xc1, 0xf4), 6, 0, -1 },
	{ "cpl3|cr0.em: PXOR raises #UD", MODE_LONG64, KNOB_CPL3 | KNOB_CR0_EM, C(0x66, 0x0f, 0xef, 0xc0, 0xf4), 6, 0, -1 },
	{ "cpl3|cr4.tsd: RDTSC raises #GP(0)", MODE_LONG64, KNOB_CPL3 | KNOB_CR4_TSD, C(0x0f, 0x31, 0xf4), 13, 0, 0 },
	{ "cpl3|cr4.smap: SMAP governs CPL0 only", MODE_LONG64, KNOB_CPL3 | KNOB_CR4_SMAP, C(0x48, 0x8b, 0x04, 0x25, 0x00, 0x20, 0x01, 0x00, 0xf4), 13, 8, 0 },
	{ "cpl3|no-sce: the HLT raises #GP(0)", MODE_LONG64, KNOB_CPL3 | KNOB_NO_SCE, C(0xf4), 13, 0, 0 },
	/* The layout's case pages are user pages (layout.c): with SMAP a
	 * CPL0 load from one faults (SDM Vol. 3A 4.6.1). */
	{ "cr4.osxsave, integer code: runs, CR4 as set", MODE_LONG64, KNOB_CR4_OSXSAVE, C(0x48, 0xff, 0xc0, 0xf4), -1, 0, -1 },
	{ "cpl3|cr4.umip|cr4.fsgsbase, integer code", MODE_LONG64, KNOB_CPL3 | KNOB_CR4_UMIP | KNOB_CR4_FSGSBASE, C(0x48, 0xff, 0xc0, 0xf4), 13, 3, 0 },
	{ "cr4.smap: a CPL0 load from a user page raises #PF", MODE_LONG64, KNOB_CR4_SMAP, C(0x48, 0x8b, 0x04, 0x25, 0x00, 0x20, 0x01, 0x00, 0xf4), 14, 0, 0x1 },
	{ "cr4.smap|cr0.ts: #PF first, then nothing", MODE_LONG64, KNOB_CR4_SMAP | KNOB_CR0_TS, C(0x48, 0x8b, 0x04, 0x25, 0x00, 0x20, 0x01, 0x00, 0xf4), 14, 0, 0x1 },
};

static const struct exit_event *term(const struct outcome *o)
{
	static const struct exit_event none = { .kind = 0xff };
	return o->n_events ? &o->events[o->n_events - 1] : &none;
}

static void run_row(const struct row *r)
{
	struct test_case c;
	case_init(&c);
	c.mode = r->mode;
	c.knobs = r->knobs;
	snprintf(c.id, sizeof(c.id), "%s", r->what);
	memcpy(c.code, r->code, r->len);
	c.code_len = r->len;
	printf("-- %s\n", r->what);
	if (uc_ex.ops->run(&uc_ex, &c, &out) != 0 || ref_ex.ops->run(&ref_ex, &c, &rout) != 0) {
		CHECK(0, "%s: both executors run (%s%s)", r->what, uc_ex.err, ref_ex.err);
		return;
	}
	const struct exit_event *t = term(&out);
	if (r->vector < 0)
		CHECK(t->kind == EXIT_HLT, "%s: unicorn ends at the HLT (kind %s, %s)", r->what,
		      exit_kind_name((enum exit_kind)t->kind), out.mnemonic);
	else {
		uint64_t rip = (r->mode == MODE_REAL16 ? 0 : LAYOUT_CODE) + r->rip_off;
		CHECK(t->kind == EXIT_EXCEPTION && t->addr == (uint64_t)r->vector && t->rip == rip,
		      "%s: unicorn raises vector %d at 0x%llx (kind %s vector %llu rip 0x%llx, %s)", r->what,
		      r->vector, (unsigned long long)rip, exit_kind_name((enum exit_kind)t->kind),
		      (unsigned long long)t->addr, (unsigned long long)t->rip, out.mnemonic);
		if (t->has_error_code)
			CHECK_EQ_U64(t->error_code, (uint32_t)r->err, "error code");
	}
	if (r->knobs & KNOB_CPL3)
		CHECK(out.state.cs == SEL_UCODE64 && out.state.ss == SEL_UDATA && out.state.ds == SEL_UDATA,
		      "cpl3 selectors: cs 0x%x ss 0x%x ds 0x%x", out.state.cs, out.state.ss, out.state.ds);
	CHECK(!(r->knobs & (KNOB_CPL3 | KNOB_NO_SCE)) || out.n_events == 1, "one event: no port access (%u)", out.n_events);
	/* RDTSC's result is the host's: the reference masks it. */
	out.undefined_gprs = rout.undefined_gprs;
	out.undefined_flags = rout.undefined_flags;
	struct divergence d;
	enum verdict v = outcome_diff(&rout, &out, &d);
	char line[256] = "";
	if (v != VERDICT_AGREE)
		divergence_describe(&d, line, sizeof(line));
	CHECK(v == VERDICT_AGREE, "%s: unicorn's outcome is the reference's %s", r->what, line);
	CHECK_EQ_U64(out.state.cr0, rout.state.cr0, "cr0 as the environment has it");
	CHECK_EQ_U64(out.state.cr4, rout.state.cr4, "cr4 as the environment has it");
}

#define B(...) (const uint8_t[]){ __VA_ARGS__ }, sizeof((const uint8_t[]){ __VA_ARGS__ })

/* A knob Unicorn cannot model: refused, the reason naming it. */
static void refused(const char *what, uint32_t knobs, const uint8_t *code, unsigned len,
		    const char *prefix)
{
	struct test_case c;
	case_init(&c);
	c.knobs = knobs;
	if (strstr(what, "prot32"))
		c.mode = MODE_PROT32;
	snprintf(c.id, sizeof(c.id), "%s", what);
	memcpy(c.code, code, len);
	c.code_len = len;
	CHECK(uc_ex.ops->run(&uc_ex, &c, &out) == 0, "%s runs", what);
	CHECK(term(&out)->kind == EXIT_UNSUPPORTED && !strncmp(out.mnemonic, prefix, strlen(prefix)),
	      "%s: refused as '%s' (want '%s...')", what, out.mnemonic, prefix);
}

int main(void)
{
	uc_ex.ops = &unicorn_executor_ops;
	ref_ex.ops = &ref_executor_ops;
	if (uc_ex.ops->init(&uc_ex, uc_ex.err, sizeof(uc_ex.err)) < 0 ||
	    ref_ex.ops->init(&ref_ex, ref_ex.err, sizeof(ref_ex.err)) < 0) {
		printf("FAILED: init: %s %s\n", uc_ex.err, ref_ex.err);
		return 1;
	}
	for (unsigned i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		run_row(&rows[i]);
	/* The same knob set twice, and a plain case after: the cached
	 * context is reused and does not leak into a case without knobs. */
	run_row(&rows[0]);
	struct test_case c;
	case_init(&c);
	memcpy(c.code, (uint8_t[]){ 0x0f, 0x28, 0xc1, 0xf4 }, 4);
	c.code_len = 4;
	CHECK(uc_ex.ops->run(&uc_ex, &c, &out) == 0 && term(&out)->kind == EXIT_HLT,
	      "after cr0.ts cases, a case without knobs runs MOVAPS to the HLT");
	CHECK_EQ_U64(out.state.cr0, LM_CR0, "and its cr0 has no TS");

	/* Knobs Unicorn takes but cannot act on: refused only for code that
	 * reaches what they govern. */
	refused("cr4.osxsave with XGETBV", KNOB_CR4_OSXSAVE, B(0x0f, 0x01, 0xd0, 0xf4), "uc:cr4.osxsave xgetbv");
	refused("cr4.osxsave with CPUID", KNOB_CR4_OSXSAVE, B(0x0f, 0xa2, 0xf4), "uc:cr4.osxsave cpuid");
	refused("cr4.fsgsbase with RDFSBASE", KNOB_CR4_FSGSBASE, B(0xf3, 0x48, 0x0f, 0xae, 0xc0, 0xf4), "uc:cr4.fsgsbase rdfsbase");
	refused("cpl3|cr4.umip with SGDT", KNOB_CPL3 | KNOB_CR4_UMIP, B(0x0f, 0x01, 0x04, 0x25, 0x00, 0x20, 0x01, 0x00, 0xf4), "uc:cr4.umip sgdt");
	refused("cr0.ts|cr4.osxsave with a jump to XGETBV", KNOB_CR0_TS | KNOB_CR4_OSXSAVE,
		B(0xeb, 0x01, 0xb8, 0x0f, 0x01, 0xd0, 0xf4), "uc:cr4.osxsave xgetbv");
	refused("cr4.osxsave in prot32", KNOB_CR4_OSXSAVE, B(0xf4), "uc:cr4.osxsave outside long64");
	uc_ex.ops->fini(&uc_ex);
	ref_ex.ops->fini(&ref_ex);
	return check_done("test_uc_knobs");
}
#else
int main(void)
{
	printf("SKIPPED: built without Unicorn\n");
	return 77;
}
#endif
