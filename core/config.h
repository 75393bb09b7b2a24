/* Budgets and limits, one place. Every number here is a tunable with a reason. */
#ifndef EXITDIFF_CONFIG_H
#define EXITDIFF_CONFIG_H

/* Largest code a case may carry: one code page minus room for the HLT
 * padding that catches execution falling off the end. */
#define CASE_CODE_MAX 4032

/* Largest initial data image: the two data pages (see layout.h). */
#define CASE_DATA_MAX 8192

/* Exit events kept per outcome. A guest that produces more (a REP INSB with
 * a huge count) ends with TIMEOUT at this many; both executors stop at the
 * same event, so budgets never cause a divergence by themselves. */
#define TRACE_MAX 64

/* Reference executor: instructions before TIMEOUT. A runaway loop spends
 * this quickly; real cases execute a few dozen instructions. */
#define REF_STEP_BUDGET 4096

/* KVM executor: budget of one case before TIMEOUT, counted from the case's
 * first watchdog tick and only while the vCPU thread really runs (see
 * harness/kvm_run.c). KVM's instruction emulator runs CPL0 code at about
 * 0.4 us an instruction here (a 100000-iteration LOOP takes 40 ms), so
 * REF_STEP_BUDGET instructions take under 2 ms: with the first tick that
 * is a margin of four and more. Runaway cases pay this in full, so it
 * bounds campaign speed. */
#define KVM_TIME_BUDGET_US 5000

/* The VMM executor (vmm/): a case first runs with this budget, so that a
 * HLT, which only the budget's timer NMI ends inside a guest, costs little;
 * a case that times out under it runs again with the whole budget before
 * its TIMEOUT counts (a TCG translation can take longer than this). */
#define VMM_SHORT_BUDGET_US 200
/* How long exitdiff waits for a VMM's record of one case (wall clock)
 * before it takes the VMM for hung, kills it and boots it again. */
#define VMM_CASE_WAIT_MS 5000
/* How long a VMM may take to boot the batch image to its READY line. */
#define VMM_BOOT_WAIT_MS 20000

/* Period of the watchdog signal that interrupts a KVM_RUN stuck in the
 * kernel. Cheap (a few hundred signals/s) and bounds TIMEOUT latency. */
#define KVM_WATCHDOG_PERIOD_US 5000

/* Longest text line accepted by the .case parser. */
#define CASE_LINE_MAX 8192

/* Size of a signature string, including the terminator. */
#define SIGNATURE_MAX 128

#endif
