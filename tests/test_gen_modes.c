/* Generators across CPU modes and knobs: determinism per mode, registers
 * within mode_reg_mask() (R8-R15 zero outside long64), knobs always valid
 * for the case's mode, the default mode/knob mix, --mode/--knobs parsing,
 * and the per-case template-family record the campaign counts by. */
#include <string.h>
#include "check.h"
#include "gen.h"
#include "msr_filter.h"
#include "gen_templates.h"
#include "knobs.h"
#include "layout.h"
#include "mode.h"

static struct test_case a, b;

static void check_mode_cases(const char *gname, uint8_t modes, const char *what)
{
	const struct generator *g = gen_lookup(gname);
	struct gen_config cfg = { .modes = modes, .policy = GEN_KNOBS_DEFAULT };
	int same = 1, in_mask = 1, knobs_ok = 1, mode_ok = 1, hi_zero = 1;
	char why[200] = "";
	for (uint64_t i = 0; i < 3000; i++) {
		uint64_t s = gen_case_seed(11, modes, i);
		memset(&a, 0xaa, sizeof(a));
		memset(&b, 0x55, sizeof(b));
		gen_make_ex(g, &cfg, s, &a, NULL);
		gen_make_ex(g, &cfg, s, &b, NULL);
		if (!case_equal(&a, &b))
			same = 0;
		if (a.mode >= MODE_COUNT || !(modes & (1u << a.mode)))
			mode_ok = 0;
		if (!knobs_valid_for(a.knobs, (enum cpu_mode)a.mode))
			knobs_ok = 0;
		uint64_t mask = mode_reg_mask((enum cpu_mode)a.mode);
		for (int r = 0; r < GPR_COUNT; r++) {
			if (a.gpr[r] & ~mask) {
				if (in_mask)
					snprintf(why, sizeof(why), "seed %#llx %s = %#llx",
						 (unsigned long long)s, gpr_name((enum gpr)r),
						 (unsigned long long)a.gpr[r]);
				in_mask = 0;
			}
			if (a.mode != MODE_LONG64 && r >= R8 && a.gpr[r])
				hi_zero = 0;
		}
	}
	CHECK(same, "%s %s: same seed gives a byte-identical case (3000 seeds)", gname, what);
	CHECK(mode_ok, "%s %s: every case is in a selected mode", gname, what);
	CHECK(knobs_ok, "%s %s: knobs always valid for the case's mode", gname, what);
	CHECK(in_mask, "%s %s: registers within mode_reg_mask %s", gname, what, why);
	CHECK(hi_zero, "%s %s: R8-R15 zero outside long64", gname, what);
}

/* The default mix: mostly long64, every mode present, prot32-paged a small
 * share, a share of long64 at CPL3 and of other knobs. */
