/* Golden tests of ref_misc.c (ENTER LEAVE MOVBE ADCX ADOX fences CLFLUSH*
 * PREFETCHh MOVNTI UD1 XLAT BOUND and the BCD adjustments) through the
 * whole reference executor, one case per row of test_ref_misc_rows.h
 * (rows checked natively with tests/tools/misc_host_check.c), and of the
 * x87/MMX/SSE/AVX availability rules of ref_fpsse.c, called directly on a
 * CPU reset for a mode and knobs, with literal expectations from SDM Vol.
 * 3A table 2-2 and the per-class exception tables. */
#include <string.h>
#include "check.h"
#include "../core/case.h"
#include "../core/executor.h"
#include "../core/knobs.h"
#include "../core/layout.h"
#include "../core/mode.h"
#include "../core/outcome.h"
#include "../emulator-ref/ref_internal.h"
#include "../emulator-ref/ref_ext_priv.h"
#include "test_ref_misc_rows.h"

#define CELL_OFF (MISC_CELL - LAYOUT_DATA)

static int row_case(const struct misc_row *r, struct test_case *c)
{
	case_init(c);
	snprintf(c->id, sizeof(c->id), "misc:%s", r->name);
	c->mode = r->bits == 64 ? MODE_LONG64 : r->bits == 32 ? MODE_PROT32 : MODE_REAL16;
	int n = hex_bytes(r->code, c->code, CASE_CODE_MAX - 1);
	if (n <= 0)
		return -1;
	c->code[n] = 0xf4;
	c->code_len = (uint32_t)n + 1;
	c->gpr[RAX] = r->rax;
	c->gpr[RBX] = r->rbx;
	c->gpr[RCX] = r->rcx;
	c->gpr[RDX] = r->rdx;
	c->gpr[RSP] = r->rsp;
	c->gpr[RBP] = r->rbp;
	c->gpr[RDI] = r->rdi;
	c->rflags = (r->fin & RFLAGS_CASE_SETTABLE) | RFLAGS_FIXED1;
	memcpy(c->data + CELL_OFF, r->mem, sizeof(r->mem));
	c->data_len = (uint32_t)(CELL_OFF + sizeof(r->mem));
	return n;
}

static void run_row(struct executor *ex, const struct misc_row *r,
		    struct cpuid_table *feat[3])
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
	uint64_t m = r->bits == 64 ? ~0ull : 0xffffffffull;
	/* Real mode reports IP, an offset in CS (base 0x10000). */
	uint64_t code = r->bits == 16 ? 0 : LAYOUT_CODE;
	char why[400] = "";
	size_t w = 0;
