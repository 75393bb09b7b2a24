/* The VMM executor (docs/vmm.md): any VMM that boots a multiboot image runs
 * the cases, in the batch image built with exitdiff (tmk/batch/), which
 * takes cases on COM1's input and reports each outcome on its output.
 *
 *   vmm_profile.c   the VMMs exitdiff knows by name ("qemu-tcg"): command
 *                   line and declared environment; "vmm:CMD" for others
 *   vmm_proto.c     the wire: case frames out, records in -> outcome
 *   vmm_proc.c      the VMM process: start, lines with a deadline, stop
 *   vmm_shm.c       the shared-memory mailbox (tmk/batch/mbox.h): RAM
 *                   file, frames in, records out, waiting
 *   vmm_executor.c  executor_ops and vmm_run_batch: boot, run cases
 *                   (rounds of them over the mailbox), restart after a
 *                   case that ended the VM
 */
#ifndef EXITDIFF_VMM_H
#define EXITDIFF_VMM_H

#include <stddef.h>
#include <stdint.h>
#include "executor.h"

extern const struct executor_ops vmm_executor_ops;

/* A VMM: how to start it and what its guest environment answers. */
struct vmm_profile {
	const char *name;      /* "qemu-tcg"; "" for a command given whole */
	const char *command;   /* sh command line; {image} is the batch image */
	const char *cpu;       /* the CPU model it declares ("" when not) */
	/* OUTCOME_OWN_MMIO(_WINDOW) / OUTCOME_OWN_PORTS: reads it answers
	 * otherwise than the reference (layout.h ENV_*_READ_BYTE). */
	uint32_t own_reads;
	/* What it reads at the MMIO window, 0x100 | the byte (0: not
	 * declared): the reference and Unicorn answer the same there
	 * (executor.mmio_window_read), so those reads are compared. */
	uint16_t mmio_window_read;
	const char *reads;     /* what it answers, for the docs and `run` */
	/* 1 when Unicorn's CPU emulation is a fork of this VMM's (QEMU's
	 * TCG): Unicorn siding with it is no independent verdict, the two
	 * share their bugs (a locked RMW's #PF reported as a read). */
	int unicorn_kin;
};

/* The profile for spec: a known name, or else spec taken as a command
 * line (it must hold {image}). NULL with a reason in err when neither. */
const struct vmm_profile *vmm_profile_find(const char *spec, struct vmm_profile *own,
					   char *err, size_t errlen);
/* Names of the known profiles, for messages ("qemu-tcg"). */
const char *vmm_profile_names(void);
/* What the VMM of spec is called in the known list ([vmm=NAME]) and in
 * its environment ("vmm:NAME"): its profile's name, or "command" for a
 * command line. */
const char *vmm_name_of(const char *spec);

/* The batch image: $EXITDIFF_VMM_IMAGE, else the one this build made. */
const char *vmm_image_path(void);

/* The case a VMM cannot be given (an event only a hypervisor makes
 * pending, TF, breakpoints, an MSR filter, LGDT/LIDT or a MOV to CR0, CR3
 * or CR4, which take away the runtime's way back): why, or NULL. */
const char *vmm_refuses(const struct test_case *c);

/* The executor's run_batch (core/executor.h): cases[0..n) on ex (a VMM
 * executor), case i bounded by budget_us[i] (0 or NULL: ex->budget_us,
 * else KVM_TIME_BUDGET_US), outcomes into outs[0..n): over the mailbox in
 * rounds of up to MBOX_BATCH_MAX cases (one wake-up and one wait each),
 * else one by one. Returns how many cases from the front were answered;
 * fewer than n when cases[that] failed, with ex->err, ex->fail_where and
 * ex->dead as after a run() that returned -1: the caller goes on from the
 * case after it (the VMM is booted again on the way; the cases after a
 * VMM's death in a round are run again). */
size_t vmm_run_batch(struct executor *ex, const struct test_case *cases, size_t n,
		     const uint32_t *budget_us, struct outcome *outs);

/* The transport the executor's VMM uses now: "shm" or "serial". */
const char *vmm_transport(const struct executor *ex);
/* The profile's mmio_window_read of a VMM executor (0 when none). */
uint16_t vmm_mmio_window_read(const struct executor *ex);

#endif
