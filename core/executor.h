/* The executor interface: something that runs a case and yields an outcome.
 * Adding an executor (Unicorn, another VMM) is one file filling these ops. */
#ifndef EXITDIFF_EXECUTOR_H
#define EXITDIFF_EXECUTOR_H

#include <stddef.h>
#include <stdint.h>
#include "case.h"
#include "outcome.h"

/* CPUID answers the guest really reads, calibrated in the KVM guest at
 * start-up and handed to the reference so both answer alike. */
struct cpuid_entry {
	uint32_t leaf, subleaf;
	uint32_t eax, ebx, ecx, edx;
};
#define CPUID_TABLE_MAX 256
struct cpuid_table {
	uint32_t n;
	struct cpuid_entry e[CPUID_TABLE_MAX];
};
/* Looks up (leaf, subleaf); NULL when the table has no such entry. */
const struct cpuid_entry *cpuid_lookup(const struct cpuid_table *t,
				       uint32_t leaf, uint32_t subleaf);

/* Where a verdict was produced: kernel release, KVM backend module, the
 * KVM module parameters that change behaviour. Recorded with outcomes. */
struct environment_info {
	char kernel[64];
	char backend[32];
	char params[384];
};

struct executor;

struct executor_ops {
	const char *name;
	/* Returns 0, or -1 with a one-line reason in err. */
	int (*init)(struct executor *ex, char *err, size_t errlen);
	/* Runs one case. Returns 0 when an outcome was produced (whatever it
	 * says), -1 when the executor itself failed (reason in ex->err). */
	int (*run)(struct executor *ex, const struct test_case *c,
		   struct outcome *out);
	void (*fini)(struct executor *ex);
};

struct executor {
	const struct executor_ops *ops;
	void *priv;
	struct cpuid_table *cpuid;      /* shared: KVM fills, reference reads */
	struct environment_info env;
	/* KVM: when not 0, each run's time budget in us instead of
	 * KVM_TIME_BUDGET_US. A caller sets it for a run whose verdict a longer
	 * run could not change (the reference spent its step budget: any KVM
	 * end compares as agree or not comparable, core/diff.c). */
	uint32_t budget_us;
	char err[256];
};

extern const struct executor_ops kvm_executor_ops;
extern const struct executor_ops ref_executor_ops;

#endif
