/* The finding pipeline (pipeline.h): run, compare, confirm, cut to the
 * first divergence, file. */
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cluster.h"
#include "pipeline.h"

int pipeline_open(struct pipeline *p, struct executor *ref, struct executor *kvm,
		  const struct known_list *known)
{
	memset(p, 0, sizeof(*p));
	p->ref = ref;
	p->kvm = kvm;
	p->known = known;
	p->cut.ref = ref;
	p->cut.kvm = kvm;
	p->cut.oref = malloc(sizeof(*p->cut.oref));
	p->cut.okvm = malloc(sizeof(*p->cut.okvm));
	p->cut_case = malloc(sizeof(*p->cut_case));
	p->min.ref = ref;
	p->min.kvm = kvm;
	p->min.oref = malloc(sizeof(*p->min.oref));
	p->min.okvm = malloc(sizeof(*p->min.okvm));
	p->min_case = malloc(sizeof(*p->min_case));
	if (p->cut.oref && p->cut.okvm && p->cut_case && p->min.oref && p->min.okvm && p->min_case)
		return 0;
	pipeline_close(p);
	return -1;
}

void pipeline_close(struct pipeline *p)
{
	free(p->cut.oref);
	free(p->cut.okvm);
	free(p->cut_case);
	free(p->min.oref);
	free(p->min.okvm);
	free(p->min_case);
	p->cut.oref = p->cut.okvm = p->min.oref = p->min.okvm = NULL;
	p->cut_case = p->min_case = NULL;
}

enum pl_budget pipeline_budget_of(const struct outcome *ref)
{
	/* The verdict is the same however much longer KVM runs (core/diff.c):
	 * the reference ended UNSUPPORTED (never compared) or spent its step
	 * budget (KVM's TIMEOUT then agrees whenever it comes, any other end
	 * is not comparable). A whole budget buys nothing but time, and under
	 * a VMM a runaway legacy-mode REP store given millions of iterations
	 * overwrote the batch image and hung it. */
	const struct exit_event *t = outcome_terminal(ref);
	if ((t && t->kind == EXIT_UNSUPPORTED) || outcome_step_budget_spent(ref))
		return PL_BUDGET_SHORT;
	/* A full trace: KVM may still end otherwise before its own fills. */
	if (!t || t->kind == EXIT_TIMEOUT)
		return PL_BUDGET_WHOLE;
	/* A case the reference ended by itself should leave KVM_RUN long
	 * before the probe; one that hangs then costs 2-7 ms, not ~12. */
	return PL_BUDGET_PROBE;
}

void pipeline_kvm_budget(struct executor *kvm, enum pl_budget b, uint32_t short_us, int probe)
{
	kvm->budget_us = b == PL_BUDGET_SHORT ? short_us : 0;
	kvm->hang_probe = b == PL_BUDGET_PROBE && probe;
}

enum pl_verdict pipeline_exec(struct pipeline *p, const struct test_case *c, int kvm_only,
			      struct outcome *ref, struct outcome *kvm, char *err, size_t errlen)
{
	if (!kvm_only && p->ref->ops->run(p->ref, c, ref) < 0) {
		snprintf(err, errlen, "reference executor: %s", p->ref->err);
		return PL_REF_FAILED;
	}
	enum pl_budget b = kvm_only ? PL_BUDGET_WHOLE : pipeline_budget_of(ref);
	pipeline_kvm_budget(p->kvm, b, p->short_budget_us, p->hang_probe);
	int rk = exec_run_after(p->kvm, c, kvm_only ? NULL : ref, kvm);
	pipeline_kvm_budget(p->kvm, PL_BUDGET_WHOLE, 0, 0);
	if (rk < 0) {
		snprintf(err, errlen, "KVM executor: %s", p->kvm->err);
		return PL_KVM_FAILED;
	}
	return PL_SAME;
}

void pipeline_kvm_failed(const struct pipeline *p, struct pl_result *r, int confirming)
{
	/* Named as the executor in KVM's place calls itself ("vmm"). */
	const char *name = p->kvm->ops->name;
	int at = snprintf(r->err, sizeof(r->err), "%s executor%s: ", !strcmp(name, "kvm") ? "KVM" : name,
			  confirming ? " (confirming run)" : "");
	r->fail_text = at > 0 && (size_t)at < sizeof(r->err) ? (unsigned)at : 0;
	snprintf(r->err + r->fail_text, sizeof(r->err) - r->fail_text, "%s", p->kvm->err);
	r->fail_sig[0] = 0;
	if (p->kvm->fail_errno || p->kvm->fail_where[0])
		exec_fail_signature(p->kvm, r->fail_sig, sizeof(r->fail_sig));
	r->verdict = PL_KVM_FAILED;
}

