/* Comparison of two outcomes under the comparison rules, and the stable
 * signature that names a divergence and tells duplicates apart. */
#ifndef EXITDIFF_DIFF_H
#define EXITDIFF_DIFF_H

#include <stdint.h>
#include "config.h"
#include "outcome.h"

enum verdict {
	VERDICT_AGREE = 0,
	VERDICT_DIVERGE = 1,
	VERDICT_UNSUPPORTED = 2, /* a side ended UNSUPPORTED: not comparable */
};

/* Where two outcomes first part, in comparison order (fixed numbers: they
 * appear in signatures and saved files). */
enum divergence_class {
	DIV_NONE = 0,
	DIV_TERMINAL = 1,   /* terminal event kinds differ */
	DIV_TRACE = 2,      /* a non-terminal event (or the count) differs */
	DIV_EXCEPTION = 3,  /* vector, error code, faulting RIP or CR2 */
	DIV_RIP = 4,
	DIV_GPR = 5,
	DIV_RFLAGS = 6,
	DIV_SYSREG = 7,     /* CR0/2/3/4/8, EFER, segment selectors */
	DIV_MEM = 8,
	DIV_XMM = 9,        /* compared after the system registers, before memory */
};

struct divergence {
	enum verdict verdict;
	enum divergence_class cls;
	int event_index;          /* DIV_TRACE/DIV_EXCEPTION, else -1 */
	char field[32];           /* "rax", "rflags", "mem", "event.data", ... */
	uint64_t a, b;            /* the differing values (a = first outcome) */
	uint64_t addr;            /* DIV_MEM: first differing guest address */
	char mnemonic[32];        /* the reference's instruction behind it, or why not compared */
	char signature[SIGNATURE_MAX];
	/* AGREE with every part compared equal: the traces, the end state and
	 * memory (not two budgets spent, nor a shutdown whose state means
	 * nothing). Only then did both run the same instructions. */
	int whole;
};

/* Compares a (the reference, or a recorded expectation) with b (KVM).
 * Masks a->undefined_flags | b->undefined_flags in RFLAGS. Both TIMEOUT
 * agree whatever the state. Fills d (always) and returns d->verdict. */
enum verdict outcome_diff(const struct outcome *a, const struct outcome *b,
			  struct divergence *d);

/* 1 when the reference outcome ref ended by spending its step budget:
 * then no outcome of the other side can diverge from it (both TIMEOUT
 * agree, any other end is not comparable), so a caller may give KVM a
 * short time budget (executor.budget_us). */
int outcome_step_budget_spent(const struct outcome *ref);

/* 1 when o ended because its trace filled up (TIMEOUT, event budget). */
int outcome_trace_full(const struct outcome *o);

/* One line: "field: a=0x.. b=0x.. (mnemonic)" for humans. */
void divergence_describe(const struct divergence *d, char *buf, size_t len);

#endif
