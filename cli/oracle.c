/* --oracle: when the reference and KVM diverge, Unicorn runs the case too
 * and says whose side it takes. Unicorn is one more independent emulator
 * (QEMU's TCG): agreeing with KVM points at a reference bug, agreeing with
 * the reference points at KVM. docs/unicorn.md. */
#include <stdio.h>
#include <stdlib.h>
#include "cli.h"
#include "diff.h"

void oracle_report(struct session *s, const struct test_case *c,
		   const struct outcome *ref, const struct outcome *kvm)
{
	if (!s->have_uc)
		return;
	struct outcome *uc = malloc(sizeof(*uc));
	if (!uc || s->uc.ops->run(&s->uc, c, uc) < 0) {
		printf("oracle: unicorn failed: %s\n", uc ? s->uc.err : "out of memory");
		free(uc);
		return;
	}
	/* Unicorn knows no undefined flags; mask what the reference says the
	 * executed instructions leave undefined, on both comparisons. */
	uc->undefined_flags = ref->undefined_flags;
	struct divergence dr, dk;
	enum verdict vr = outcome_diff(ref, uc, &dr);
	enum verdict vk = outcome_diff(uc, kvm, &dk);
	if (vr == VERDICT_UNSUPPORTED || vk == VERDICT_UNSUPPORTED) {
		printf("oracle: unicorn cannot judge (unsupported: %s)\n",
		       uc->mnemonic[0] ? uc->mnemonic : "?");
	} else if (vr == VERDICT_AGREE && vk == VERDICT_AGREE) {
		printf("oracle: unicorn agrees with both (the difference is masked for it)\n");
	} else if (vr == VERDICT_AGREE) {
		printf("oracle: unicorn agrees with reference\n");
	} else if (vk == VERDICT_AGREE) {
		printf("oracle: unicorn agrees with kvm\n");
	} else {
		/* The closer disagreement is the one found later in the
		 * comparison order (diff.h: terminal, trace, ..., memory). */
		int kvm_closer = dk.cls > dr.cls;
		char lr[256], lk[256];
		divergence_describe(&dr, lr, sizeof(lr));
		divergence_describe(&dk, lk, sizeof(lk));
		printf("oracle: unicorn agrees with neither (%s, vs %s)\n"
		       "  vs reference: %s\n  vs kvm: %s\n",
		       kvm_closer ? dk.signature : dr.signature,
		       kvm_closer ? "kvm" : "reference", lr, lk);
	}
	free(uc);
}