#define WHY(...) (w += (size_t)snprintf(why + w, w < sizeof(why) ? sizeof(why) - w : 0, __VA_ARGS__))
	if (!t) {
		WHY(" no terminal event;");
	} else if (r->vec == -2) {
		if (t->kind != EXIT_UNSUPPORTED)
			WHY(" wanted unsupported, got %s;", exit_kind_name(t->kind));
		CHECK(w == 0, "[%d] %-30s %-12s ->%s", r->bits, r->name, r->code,
		      w ? why : " unsupported as expected");
		return;
	} else if (r->vec < 0) {
		if (t->kind != EXIT_HLT || t->rip != code + (uint64_t)n + 1)
			WHY(" wanted hlt, got %s (%" PRIu64 ") rip 0x%" PRIx64 " [%s];",
			    exit_kind_name(t->kind), t->addr, t->rip, o.mnemonic);
	} else if (t->kind != EXIT_EXCEPTION || t->addr != (uint64_t)r->vec ||
		   t->rip != code) {
		WHY(" wanted exception %d, got %s (%" PRIu64 ") rip 0x%" PRIx64 " [%s];",
		    r->vec, exit_kind_name(t->kind), t->addr, t->rip, o.mnemonic);
	}
	static const int regs[7] = { RAX, RBX, RCX, RDX, RSP, RBP, RDI };
	const uint64_t want[7] = { r->o_rax, r->o_rbx, r->o_rcx, r->o_rdx,
				   r->o_rsp, r->o_rbp, r->o_rdi };
	for (int k = 0; k < 7; k++)
		if (o.state.gpr[regs[k]] != (want[k] & m))
			WHY(" %s 0x%" PRIx64 " want 0x%" PRIx64 ";", gpr_name((enum gpr)regs[k]),
			    o.state.gpr[regs[k]], want[k] & m);
	for (int g = 0; g < GPR_COUNT; g++) {
		int listed = 0;
		for (int k = 0; k < 7; k++)
			listed |= regs[k] == g;
		if (!listed && o.state.gpr[g] != (c.gpr[g] & m))
			WHY(" %s changed to 0x%" PRIx64 ";", gpr_name((enum gpr)g), o.state.gpr[g]);
	}
	for (int k = 0; k < 8; k++) {
		uint64_t v;
		memcpy(&v, o.mem + (MISC_CELL - LAYOUT_CMP_BASE) + 8 * k, 8);
		if (v != r->o_mem[k])
			WHY(" mem[%d] 0x%" PRIx64 " want 0x%" PRIx64 ";", k, v, r->o_mem[k]);
	}
	const uint64_t def = r->def;
	if ((o.state.rflags & def) != (r->fout & def))
		WHY(" flags 0x%" PRIx64 " want 0x%" PRIx64 ";", o.state.rflags & def,
		    (uint64_t)(r->fout & def));
	if (r->vec < 0 && (o.undefined_flags & RFLAGS_STATUS) != (RFLAGS_STATUS & ~def))
		WHY(" undefined 0x%" PRIx64 " want 0x%" PRIx64 ";",
		    o.undefined_flags & RFLAGS_STATUS, (uint64_t)(RFLAGS_STATUS & ~def));
#undef WHY
	CHECK(w == 0, "[%d] %-30s %-12s ->%s", r->bits, r->name, r->code,
	      w ? why : " as expected");
}

/* ---- ref_fpsse_check ------------------------------------------------------ */

static struct dec dec;
static uint8_t fp_ram[LAYOUT_RAM_SIZE];

/* One availability check: the instruction (hex) in mode/knobs must raise
 * vector want (-1: no fault, the check returns 0; -2: ends UNSUPPORTED).
 * Long mode reports the EXCEPTION event; prot32/real16 deliver through
 * the IDT32/IVT and resume at the stub for the vector. */
static void fp_case(const char *what, enum cpu_mode mode, uint32_t knobs, const char *hex,
		    int want, uint64_t xcr0)
{
	static struct test_case c;
	static struct outcome o;
	uint8_t b[15];
	int n = hex_bytes(hex, b, sizeof(b));
	case_init(&c);
	c.mode = (uint8_t)mode;
	c.knobs = knobs;
	layout_build(fp_ram);
	mode_reset_ram(fp_ram, &c);
	outcome_init(&o);
	struct ref_cpu cpu;
	ref_cpu_reset(&cpu, &c, fp_ram, &o);
	if (xcr0)
		cpu.xcr0 = xcr0;
	cs_insn *insn = dec.insn;
	if (n <= 0 || !dec_one(&dec, dec_bits(mode), b, (size_t)n, cpu.rip, insn)) {
		CHECK(0, "%s: %s does not decode", what, hex);
		return;
	}
	cpu.insn = insn;
	cpu.next_rip = cpu.rip + insn->size;
	int r = ref_fpsse_check(&cpu, insn);
	const struct exit_event *t = outcome_terminal(&o);
	int got;
	/* The stub's linear address: real mode runs it as 0x300:v. */
	uint64_t at = cpu.seg[SEG_CS].base + cpu.rip;
	if (!r)
		got = -1;
	else if (mode != MODE_LONG64)
		got = cpu.resume && at >= LAYOUT_STUBS && at < LAYOUT_STUBS + 256
		      ? (int)(at - LAYOUT_STUBS)
		      : t && t->kind == EXIT_UNSUPPORTED ? -2 : -3;
	else
		got = t && t->kind == EXIT_EXCEPTION ? (int)t->addr
		      : t && t->kind == EXIT_UNSUPPORTED ? -2 : -3;
	char kn[128];
	knobs_format(knobs, kn, sizeof(kn));
	CHECK(got == want, "[%s %s] %-24s %-10s %s: wanted %d, got %d", mode_name(mode), kn,
	      what, insn->mnemonic, hex, want, got);
}

