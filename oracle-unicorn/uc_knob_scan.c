/* Knobs Unicorn takes but cannot act on: MOV CR4 accepts OSXSAVE, UMIP and
 * FSGSBASE, but its CPU model has no XSAVE, UMIP or FSGSBASE (measured:
 * XGETBV and RDFSBASE still raise #UD with the bit set, SGDT at CPL3 still
 * runs). A case with such a knob is judged only when its code contains
 * nothing the knob governs (codewalk/: sweep and branch targets). */
#include <stdio.h>
#include "code_walk.h"
#include "knobs.h"
#include "uc_internal.h"

struct scan {
	uint32_t knobs;
	char *why;
	size_t whylen;
};

static int in_list(unsigned id, const unsigned *ids, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		if (ids[i] == id)
			return 1;
	return 0;
}

/* CR4.OSXSAVE: XGETBV, XSETBV, the XSAVE and XRSTOR family, VEX-encoded instructions
 * (SDM Vol. 2A 2.3.1), and CPUID, whose leaf-1 ECX.OSXSAVE mirrors it. */
static int osxsave_sees(const cs_insn *in)
{
	static const unsigned ids[] = {
		X86_INS_XGETBV, X86_INS_XSETBV, X86_INS_XSAVE, X86_INS_XSAVE64, X86_INS_XSAVEC,
		X86_INS_XSAVEC64, X86_INS_XSAVEOPT, X86_INS_XSAVEOPT64, X86_INS_XSAVES,
		X86_INS_XSAVES64, X86_INS_XRSTOR, X86_INS_XRSTOR64, X86_INS_XRSTORS,
		X86_INS_XRSTORS64, X86_INS_CPUID,
	};
	if (in_list(in->id, ids, sizeof(ids) / sizeof(ids[0])))
		return 1;
	const cs_detail *d = in->detail;
	for (unsigned g = 0; g < d->groups_count; g++)
		if (d->groups[g] == X86_GRP_AVX || d->groups[g] == X86_GRP_AVX2 ||
		    d->groups[g] == X86_GRP_AVX512 || d->groups[g] == X86_GRP_FMA ||
		    d->groups[g] == X86_GRP_F16C || d->groups[g] == X86_GRP_XOP ||
		    d->groups[g] == X86_GRP_BMI || d->groups[g] == X86_GRP_BMI2)
			return 1;
	return 0;
}

static int visit(const cs_insn *in, void *ctx)
{
	struct scan *sc = ctx;
	static const unsigned umip[] = { X86_INS_SGDT, X86_INS_SIDT, X86_INS_SLDT, X86_INS_SMSW,
					 X86_INS_STR };
	static const unsigned fsgs[] = { X86_INS_RDFSBASE, X86_INS_RDGSBASE, X86_INS_WRFSBASE,
					 X86_INS_WRGSBASE };
	const char *knob = NULL;
	if ((sc->knobs & KNOB_CR4_OSXSAVE) && osxsave_sees(in))
		knob = "cr4.osxsave";
	else if ((sc->knobs & KNOB_CR4_UMIP) && in_list(in->id, umip, 5))
		knob = "cr4.umip";
	else if ((sc->knobs & KNOB_CR4_FSGSBASE) && in_list(in->id, fsgs, 4))
		knob = "cr4.fsgsbase";
	if (!knob)
		return 0;
	snprintf(sc->why, sc->whylen, "uc:%s %s", knob, in->mnemonic);
	return 1;
}

int uc_knob_code_refused(const struct test_case *c, char *why, size_t whylen)
{
	uint32_t k = c->knobs & (KNOB_CR4_OSXSAVE | KNOB_CR4_UMIP | KNOB_CR4_FSGSBASE);
	if (!k)
		return 0;
	if (c->mode != MODE_LONG64) {
		/* The walk decodes 64-bit code only. */
		const struct knob_def *d = knob_by_bit(k & -k);
		snprintf(why, whylen, "uc:%s outside long64", d ? d->name : "knob");
		return 1;
	}
	struct scan sc = { k, why, whylen };
	int r = code_walk64(c->code, c->code_len, visit, &sc);
	if (r < 0)
		snprintf(why, whylen, "uc:no decoder");
	return r != 0;
}
