/* The table of generators: name -> function, and the one entry point that
 * makes a case from a seed. */
#include <stdio.h>
#include <string.h>
#include "case_bin.h"
#include "gen.h"
#include "knobs.h"
#include "mode.h"

const struct generator gen_table[] = {
	{ "insn", gen_insn, "1-8 templated instructions (prefixes, ModRM/SIB, aimed memory operands), usually then HLT" },
	{ "regs", gen_regs, "interesting register/RFLAGS/data state around one templated instruction" },
	{ "raw",  gen_raw,  "random bytes through the binary case decoder (baseline)" },
};
const size_t gen_table_n = sizeof(gen_table) / sizeof(gen_table[0]);

const struct generator *gen_lookup(const char *name)
{
	for (size_t i = 0; i < gen_table_n; i++)
		if (!strcmp(gen_table[i].name, name))
			return &gen_table[i];
	return NULL;
}

static const char *const lane_names[LANE_COUNT] = {
	[LANE_LONG64] = "long64", [LANE_LONG64_CPL3] = "long64+cpl3",
	[LANE_PROT32] = "prot32", [LANE_PROT32PG] = "prot32-paged",
	[LANE_REAL16] = "real16", [LANE_COMPAT32] = "compat32", [LANE_PROT32PAE] = "prot32-pae",
	[LANE_V86] = "v86",
	[LANE_MSR_EXIT] = "msr-exit", [LANE_EVENTS] = "events",
};

const char *gen_lane_name(enum gen_lane l)
{
	return (unsigned)l < LANE_COUNT ? lane_names[l] : "?";
}

enum gen_lane gen_lane_of(const struct test_case *c)
{
	/* The filter's exits are the same KVM code whatever the mode. */
	if (c->knobs & KNOB_MSR_EXIT)
		return LANE_MSR_EXIT;
	if (c->event[0].kind)
		return LANE_EVENTS;
	switch (c->mode) {
	case MODE_PROT32: return LANE_PROT32;
	case MODE_PROT32PG: return LANE_PROT32PG;
	case MODE_REAL16: return LANE_REAL16;
	case MODE_COMPAT32: return LANE_COMPAT32;
	case MODE_PROT32PAE: return LANE_PROT32PAE;
	case MODE_V86: return LANE_V86;
	default: return (c->knobs & KNOB_CPL3) ? LANE_LONG64_CPL3 : LANE_LONG64;
	}
}

/* Default mode mix: mostly long64 (where the native and the emulated
 * paths of KVM both run), a fair share of the emulator-only modes, and a
 * little prot32-paged: this KVM shuts the vCPU down when CR0.PG is set
 * outside long mode, so each such case is the same known divergence.
 * compat32 gets a modest share: most of its instructions are prot32's,
 * what is its own is the long-mode system around them (paging, 64-bit
 * exception delivery, far transfers to and from 64-bit code). prot32-pae
 * gets none: kvm_pvm shuts the vCPU down at its first instruction, every
 * case (measured; the known list has it), so it runs only when asked for
 * alone (--mode prot32-pae), where a mode without weight counts as 1.
 * v86 gets none either: kvm_pvm drops RFLAGS.VM at KVM_SET_REGS and
 * fails to emulate an IRET into v86, so every case runs as 16-bit
 * protected-mode code instead (measured; the known list has it). */
static const uint8_t mode_weight[MODE_COUNT] = {
	[MODE_LONG64] = 56, [MODE_PROT32] = 16, [MODE_PROT32PG] = 4, [MODE_REAL16] = 16,
	[MODE_COMPAT32] = 8, [MODE_PROT32PAE] = 0, [MODE_V86] = 0,
};

/* The weight of mode m among the allowed modes: its own, or 1 for every
 * allowed mode when none of them has one. */
static unsigned weight_of(unsigned m, unsigned allowed)
{
	unsigned any = 0;
	for (unsigned i = 0; i < MODE_COUNT; i++)
		if (allowed & (1u << i))
			any |= mode_weight[i];
	if (!(allowed & (1u << m)))
		return 0;
	return any ? mode_weight[m] : 1;
}

/* Each knob of the mode with probability pct. */
static uint32_t random_knobs(struct gen_rng *r, enum cpu_mode m, unsigned pct)
{
	uint32_t k = 0, avail = knobs_for_mode(m);
	for (unsigned i = 0; i < knob_def_count; i++)
		if ((avail & knob_defs[i].bit) && gen_rng_chance(r, pct))
			k |= knob_defs[i].bit;
	return k;
}

/* An event the hypervisor makes pending before the first instruction
 * (case_event.h), in a small share of long64 cases: an external interrupt
 * (a third of them; gen_make_ex gives most an STI to open the window
 * with), an NMI, half of them held back one instruction by a MOV SS
 * shadow, or a hardware exception injected as a VMM injects one (every
 * vector KVM may inject as a fault, with an error code where the vector
 * has one). A quarter of them get a later point: an NMI or interrupt
 * made pending after instruction 1-8 instead (CPL0: KVM steps there), or
 * a second event made pending in the handler the first one reaches (an
 * NMI, or after an NMI an interrupt, which its handler holds). */