static void fpsse_tests(void)
{
	const enum cpu_mode L = MODE_LONG64, P = MODE_PROT32, R = MODE_REAL16;
	const uint32_t TS = KNOB_CR0_TS, EM = KNOB_CR0_EM, NF = KNOB_NO_OSFXSR;
	const uint32_t XS = KNOB_CR4_OSXSAVE;
	/* Nothing set: nothing raised (the data operation itself is then
	 * unsupported; that is the run loop's business). */
	fp_case("x87 free", L, 0, "d9c0", -1, 0);
	fp_case("sse free", L, 0, "0f28c1", -1, 0);
	fp_case("mmx free", L, 0, "0f6fc1", -1, 0);
	/* x87: EM or TS is #NM (table 2-2). */
	fp_case("x87 ts", L, TS, "d9c0", 7, 0);
	fp_case("x87 em", L, EM, "d9c0", 7, 0);
	fp_case("x87 mem ts", L, TS, "dd07", 7, 0);
	fp_case("fnstsw ts", L, TS, "dfe0", 7, 0);
	fp_case("fninit em", L, EM, "dbe3", 7, 0);
	fp_case("x87 nofxsr", L, NF, "d9c0", -1, 0);
	/* WAIT: #NM only with TS and MP (MP is set in every mode). */
	fp_case("wait ts", L, TS, "9b", 7, 0);
	fp_case("wait em", L, EM, "9b", -1, 0);
	/* FXSAVE: #NM with EM or TS; OSFXSR does not matter. */
	fp_case("fxsave em", L, EM, "0fae07", 7, 0);
	fp_case("fxsave nofxsr", L, NF, "0fae07", -1, 0);
	/* MMX: EM #UD first, then TS #NM; OSFXSR does not matter. */
	fp_case("mmx ts", L, TS, "0f6fc1", 7, 0);
	fp_case("mmx em", L, EM, "0f6fc1", 6, 0);
	fp_case("mmx em+ts: #UD wins", L, EM | TS, "0f6fc1", 6, 0);
	fp_case("emms ts", L, TS, "0f77", 7, 0);
	fp_case("mmx nofxsr", L, NF, "0f6fc1", -1, 0);
	/* SSE: EM or no OSFXSR #UD first, then TS #NM. */
	fp_case("sse ts", L, TS, "0f28c1", 7, 0);
	fp_case("sse em", L, EM, "0f28c1", 6, 0);
	fp_case("sse nofxsr", L, NF, "0f28c1", 6, 0);
	fp_case("sse nofxsr+ts: #UD wins", L, NF | TS, "0f28c1", 6, 0);
	fp_case("sse2 gpr dest ts", L, TS, "660f7ec0", 7, 0);
	fp_case("cvtsi2ss ts", L, TS, "f30f2ac0", 7, 0);
	fp_case("ldmxcsr nofxsr", L, NF, "0fae17", 6, 0);
	fp_case("stmxcsr ts", L, TS, "0fae1f", 7, 0);
	/* SSE-group instructions that are not SIMD: never #NM/#UD here. */
	fp_case("pause ts+em", L, TS | EM, "f390", -1, 0);
	fp_case("lfence ts+em", L, TS | EM, "0faee8", -1, 0);
	fp_case("sfence nofxsr", L, NF | TS, "0faef8", -1, 0);
	fp_case("clflush ts", L, TS | EM, "0fae3f", -1, 0);
	fp_case("prefetcht0 ts", L, TS | EM, "0f180f", -1, 0);
	fp_case("movnti ts", L, TS | EM | NF, "0fc307", -1, 0);
	fp_case("crc32 ts", L, TS | EM | NF, "f20f38f1c1", -1, 0);
	fp_case("andn (bmi) ts", L, TS, "c4e2f0f2c1", -1, 0);
	/* SSSE3 on MMX registers with OSFXSR clear: not decided. */
	fp_case("pshufb mm nofxsr", L, NF, "0f3800c1", -2, 0);
	fp_case("pshufb mm ts", L, TS, "0f3800c1", 7, 0);
	/* AVX: #UD without OSXSAVE or XCR0[2:1], then TS #NM. */
	fp_case("avx no osxsave", L, 0, "c5f828c1", 6, 0);
	fp_case("avx osxsave xcr0=1", L, XS, "c5f828c1", 6, 0);
	fp_case("avx osxsave xcr0=7 ts", L, XS | TS, "c5f828c1", 7, 7);
	fp_case("avx osxsave xcr0=7", L, XS, "c5f828c1", -1, 7);
	/* prot32 and real16 deliver through their tables. */
	fp_case("x87 ts prot32", P, TS, "d9c0", 7, 0);
	fp_case("sse em prot32", P, EM, "0f28c1", 6, 0);
	fp_case("sse nofxsr real16", R, NF, "0f28c1", 6, 0);
	fp_case("x87 em real16", R, EM, "d9c0", 7, 0);
}

