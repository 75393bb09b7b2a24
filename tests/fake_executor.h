/* Pieces of the fake executors the campaign tests plug in instead of KVM
 * and the reference, so a campaign runs without /dev/kvm and its
 * verdicts are chosen by the test. */
#ifndef EXITDIFF_TEST_FAKE_EXECUTOR_H
#define EXITDIFF_TEST_FAKE_EXECUTOR_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "campaign.h"
#include "case_text.h"
#include "executor.h"
#include "noop_executor.h"

/* The outcome of a case that halts at once: HLT after the first byte,
 * registers and memory as the case starts. */
static inline void base_outcome(const struct test_case *c, struct outcome *o)
{
	outcome_init(o);
	struct exit_event e = { .kind = EXIT_HLT, .rip = LAYOUT_CODE + 1 };
	outcome_push(o, &e);
	memcpy(o->state.gpr, c->gpr, sizeof(o->state.gpr));
	o->state.rip = LAYOUT_CODE + 1;
	o->state.rflags = c->rflags;
	case_initial_mem(c, o->mem);
}

/* The campaign backend over two run functions: defines fake_ref_ops,
 * fake_kvm_ops, their executors xr and xk, and the backend `fake`. */
#define FAKE_CAMPAIGN_BACKEND(ref_run, kvm_run) \
	static const struct executor_ops fake_ref_ops = { .name = "fake-ref", .init = fake_init, .run = ref_run, .fini = fake_fini }; \
	static const struct executor_ops fake_kvm_ops = { .name = "fake-kvm", .init = fake_init, .run = kvm_run, .fini = fake_fini }; \
	static struct executor xr = { .ops = &fake_ref_ops }, xk = { .ops = &fake_kvm_ops }; \
	static void *fake_open(struct executor **ref, struct executor **kvm) \
	{ \
		*ref = &xr; \
		*kvm = &xk; \
		return &xr; \
	} \
	static void fake_close(void *h) { (void)h; } \
	static const struct campaign_backend fake = { fake_open, fake_close }

/* A number of a campaign's state file (OUT/state, "KEY N"); ~0 if absent. */
static inline unsigned long long state_num(const char *out, const char *key)
{
	char p[1024], line[256];
	snprintf(p, sizeof(p), "%s/state", out);
	FILE *f = fopen(p, "r");
	unsigned long long v = ~0ull;
	size_t kl = strlen(key);
	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, key, kl) && line[kl] == ' ')
			v = strtoull(line + kl + 1, NULL, 0);
	if (f)
		fclose(f);
	return v;
}

#endif