static void check_default_mix(void)
{
	const struct generator *g = gen_lookup("insn");
	struct gen_config cfg = { .modes = 0, .policy = GEN_KNOBS_DEFAULT };
	unsigned lanes[LANE_COUNT] = { 0 }, other_knobs = 0, n = 10000, msr_insn = 0;
	unsigned intr = 0, intr_sti = 0, later = 0, bad_events = 0;
	for (uint64_t i = 0; i < n; i++) {
		gen_make_ex(g, &cfg, gen_case_seed(3, 0, i), &a, NULL);
		lanes[gen_lane_of(&a)]++;
		intr += a.event[0].kind == CASE_EVENT_INTR;
		intr_sti += a.event[0].kind == CASE_EVENT_INTR && a.code_len && a.code[0] == 0xfb;
		later += a.event[0].after || a.event[1].kind;
		bad_events += case_events_invalid(a.event, (a.knobs & KNOB_CPL3) != 0) != NULL;
		other_knobs += (a.knobs & ~(KNOB_CPL3 | KNOB_MSR_EXIT)) != 0;
		/* An MSR-filter case is there for a filtered RDMSR/WRMSR. */
		int has = 0;
		for (unsigned j = 0; a.knobs & KNOB_MSR_EXIT && j + 1 < a.code_len; j++)
			has |= a.code[j] == 0x0f && (a.code[j + 1] == 0x30 || a.code[j + 1] == 0x32);
		msr_insn += has && msr_filter_action((uint32_t)a.gpr[RCX], a.code[1] == 0x30) != MSR_PASS;
	}
	CHECK(msr_insn > lanes[LANE_MSR_EXIT] / 5,
	      "MSR-filter lane: %u of %u cases hold RDMSR/WRMSR of a filtered MSR", msr_insn,
	      lanes[LANE_MSR_EXIT]);
	unsigned l64 = lanes[LANE_LONG64] + lanes[LANE_LONG64_CPL3];
	CHECK(l64 > n / 2 && l64 < n * 7 / 10, "default mix: long64 %u of %u (weighted toward it)", l64, n);
	CHECK(lanes[LANE_LONG64_CPL3] > l64 / 6 && lanes[LANE_LONG64_CPL3] < l64 / 3,
	      "default mix: long64+cpl3 %u of %u long64 cases", lanes[LANE_LONG64_CPL3], l64);
	CHECK(lanes[LANE_PROT32] > n / 10 && lanes[LANE_REAL16] > n / 10,
	      "default mix: prot32 %u, real16 %u of %u", lanes[LANE_PROT32], lanes[LANE_REAL16], n);
	CHECK(lanes[LANE_PROT32PG] > n / 100 && lanes[LANE_PROT32PG] < n / 12,
	      "default mix: prot32-paged a small share (%u of %u)", lanes[LANE_PROT32PG], n);
	CHECK(other_knobs > n / 50 && other_knobs < n / 5,
	      "default mix: other knobs in a small share (%u of %u)", other_knobs, n);
	CHECK(lanes[LANE_COMPAT32] > n / 25 && lanes[LANE_COMPAT32] < n / 8,
	      "default mix: compat32 a modest share (%u of %u)", lanes[LANE_COMPAT32], n);
	CHECK(lanes[LANE_PROT32PAE] == 0, "default mix: no prot32-pae (%u of %u)",
	      lanes[LANE_PROT32PAE], n);
	CHECK(lanes[LANE_V86] == 0, "default mix: no v86 (%u of %u)", lanes[LANE_V86], n);
	CHECK(lanes[LANE_MSR_EXIT] > n / 100 && lanes[LANE_MSR_EXIT] < n / 12,
	      "default mix: the MSR-filter lane a small share (%u of %u)", lanes[LANE_MSR_EXIT], n);
	CHECK(lanes[LANE_EVENTS] > n / 500 && lanes[LANE_EVENTS] < n / 25,
	      "default mix: the events lane a small share (%u of %u)", lanes[LANE_EVENTS], n);
	/* A quarter of the event cases get a later point or a second event
	 * (after=N or at=handler), every one a valid combination. */
	CHECK(later > lanes[LANE_EVENTS] / 8 && later < lanes[LANE_EVENTS] / 2 && !bad_events,
	      "later events: %u of %u event cases, %u invalid", later, lanes[LANE_EVENTS],
	      bad_events);
	CHECK(intr > lanes[LANE_EVENTS] / 6 && intr_sti > intr / 2,
	      "events lane: %u external interrupts of %u events, %u opened by a leading STI", intr,
	      lanes[LANE_EVENTS], intr_sti);
}