/* The ENTER probe of the final rSP: CR2 is the final rSP itself, the
 * error code that of a write to a not-present page at CPL0 (W only);
 * measured natively as W|U at CPL3 (tests/tools/misc_host_check.c). */
static void enter_probe(struct executor *ex, struct cpuid_table *t)
{
	static struct test_case c;
	static struct outcome o;
	const struct misc_row *r = NULL;
	for (unsigned i = 0; i < MISC_ROW_COUNT; i++)
		if (strcmp(misc_rows[i].name, "enter 0x1000,0: final rsp unmapped") == 0)
			r = &misc_rows[i];
	if (!r || row_case(r, &c) < 0) {
		CHECK(0, "enter probe row missing");
		return;
	}
	ex->cpuid = t;
	ex->ops->run(ex, &c, &o);
	const struct exit_event *e = outcome_terminal(&o);
	CHECK_EQ_U64(e ? e->kind : 0xff, EXIT_EXCEPTION, "enter probe: exception");
	CHECK_EQ_U64(e ? e->addr : 0, 14, "enter probe: #PF");
	CHECK_EQ_U64(e ? e->error_code : 0, 2, "enter probe: error code W");
	CHECK_EQ_U64(o.state.cr2, MC(0x38) - 0x1000, "enter probe: CR2 = final rsp");
}

static void check_fragment(void)
{
	unsigned lost = 0;
	for (unsigned i = 0; i < ref_sem_misc_count; i++)
		lost += ref_lookup(ref_sem_misc[i].id) != ref_sem_misc[i].fn;
	CHECK(lost == 0 && ref_sem_misc_count > 0,
	      "all %u ids of the misc fragment dispatch to it (%u lost)", ref_sem_misc_count, lost);
}

int main(void)
{
	struct executor ex = { .ops = &ref_executor_ops };
	char err[256];
	if (ex.ops->init(&ex, err, sizeof(err)) != 0) {
		printf("FAILED: reference executor init: %s\n", err);
		return 1;
	}
	/* feat 0: MOVBE SSE4.2 (1 ECX 22 20), CLFSH SSE SSE2 (1 EDX 19 25 26), ADX
	 * CLFLUSHOPT CLWB (7.0 EBX 19 23 24); feat 1: those leaves empty;
	 * feat 2: no table. */
	static struct cpuid_table full = { .n = 2, .e = {
		{ .leaf = 1, .ecx = (1u << 22) | (1u << 20), .edx = (1u << 19) | (1u << 25) | (1u << 26) },
		{ .leaf = 7, .ebx = (1u << 19) | (1u << 23) | (1u << 24) },
	} };
	static struct cpuid_table none = { .n = 2, .e = { { .leaf = 1 }, { .leaf = 7 } } };
	struct cpuid_table *feat[3] = { &full, &none, NULL };
	check_fragment();
	for (unsigned i = 0; i < MISC_ROW_COUNT; i++)
		run_row(&ex, &misc_rows[i], feat);
	enter_probe(&ex, &full);
	ex.ops->fini(&ex);

	char derr[160];
	if (dec_open(&dec, derr, sizeof(derr)) < 0) {
		printf("FAILED: %s\n", derr);
		return 1;
	}
	fpsse_tests();
	dec_close(&dec);
	return check_done("test_ref_misc");
}
