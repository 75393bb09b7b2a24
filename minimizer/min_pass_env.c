/* Passes on the environment a case runs in: its knobs and its mode. A
 * generated case carries every knob it was generated with (cr0.ts, cr0.em,
 * cr4.umip, ... and cpl3), most of which the divergence does not need; a
 * saved case that keeps them all makes one cause look like one bug per
 * knob set. These passes keep only what the divergence needs.
 *
 * The predicate judges a candidate by the executors' signature, which
 * never names the mode (the "@MODE" suffix is added where a divergence is
 * filed, core/finding.h), so "the same divergence" in a simpler mode is the
 * same terminal kinds, field and instruction there. */
#include <string.h>
#include "knobs.h"
#include "min_internal.h"

/* ---- drop-knobs: clear one knob at a time, then the case's event ----
 * Knobs in table order (core/knobs.c), cpl3 first: a case that still
 * diverges at CPL0 is the simpler report (and CPL0 runs are cheaper on a
 * host that enters CPL3 code natively). */
void min_pass_drop_knobs(struct min_pass_ctx *p)
{
	struct test_case *cand = &p->scratch;
	for (unsigned i = 0; i < knob_def_count && !p->e->stop; i++) {
		uint32_t bit = knob_defs[i].bit;
		if (!(p->e->best.knobs & bit))
			continue;
		*cand = p->e->best;
		cand->knobs &= ~bit;
		min_try(p->e, cand);
	}
	/* The events the hypervisor makes pending are environment too: each
	 * one dropped (the others move up: the list stays packed), its
	 * shadow dropped, its after=N lowered (to 1, then by one). */
	for (unsigned i = 0; i < case_events_count(p->e->best.event) && !p->e->stop; i++) {
		*cand = p->e->best;
		memmove(&cand->event[i], &cand->event[i + 1],
			(CASE_EVENTS_MAX - 1 - i) * sizeof(cand->event[0]));
		memset(&cand->event[CASE_EVENTS_MAX - 1], 0, sizeof(cand->event[0]));
		if (!case_events_invalid(cand->event, (cand->knobs & KNOB_CPL3) != 0))
			min_try(p->e, cand);
	}
	for (unsigned i = 0; i < case_events_count(p->e->best.event) && !p->e->stop; i++) {
		if (p->e->best.event[i].shadow) {
			*cand = p->e->best;
			cand->event[i].shadow = CASE_SHADOW_NONE;
			min_try(p->e, cand);
		}
	}
	for (unsigned i = 0; i < CASE_EVENTS_MAX && !p->e->stop; i++) {
		unsigned n = p->e->best.event[i].after;
		if (n <= 1)
			continue;
		unsigned to[2] = { 1, n - 1 };
		for (unsigned t = 0; t < 2 && !p->e->stop; t++) {
			*cand = p->e->best;
			/* after=N events share one N: all of them move. */
			for (unsigned j = 0; j < CASE_EVENTS_MAX; j++)
				if (cand->event[j].after)
					cand->event[j].after = (uint16_t)to[t];
			if (!case_events_invalid(cand->event, (cand->knobs & KNOB_CPL3) != 0))
				min_try(p->e, cand);
		}
	}
}

unsigned long min_measure_knobs(struct min_pass_ctx *p, const struct test_case *c)
{
	(void)p;
	unsigned long m = (unsigned long)__builtin_popcount(c->knobs);
	for (unsigned i = 0; i < CASE_EVENTS_MAX; i++)
		m += (c->event[i].kind != 0) + (c->event[i].shadow != 0) + c->event[i].after;
	return m;
}

/* ---- simpler-mode: the same code in a simpler mode ----
 * Only where the code means the same thing: prot32-paged and prot32-pae
 * -> prot32 (the same 32-bit code and flat segments, the same pages,
 * without the page walk: core/mode.h). long64, prot32 and real16 decode instructions
 * differently (operand and address sizes, REX), so no other move keeps the
 * instructions. Knobs the simpler mode does not have are dropped with it
 * (none today: prot32 takes every knob of both). */
static const struct {
	enum cpu_mode from, to;
} simpler[] = {
	{ MODE_PROT32PG, MODE_PROT32 },
	{ MODE_PROT32PAE, MODE_PROT32 },
};

void min_pass_simpler_mode(struct min_pass_ctx *p)
{
	struct test_case *cand = &p->scratch;
	for (size_t i = 0; i < sizeof(simpler) / sizeof(simpler[0]) && !p->e->stop; i++) {
		if (p->e->best.mode != simpler[i].from)
			continue;
		*cand = p->e->best;
		cand->mode = (uint8_t)simpler[i].to;
		cand->knobs &= knobs_for_mode(simpler[i].to);
		min_try(p->e, cand);
	}
}

/* 1 for a mode some simpler mode replaces, else 0. */
unsigned long min_measure_mode(struct min_pass_ctx *p, const struct test_case *c)
{
	(void)p;
	for (size_t i = 0; i < sizeof(simpler) / sizeof(simpler[0]); i++)
		if (c->mode == simpler[i].from)
			return 1;
	return 0;
}
