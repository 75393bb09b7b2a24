/* --oracle: when the reference and KVM diverge, Unicorn runs the case too
 * and says whose side it takes. Unicorn is one more independent emulator
 * (QEMU's TCG): agreeing with KVM points at a reference bug, agreeing with
 * the reference points at KVM. docs/unicorn.md. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "diff.h"

const char *oracle_side_name(enum oracle_side s)
{
	static const char *const names[] = {
		[ORACLE_REFERENCE] = "reference", [ORACLE_NEITHER] = "neither",
		[ORACLE_BOTH] = "both", [ORACLE_KVM] = "kvm",
		[ORACLE_CANNOT] = "cannot judge", [ORACLE_FAILED] = "failed",
	};
	return s <= ORACLE_FAILED ? names[s] : "?";
}

enum oracle_side oracle_judge(struct session *s, const struct test_case *c,
			      const struct outcome *ref, const struct outcome *kvm,
			      char *detail, size_t len)
{
	detail[0] = 0;
	struct outcome *uc = malloc(sizeof(*uc));
	if (!uc || s->uc.ops->run(&s->uc, c, uc) < 0) {
		snprintf(detail, len, "%s", uc ? s->uc.err : "out of memory");
		free(uc);
		return ORACLE_FAILED;
	}
	/* Unicorn knows no undefined flags; mask what the reference says the
	 * executed instructions leave undefined, on both comparisons. */
	uc->undefined_flags = ref->undefined_flags;
	struct divergence dr, dk;
	enum verdict vr = outcome_diff(ref, uc, &dr);
	enum verdict vk = outcome_diff(uc, kvm, &dk);
	enum oracle_side side;
	if (vr == VERDICT_UNSUPPORTED || vk == VERDICT_UNSUPPORTED) {
		snprintf(detail, len, "unsupported: %s", uc->mnemonic[0] ? uc->mnemonic : "?");
		side = ORACLE_CANNOT;
	} else if (vr == VERDICT_AGREE && vk == VERDICT_AGREE) {
		side = ORACLE_BOTH;
	} else if (vr == VERDICT_AGREE) {
		side = ORACLE_REFERENCE;
	} else if (vk == VERDICT_AGREE) {
		side = ORACLE_KVM;
	} else {
		/* The closer disagreement is the one found later in the
		 * comparison order (diff.h: terminal, trace, ..., memory). */
		int kvm_closer = dk.cls > dr.cls;
		char lr[256], lk[256];
		divergence_describe(&dr, lr, sizeof(lr));
		divergence_describe(&dk, lk, sizeof(lk));
		snprintf(detail, len, "%s, vs %s\n  vs reference: %s\n  vs kvm: %s",
			 kvm_closer ? dk.signature : dr.signature,
			 kvm_closer ? "kvm" : "reference", lr, lk);
		side = ORACLE_NEITHER;
	}
	free(uc);
	return side;
}

void oracle_report(struct session *s, const struct test_case *c,
		   const struct outcome *ref, const struct outcome *kvm)
{
	if (!s->have_uc)
		return;
	char detail[640];
	enum oracle_side side = oracle_judge(s, c, ref, kvm, detail, sizeof(detail));
	switch (side) {
	case ORACLE_FAILED:
		printf("oracle: unicorn failed: %s\n", detail);
		break;
	case ORACLE_CANNOT:
		printf("oracle: unicorn cannot judge (%s)\n", detail);
		break;
	case ORACLE_BOTH:
		printf("oracle: unicorn agrees with both (the difference is masked for it)\n");
		break;
	case ORACLE_NEITHER: {
		/* detail: "SIG, vs SIDE", then the two descriptions. */
		char *rest = strchr(detail, '\n');
		if (rest)
			*rest++ = 0;
		printf("oracle: unicorn agrees with neither (%s)\n%s%s", detail,
		       rest ? rest : "", rest ? "\n" : "");
		break;
	}
	default:
		printf("oracle: unicorn agrees with %s\n", oracle_side_name(side));
		break;
	}
}
