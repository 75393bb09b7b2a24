/* --oracle: when the reference and KVM diverge, Unicorn runs the case too
 * and says whose side it takes; --against native does the same with the
 * host CPU (native/). Unicorn is one more independent emulator
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

/* Unicorn's CPU model is QEMU's own ("qemu64"), smaller than the
 * environment's CPUID: its #UD at an instruction both the reference and
 * the hypervisor ran (MOVBE) says nothing of that instruction. The
 * mnemonic the reference ran there, or NULL. Where the hypervisor raises
 * #UD there too, Unicorn's agreeing with it still counts. */
static const char *model_lacks(const struct executor *ex, const struct outcome *ref,
			       const struct outcome *hv, const struct outcome *third)
{
	const struct exit_event *t = outcome_terminal(third);
	if (strcmp(ex->ops->name, "unicorn") || !t || t->kind != EXIT_EXCEPTION || t->addr != 6)
		return NULL;
	const struct ran_insn *r = ran_find(ref, t->rip);
	const struct exit_event *a = outcome_terminal(ref), *b = outcome_terminal(hv);
	int ud_a = a && a->kind == EXIT_EXCEPTION && a->addr == 6 && a->rip == t->rip;
	int ud_b = b && b->kind == EXIT_EXCEPTION && b->addr == 6 && b->rip == t->rip;
	return r && !ud_a && !ud_b ? r->mnemonic : NULL;
}

enum oracle_side oracle_judge_by(struct executor *ex, const char *hv_label,
				 const struct test_case *c, const struct outcome *ref,
				 const struct outcome *kvm, struct outcome *third, char *detail,
				 size_t len)
{
	detail[0] = 0;
	if (exec_run_after(ex, c, ref, third) < 0) {
		snprintf(detail, len, "%s", ex->err);
		return ORACLE_FAILED;
	}
	/* Neither Unicorn nor the CPU says which flags, registers or stored
	 * bits are undefined; mask what the reference says the executed
	 * instructions leave undefined, on both comparisons. */
	third->undefined_flags |= ref->undefined_flags;
	third->undefined_gprs |= ref->undefined_gprs;
	/* Added to what the third's own run cannot show (a VMM's frame on
	 * the case's stack, vmm/vmm_proto.c). */
	for (uint32_t k = 0; k < ref->n_undefined_mem && third->n_undefined_mem < UNDEF_MEM_SLOTS; k++)
		third->undefined_mem[third->n_undefined_mem++] = ref->undefined_mem[k];
	const char *lacks = model_lacks(ex, ref, kvm, third);
	if (lacks) {
		snprintf(detail, len, "its CPU model lacks %s, which the reference and %s ran", lacks,
			 hv_label);
		return ORACLE_CANNOT;
	}
	struct divergence dr, dk;
	enum verdict vr = outcome_diff(ref, third, &dr);
	enum verdict vk = outcome_diff(third, kvm, &dk);
	const struct exit_event *t = outcome_terminal(third);
	if (t && t->kind == EXIT_UNSUPPORTED) {
		snprintf(detail, len, "unsupported: %s", third->mnemonic[0] ? third->mnemonic : "?");
		return ORACLE_CANNOT;
	}
	if (vr == VERDICT_UNSUPPORTED || vk == VERDICT_UNSUPPORTED) {
		snprintf(detail, len, "the reference ends unsupported: %s", ref->mnemonic);
		return ORACLE_CANNOT;
	}
	if (vr == VERDICT_AGREE && vk == VERDICT_AGREE)
		return ORACLE_BOTH;
	if (vr == VERDICT_AGREE)
		return ORACLE_REFERENCE;
	if (vk == VERDICT_AGREE)
		return ORACLE_KVM;
	/* The closer disagreement is the one found later in the comparison
	 * order (diff.h: terminal, trace, ..., memory). */
	int kvm_closer = dk.cls > dr.cls;
	char lr[256], lk[256];
	divergence_describe(&dr, lr, sizeof(lr));
	divergence_describe(&dk, lk, sizeof(lk));
	snprintf(detail, len, "%s, vs %s\n  vs reference: %s\n  vs %s: %s",
		 kvm_closer ? dk.signature : dr.signature,
		 kvm_closer ? hv_label : "reference", lr, hv_label, lk);
	return ORACLE_NEITHER;
}

enum oracle_side oracle_judge(struct session *s, const struct test_case *c,
			      const struct outcome *ref, const struct outcome *kvm,
			      char *detail, size_t len)
{
	struct outcome *uc = malloc(sizeof(*uc));
	if (!uc) {
		snprintf(detail, len, "out of memory");
		return ORACLE_FAILED;
	}
	enum oracle_side side = oracle_judge_by(&s->uc, s->hv_label, c, ref, kvm, uc, detail, len);
	free(uc);
	return side;
}

void oracle_print(const char *who, const char *hv_label, enum oracle_side side, char *detail)
{
	switch (side) {
	case ORACLE_FAILED:
		printf("oracle: %s failed: %s\n", who, detail);
		break;
	case ORACLE_CANNOT:
		printf("oracle: %s cannot judge (%s)\n", who, detail);
		break;
	case ORACLE_BOTH:
		printf("oracle: %s agrees with both (the difference is masked for it)\n", who);
		break;
	case ORACLE_NEITHER: {
		/* detail: "SIG, vs SIDE", then the two descriptions. */
		char *rest = strchr(detail, '\n');
		if (rest)
			*rest++ = 0;
		printf("oracle: %s agrees with neither (%s)\n%s%s", who, detail,
		       rest ? rest : "", rest ? "\n" : "");
		break;
	}
	default:
		printf("oracle: %s agrees with %s\n", who,
		       side == ORACLE_KVM ? hv_label : oracle_side_name(side));
		break;
	}
}

void oracle_report(struct session *s, const struct test_case *c,
		   const struct outcome *ref, const struct outcome *kvm)
{
	char detail[640];
	if (s->have_uc) {
		enum oracle_side side = oracle_judge(s, c, ref, kvm, detail, sizeof(detail));
		oracle_print("unicorn", s->hv_label, side, detail);
	}
	/* The CPU, where it can run the case: silent when it cannot (a CPL0
	 * case, a knob its code would see), so lines stay about verdicts. */
	struct outcome *nat = s->have_native ? malloc(sizeof(*nat)) : NULL;
	if (nat) {
		enum oracle_side side = oracle_judge_by(&s->native, s->hv_label, c, ref, kvm, nat, detail,
							sizeof(detail));
		if (side != ORACLE_CANNOT)
			oracle_print("native", s->hv_label, side, detail);
		free(nat);
	}
}