static void check_policies(void)
{
	const struct generator *g = gen_lookup("insn");
	/* long64 without knobs is the case gen_make makes: old seeds and
	 * buckets keep meaning what they meant. */
	struct gen_config plain = { .modes = 1u << MODE_LONG64, .policy = GEN_KNOBS_NONE };
	int same = 1;
	for (uint64_t i = 0; i < 500; i++) {
		gen_make(g, gen_case_seed(5, 0, i), &a);
		gen_make_ex(g, &plain, gen_case_seed(5, 0, i), &b, NULL);
		same &= case_equal(&a, &b);
	}
	CHECK(same, "--mode long64 --knobs none: the same cases as gen_make (500 seeds)");

	struct gen_config fixed = { 0 };
	char err[300];
	CHECK(gen_parse_knobs("cpl3,cr4.umip", &fixed, err, sizeof(err)) == 0 &&
	      fixed.policy == GEN_KNOBS_FIXED && fixed.knobs == (KNOB_CPL3 | KNOB_CR4_UMIP),
	      "--knobs cpl3,cr4.umip parses to those two bits");
	int only64 = 1;
	for (uint64_t i = 0; i < 300; i++) {
		gen_make_ex(g, &fixed, gen_case_seed(6, 0, i), &a, NULL);
		only64 &= a.mode == MODE_LONG64 && a.knobs == (KNOB_CPL3 | KNOB_CR4_UMIP);
	}
	CHECK(only64, "fixed knobs cpl3 (long64 only): every case long64 with exactly those knobs");
	fixed.modes = 1u << MODE_REAL16;
	CHECK(gen_config_check(&fixed, err, sizeof(err)) < 0, "cpl3 with --mode real16 refused: %s", err);
	CHECK(gen_parse_knobs("nosuch", &fixed, err, sizeof(err)) < 0, "unknown knob refused: %s", err);
	struct gen_config rnd = { .modes = 1u << MODE_PROT32 };
	CHECK(gen_parse_knobs("random", &rnd, err, sizeof(err)) == 0 && rnd.policy == GEN_KNOBS_RANDOM,
	      "--knobs random parses");
	unsigned with = 0;
	for (uint64_t i = 0; i < 1000; i++) {
		gen_make_ex(g, &rnd, gen_case_seed(8, 0, i), &a, NULL);
		with += a.knobs != 0;
	}
	CHECK(with > 300 && with < 1000, "--knobs random: %u of 1000 prot32 cases carry knobs", with);

	CHECK(gen_parse_modes("all") == (1u << MODE_COUNT) - 1, "--mode all = every mode");
	CHECK(gen_parse_modes("real16,prot32") == ((1u << MODE_REAL16) | (1u << MODE_PROT32)),
	      "--mode real16,prot32 = those two");
	CHECK(gen_parse_modes("prot32-paged") == 1u << MODE_PROT32PG, "--mode prot32-paged");
	CHECK(gen_parse_modes("compat32") == 1u << MODE_COMPAT32, "--mode compat32");
	CHECK(gen_parse_modes("prot32-pae") == 1u << MODE_PROT32PAE, "--mode prot32-pae");
	/* prot32-pae has no weight in the mix; asked for alone, it is what
	 * every case gets. */
	const struct generator *ins = gen_lookup("insn");
	struct gen_config pae = { .modes = 1u << MODE_PROT32PAE, .policy = GEN_KNOBS_NONE };
	unsigned all_pae = 1;
	for (uint64_t seed = 1; seed <= 200; seed++) {
		struct test_case c;
		gen_make_ex(ins, &pae, seed, &c, NULL);
		all_pae &= c.mode == MODE_PROT32PAE;
	}
	CHECK(all_pae, "--mode prot32-pae: 200 of 200 cases in prot32-pae");
	/* v86 the same way, with 16-bit code and the real-mode stack. */
	CHECK(gen_parse_modes("v86") == 1u << MODE_V86, "--mode v86");
	struct gen_config v86 = { .modes = 1u << MODE_V86, .policy = GEN_KNOBS_NONE };
	unsigned all_v86 = 1, sp16 = 1;
	for (uint64_t seed = 1; seed <= 200; seed++) {
		struct test_case c;
		gen_make_ex(ins, &v86, seed, &c, NULL);
		all_v86 &= c.mode == MODE_V86;
		sp16 &= c.gpr[RSP] <= 0xffff;
	}
	CHECK(all_v86, "--mode v86: 200 of 200 cases in v86");
	CHECK(sp16, "--mode v86: SP an offset in the stack segment, as in real16");
	CHECK(gen_parse_modes("long32") == 0 && gen_parse_modes("") == 0, "bad --mode gives 0");
}

/* Real mode aims at offsets from the segment base: the data page offsets
 * 0x2000-0x3fff appear, linear addresses of long64 (0x12000) mostly not. */
static void check_real16_aim(void)
{
	const struct generator *g = gen_lookup("insn");
	struct gen_config cfg = { .modes = 1u << MODE_REAL16, .policy = GEN_KNOBS_NONE };
	unsigned off_data = 0, lin_data = 0;
	struct gen_info gi;
	uint32_t fams = 0;
	for (uint64_t i = 0; i < 2000; i++) {
		gen_make_ex(g, &cfg, gen_case_seed(9, 0, i), &a, &gi);
		fams |= gi.families;
		for (int r = 0; r < 8; r++) {
			uint64_t v = a.gpr[r] & 0xffff;
			off_data += v >= 0x2000 && v < 0x4000;
			lin_data += a.gpr[r] >= LAYOUT_DATA && a.gpr[r] < LAYOUT_DATA + LAYOUT_DATA_SIZE;
		}
	}
	CHECK(off_data > 10 * (lin_data + 1), "real16: registers aim at data offsets (%u) not linear (%u)",
	      off_data, lin_data);
	CHECK(fams & (1u << FAM_LEGACY), "real16: the 16/32-bit-only templates are generated");
	CHECK(fams & (1u << FAM_SYS), "real16: system instructions are generated");
}

/* Families: gen_info names what was emitted; every family has templates
 * and a name; the i64/o64 marks exclude templates per mode. */