static void pick_event(struct gen_rng *r, struct test_case *c, int cpl3)
{
	static const uint8_t vectors[] = { 0, 5, 6, 7, 8, 10, 11, 12, 13, 14, 16, 17, 19, 20, 21 };
	struct case_event e = { .kind = CASE_EVENT_NMI };
	if (gen_rng_chance(r, 33)) {
		e.kind = CASE_EVENT_INTR;
		e.vector = (uint8_t)(32 + gen_rng_below(r, 224));
	} else if (gen_rng_chance(r, 50)) {
		e.shadow = gen_rng_chance(r, 50) ? CASE_SHADOW_MOV_SS : CASE_SHADOW_NONE;
	} else {
		e.kind = CASE_EVENT_EXCEPTION;
		e.vector = vectors[gen_rng_below(r, sizeof(vectors))];
		e.has_error = VECTOR_HAS_ERROR_CODE(e.vector) ? 1 : 0;
		if (e.has_error && e.vector != 8 && e.vector != 17)
			e.error = gen_rng_chance(r, 50) ? (uint32_t)gen_rng_below(r, 32) :
							  (uint32_t)gen_rng_below(r, 0x10000) & ~3u;
	}
	if (case_event_invalid(&e))
		return;
	c->event[0] = e;
	if (!gen_rng_chance(r, 25))
		return;
	if (gen_rng_chance(r, 40)) {
		c->event[0].after = (uint16_t)(1 + gen_rng_below(r, 8));
		c->event[0].shadow = CASE_SHADOW_NONE;
	} else {
		struct case_event h = { .kind = CASE_EVENT_NMI, .in_handler = 1 };
		if (e.kind == CASE_EVENT_NMI) {
			h.kind = CASE_EVENT_INTR;
			h.vector = (uint8_t)(32 + gen_rng_below(r, 224));
		}
		c->event[1] = h;
	}
	if (case_events_invalid(c->event, cpl3)) {
		memset(c->event, 0, sizeof(c->event));
		c->event[0] = e;
	}
}

/* Mode and knobs of one case, from their own stream of the seed. */
static void pick_env(const struct gen_config *cfg, uint64_t seed, struct test_case *c)
{
	if (!cfg) {
		c->mode = MODE_LONG64;
		c->knobs = 0;
		return;
	}
	struct gen_rng r;
	gen_rng_seed(&r, gen_mix64(seed ^ 0x6d6f64656b6e6f62ull));
	unsigned allowed = cfg->modes ? cfg->modes : (1u << MODE_COUNT) - 1, total = 0;
	for (unsigned m = 0; m < MODE_COUNT; m++)
		if (cfg->policy == GEN_KNOBS_FIXED && !knobs_valid_for(cfg->knobs, (enum cpu_mode)m))
			allowed &= ~(1u << m);
	for (unsigned m = 0; m < MODE_COUNT; m++)
		total += weight_of(m, allowed);
	enum cpu_mode m = MODE_LONG64;
	if (total) {
		unsigned w = gen_rng_below(&r, total);
		for (unsigned i = 0; i < MODE_COUNT; i++) {
			unsigned wi = weight_of(i, allowed);
			if (w < wi) {
				m = (enum cpu_mode)i;
				break;
			}
			w -= wi;
		}
	}
	uint32_t k = 0;
	switch (cfg->policy) {
	case GEN_KNOBS_DEFAULT:
		if (m == MODE_LONG64 && gen_rng_chance(&r, 25))
			k |= KNOB_CPL3;
		if (gen_rng_chance(&r, 10))
			k |= random_knobs(&r, m, 30);
		/* The MSR-filter lane: a small share, every mode. */
		if (gen_rng_chance(&r, 3))
			k |= KNOB_MSR_EXIT;
		if (m == MODE_LONG64 && gen_rng_chance(&r, 2))
			pick_event(&r, c, (k & KNOB_CPL3) != 0);
		break;
	case GEN_KNOBS_RANDOM:
		k = random_knobs(&r, m, 30);
		break;
	case GEN_KNOBS_FIXED:
		k = cfg->knobs;
		break;
	default:
		break;
	}
	c->mode = (uint8_t)m;
	c->knobs = k & knobs_for_mode(m);
}

void gen_make(const struct generator *g, uint64_t seed, struct test_case *c)
{
	gen_make_ex(g, NULL, seed, c, NULL);
}