/* KVM runs c once more and must diverge from ref with d's signature
 * again: host noise (a preempted run hitting its time budget) never makes
 * a finding. d and kvm then describe the second run. 1 confirmed, 0 not,
 * -1 when KVM failed on the second run (a hypervisor failure of its own,
 * never to be taken for "not confirmed"). */
static int confirmed(struct pipeline *p, const struct test_case *c, const struct outcome *ref,
		     struct outcome *kvm, struct divergence *d)
{
	char first[SIGNATURE_MAX];
	memcpy(first, d->signature, sizeof(first));
	if (exec_run_after(p->kvm, c, ref, kvm) < 0)
		return -1;
	return outcome_diff(ref, kvm, d) == VERDICT_DIVERGE && !strcmp(first, d->signature);
}

/* r's verdict from its diff v (r->d filled): the confirmation when
 * p->confirm asks for it. */
static enum pl_verdict judged(struct pipeline *p, struct pl_result *r, enum verdict v)
{
	if (v == VERDICT_AGREE)
		return r->verdict = PL_SAME;
	if (v == VERDICT_UNSUPPORTED)
		return r->verdict = PL_UNSUPPORTED;
	r->verdict = PL_DIVERGED;
	return p->confirm ? pipeline_confirm(p, r) : r->verdict;
}

void pipeline_result_init(struct pl_result *r, const struct test_case *c,
			  const struct outcome *ref, struct outcome *kvm)
{
	memset(&r->d, 0, sizeof(r->d));
	r->verdict = PL_SAME;
	r->c = c;
	r->ref = ref;
	r->kvm = kvm;
	r->cut_at = -1;
	r->err[0] = 0;
	r->fail_sig[0] = 0;
	r->fail_text = 0;
}

enum pl_verdict pipeline_run(struct pipeline *p, const struct test_case *c,
			     struct outcome *ref, struct outcome *kvm, struct pl_result *r)
{
	pipeline_result_init(r, c, ref, kvm);
	r->verdict = pipeline_exec(p, c, 0, ref, kvm, r->err, sizeof(r->err));
	if (r->verdict == PL_KVM_FAILED)
		pipeline_kvm_failed(p, r, 0);
	if (r->verdict != PL_SAME)
		return r->verdict;
	enum verdict v = outcome_diff(ref, kvm, &r->d);
	if (v == VERDICT_AGREE && r->d.whole && p->kvm->ops->agreed)
		p->kvm->ops->agreed(p->kvm, ref);
	return judged(p, r, v);
}

enum pl_verdict pipeline_judge(struct pipeline *p, struct pl_result *r)
{
	return judged(p, r, outcome_diff(r->ref, r->kvm, &r->d));
}

enum pl_verdict pipeline_confirm(struct pipeline *p, struct pl_result *r)
{
	/* The second run replaces KVM's outcome, which then describes the
	 * confirmed divergence. */
	if (r->verdict != PL_DIVERGED)
		return r->verdict;
	int ok = confirmed(p, r->c, r->ref, r->kvm, &r->d);
	if (ok < 0) {
		pipeline_kvm_failed(p, r, 1);
	} else if (!ok) {
		r->verdict = PL_UNCONFIRMED;
	}
	return r->verdict;
}

int pipeline_first(struct pipeline *p, const struct pl_result *whole, struct pl_result *cut)
{
	uint32_t at = 0;
	p->cut.signature = NULL;
	p->cut.failure_is_no = 0;
	/* The search leaves the outcomes of its last candidate, not of the
	 * cut it returns: the cut runs once more, then KVM confirms it. */
	if (min_cut_first(whole->c, whole->ref, min_both_pred, &p->cut, p->cut_case, &at) != 1 ||
	    min_both_pred(&p->cut, p->cut_case) != 1 ||
	    confirmed(p, p->cut_case, p->cut.oref, p->cut.okvm, &p->cut.d) != 1)
		return 0;
	snprintf(p->cut_case->id, sizeof(p->cut_case->id), "%.58s-cut", whole->c->id);
	cut->verdict = PL_DIVERGED;
	cut->c = p->cut_case;
	cut->ref = p->cut.oref;
	cut->kvm = p->cut.okvm;
	cut->d = p->cut.d;
	cut->cut_at = (int)at;
	cut->err[0] = 0;
	return 1;
}

void pipeline_file(const struct pipeline *p, const struct test_case *c, const char *sig,
		   struct finding *f)
{
	finding_resolve(p ? p->known : NULL, c, sig, f);
}

void pipeline_cluster(const char *key, uint32_t knobs, int knobs_needed,
		      char buf[PIPELINE_CLUSTER_MAX])
{
	cluster_key(key, knobs, knobs_needed, buf, PIPELINE_CLUSTER_MAX);
}

int pipeline_case_known(const char *known_signature, const char *sig)
{
	return known_signature[0] && fnmatch(known_signature, sig, 0) == 0;
}