static void check_families(void)
{
	unsigned per[FAM_COUNT] = { 0 };
	int names = 1;
	for (size_t t = 0; t < gen_templates_n; t++)
		per[gen_templates[t].family]++;
	for (unsigned f = 0; f < FAM_COUNT; f++)
		names &= per[f] > 0 && strcmp(gen_family_name(f), "?") != 0;
	CHECK(names, "every family has templates and a name");
	static struct test_case c;
	struct gen_rng r;
	gen_rng_seed(&r, 1);
	struct gen_info gi = { 0 };
	r.info = &gi;
	size_t t_inc = gen_templates_n, t_swapgs = gen_templates_n;
	for (size_t t = 0; t < gen_templates_n; t++) {
		if (!strcmp(gen_templates[t].name, "inc r"))
			t_inc = t;
		if (!strcmp(gen_templates[t].name, "swapgs"))
			t_swapgs = t;
	}
	CHECK(t_inc < gen_templates_n && !gen_template_ok(&gen_templates[t_inc], MODE_LONG64) &&
	      gen_template_ok(&gen_templates[t_inc], MODE_PROT32),
	      "INC r (40+r) only outside long64");
	CHECK(t_swapgs < gen_templates_n && gen_template_ok(&gen_templates[t_swapgs], MODE_LONG64) &&
	      !gen_template_ok(&gen_templates[t_swapgs], MODE_REAL16),
	      "SWAPGS only in long64");
	case_init(&c);
	c.mode = MODE_PROT32;
	gen_insn_template(&r, &c, t_inc);
	r.info = NULL;
	CHECK(gi.insns == 1 && gi.families == 1u << gen_templates[t_inc].family,
	      "gen_info records the family of an emitted template (%#x)", gi.families);
}

static size_t template_named(const char *name)
{
	for (size_t t = 0; t < gen_templates_n; t++)
		if (!strcmp(gen_templates[t].name, name))
			return t;
	return gen_templates_n;
}

/* RDMSR/WRMSR take ECX mostly from the documented MSR list; XSETBV ECX 0. */
static void check_sys_operands(void)
{
	static const uint32_t doc[] = { 0x174, 0x175, 0x176, 0xc0000080, 0xc0000081, 0xc0000082,
					0xc0000083, 0xc0000084, 0xc0000100, 0xc0000101, 0xc0000102,
					0xc0000103 };
	static struct test_case c;
	struct gen_rng r;
	gen_rng_seed(&r, 77);
	size_t tr = template_named("rdmsr"), tw = template_named("wrmsr"), tx = template_named("xsetbv");
	CHECK(tr < gen_templates_n && tw < gen_templates_n && tx < gen_templates_n,
	      "rdmsr, wrmsr and xsetbv templates exist");
	if (tr == gen_templates_n || tw == gen_templates_n || tx == gen_templates_n)
		return;
	unsigned in_doc = 0, efer = 0, efer_near = 0, xcr0 = 0;
	for (unsigned i = 0; i < 1000; i++) {
		case_init(&c);
		c.mode = (uint8_t)(i % 2 ? MODE_PROT32 : MODE_LONG64);
		gen_insn_template(&r, &c, i % 3 ? tr : tw);
		for (size_t k = 0; k < sizeof(doc) / sizeof(doc[0]); k++)
			in_doc += c.gpr[RCX] == doc[k];
		if (i % 3 == 0 && c.gpr[RCX] == 0xc0000080) {
			struct mode_env env;
			mode_env_init(&env, (enum cpu_mode)c.mode, 0);
			uint64_t v = c.gpr[RAX] | c.gpr[RDX] << 32, x = v ^ env.efer;
			efer++;
			efer_near += (x & (x - 1)) == 0; /* equal, or one bit apart */
		}
		case_init(&c);
		gen_insn_template(&r, &c, tx);
		xcr0 += c.gpr[RCX] == 0;
	}
	CHECK(in_doc > 500, "rdmsr/wrmsr: ECX from the documented list in %u of 1000", in_doc);
	CHECK(efer > 5 && efer_near * 10 >= efer * 7,
	      "wrmsr EFER: the mode's EFER or one bit from it in %u of %u", efer_near, efer);
	CHECK(xcr0 > 800, "xsetbv: ECX = 0 (XCR0) in %u of 1000", xcr0);
}

int main(void)
{
	check_mode_cases("insn", 1u << MODE_LONG64, "long64");
	check_mode_cases("insn", 1u << MODE_PROT32, "prot32");
	check_mode_cases("insn", 1u << MODE_PROT32PG, "prot32-paged");
	check_mode_cases("insn", 1u << MODE_REAL16, "real16");
	check_mode_cases("regs", (1u << MODE_COUNT) - 1, "all modes");
	check_mode_cases("raw", (1u << MODE_COUNT) - 1, "all modes");
	check_default_mix();
	check_policies();
	check_real16_aim();
	check_families();
	check_sys_operands();
	return check_done("test_gen_modes");
}