void gen_make_ex(const struct generator *g, const struct gen_config *cfg, uint64_t seed,
		 struct test_case *c, struct gen_info *info)
{
	struct gen_rng r;
	/* Every generator writes each byte below the lengths it sets. */
	case_init_empty(c);
	pick_env(cfg, seed, c);
	uint8_t mode = c->mode;
	uint32_t knobs = c->knobs;
	if (info)
		memset(info, 0, sizeof(*info));
	gen_rng_seed(&r, seed);
	r.mode = mode;
	r.info = info;
	g->fn(&r, c);
	/* The invariants every executor relies on (case.h), enforced here
	 * once rather than trusted in each generator (raw decodes any mode:
	 * the picked one wins). Outside long64 a case may not set more than
	 * the low 32 bits of a register (SDM Vol. 1 3.4.1.1). */
	c->mode = mode;
	c->knobs = knobs & KNOBS_KNOWN;
	uint64_t mask = mode_reg_mask((enum cpu_mode)mode);
	for (int i = 0; i < GPR_COUNT; i++)
		c->gpr[i] &= mask;
	/* R8-R15 exist only in 64-bit mode: outside it they stay zero. */
	if (mode != MODE_LONG64)
		for (int i = R8; i < GPR_COUNT; i++)
			c->gpr[i] = 0;
	c->rflags = (c->rflags & RFLAGS_CASE_SETTABLE) | RFLAGS_FIXED1;
	if (c->code_len > CASE_CODE_MAX)
		c->code_len = CASE_CODE_MAX;
	/* IF starts clear: an external interrupt with no STI ahead of the
	 * code would only ever stay pending. Most get one, so the window
	 * opens after the first generated instruction (its shadow). */
	if (c->event[0].kind == CASE_EVENT_INTR && c->code_len < CASE_CODE_MAX &&
	    gen_rng_chance(&r, 80)) {
		memmove(c->code + 1, c->code, c->code_len);
		c->code[0] = 0xfb; /* sti */
		c->code_len++;
	}
	if (c->data_len > CASE_DATA_MAX)
		c->data_len = CASE_DATA_MAX;
	c->seed = seed;
	/* "NAME-SEED" by hand: this runs for every exec of a campaign. */
	size_t n = strnlen(g->name, sizeof(c->id) - 18);
	memcpy(c->id, g->name, n);
	c->id[n++] = '-';
	for (int i = 15; i >= 0; i--)
		c->id[n++] = "0123456789abcdef"[(seed >> (4 * i)) & 15];
	c->id[n] = 0;
}

uint8_t gen_parse_modes(const char *s)
{
	uint8_t mask = 0;
	char buf[128];
	if (!s || strlen(s) >= sizeof(buf))
		return 0;
	strcpy(buf, s);
	for (char *save = NULL, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		if (!strcmp(t, "all")) {
			mask |= (1u << MODE_COUNT) - 1;
			continue;
		}
		unsigned m;
		for (m = 0; m < MODE_COUNT; m++)
			if (!strcmp(t, mode_name((enum cpu_mode)m)))
				break;
		if (m == MODE_COUNT)
			return 0;
		mask |= (uint8_t)(1u << m);
	}
	return mask;
}

int gen_parse_knobs(const char *s, struct gen_config *cfg, char *err, size_t errlen)
{
	char buf[256];
	if (!s || !*s || strlen(s) >= sizeof(buf)) {
		snprintf(err, errlen, "bad --knobs '%s' (want none, random or NAME,...)", s ? s : "");
		return -1;
	}
	if (!strcmp(s, "none")) {
		cfg->policy = GEN_KNOBS_NONE;
		cfg->knobs = 0;
		return 0;
	}
	if (!strcmp(s, "random")) {
		cfg->policy = GEN_KNOBS_RANDOM;
		cfg->knobs = 0;
		return 0;
	}
	strcpy(buf, s);
	uint32_t k = 0;
	for (char *save = NULL, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		const struct knob_def *d = knob_by_name(t);
		if (!d) {
			char names[256];
			knobs_format(KNOBS_KNOWN, names, sizeof(names));
			snprintf(err, errlen, "unknown knob '%s' (knobs: %s)", t, names);
			return -1;
		}
		k |= d->bit;
	}
	cfg->policy = GEN_KNOBS_FIXED;
	cfg->knobs = k;
	return 0;
}

int gen_config_check(const struct gen_config *cfg, char *err, size_t errlen)
{
	if (cfg->policy != GEN_KNOBS_FIXED)
		return 0;
	unsigned allowed = cfg->modes ? cfg->modes : (1u << MODE_COUNT) - 1;
	for (unsigned m = 0; m < MODE_COUNT; m++)
		if ((allowed & (1u << m)) && knobs_valid_for(cfg->knobs, (enum cpu_mode)m))
			return 0;
	char names[256];
	knobs_format(cfg->knobs, names, sizeof(names));
	snprintf(err, errlen, "knobs '%s' apply to none of the selected modes", names);
	return -1;
}

/* raw: the baseline every structured generator must beat. Random bytes,
 * biased toward short inputs where the decoder's header matters. */
int gen_raw(struct gen_rng *r, struct test_case *c)
{
	uint8_t buf[512];
	size_t len = 1 + gen_rng_below(r, gen_rng_chance(r, 80) ? 200 : sizeof(buf));
	for (size_t i = 0; i < len; i += 8) {
		uint64_t v = gen_rng_next(r);
		size_t n = len - i < 8 ? len - i : 8;
		memcpy(buf + i, &v, n);
	}
	case_decode(buf, len, c);
	return 0;
}
