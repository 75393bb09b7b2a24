/* Shared by the Unicorn oracle's files: the per-executor context and the
 * hooks that turn Unicorn callbacks into exit events. */
#ifndef EXITDIFF_UC_INTERNAL_H
#define EXITDIFF_UC_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <unicorn/unicorn.h>
#include "executor.h"
#include "layout.h"
#include "outcome.h"
#include "mode.h"

/* Why the run loop stopped Unicorn (set by a hook before uc_emu_stop). */
enum uc_stop {
	UC_STOP_NONE = 0,   /* still running, or Unicorn returned by itself */
	UC_STOP_HLT,        /* a HLT outside the stubs: EXIT_HLT pushed */
	UC_STOP_EXCEPTION,  /* an exception was raised (intr hook) */
	UC_STOP_BUDGET,     /* REF_STEP_BUDGET instructions ran */
	UC_STOP_TRACE_FULL, /* outcome_push refused: trace is full */
	UC_STOP_UNSUPPORTED,/* an instruction Unicorn fakes (SYSCALL ...) */
};

struct uc_ctx {
	uc_engine *uc;
	uint8_t mode;                 /* enum cpu_mode this engine runs */
	uint64_t mmio_base;           /* GPA of the MMIO region's offset 0 */
	/* Unpaged modes: a write below LAYOUT_RW_BASE is an MMIO write that
	 * changes nothing in KVM (read-only memslot); the old bytes are put
	 * back at the next instruction (uc_modes.c). */
	int ro_pending;
	uint64_t ro_addr;
	unsigned ro_size;
	uint8_t ro_old[16];
	uint8_t *ram;                 /* LAYOUT_RAM_SIZE bytes, mapped at GPA 0 */
	uint8_t *pristine_sys;        /* system part as layout_build() left it */
	uc_context *ctx0;             /* CPU state every case starts from */
	/* Knob sets seen so far, each with the state its stub left
	 * (uc_knobs.c), or why Unicorn cannot model it. */
#define UC_KNOB_CTX_MAX 64
	struct uc_knob_ctx {
		uint32_t knobs;
		uc_context *ctx;
		char refused[32];
	} knob_ctx[UC_KNOB_CTX_MAX];
	unsigned n_knob_ctx;
	uc_context *start_ctx;        /* ctx0, or the case's knob context */
	uint32_t knobs;               /* of the case being run */
	uint8_t *scratch;             /* the next case's RW pages, built here */
	const struct cpuid_table *cpuid;
	uint16_t mmio_window_read; /* executor.mmio_window_read */
	struct outcome *out;          /* the case being run */
	enum uc_stop stop;
	int captured;                 /* end state + memory already taken */
	uint32_t steps;
	uint32_t step_limit;          /* 0: REF_STEP_BUDGET (uc_step) */
	uint32_t mmio_step;           /* steps at the last MMIO event */
	/* The exception the intr hook saw. */
	uint32_t vector;
	uint64_t exc_rip;             /* RIP at the hook: the faulting insn */
	/* The last data access of the current instruction (memory hooks),
	 * for the #PF error code Unicorn does not expose. */
	int acc_valid, acc_write;
	uint64_t acc_addr;
	/* The current instruction (code hook). */
	uint64_t insn_addr;
	uint32_t insn_size;
	char unsupported[32];         /* mnemonic for UC_STOP_UNSUPPORTED */
};

/* uc_setup.c: engine, memory, long-mode system state. */
int uc_ctx_open(struct uc_ctx *u, char *err, size_t errlen);
void uc_ctx_close(struct uc_ctx *u);
/* Resets RAM and all CPU state for case c. Returns 0, or -1 with err. */
/* The Unicorn register id of GPR i (enum gpr order) in u's mode
 * (UC_X86_REG_INVALID for R8..R15 outside long mode), of RIP/EIP and of
 * RFLAGS/EFLAGS. */
int uc_gpr_reg(const struct uc_ctx *u, unsigned i);
int uc_ip_reg(const struct uc_ctx *u);
int uc_flags_reg(const struct uc_ctx *u);
int uc_load_case(struct uc_ctx *u, const struct test_case *c, char *err, size_t errlen);

/* MMIO region callbacks (uc_setup.c): events at mmio_base + offset. */
uint64_t uc_mmio_read(uc_engine *uc, uint64_t offset, unsigned size, void *user);
void uc_mmio_write(uc_engine *uc, uint64_t offset, unsigned size, uint64_t value, void *user);

/* uc_modes.c: engines for prot32, prot32-paged and real16 (UC_MODE_32/16,
 * state from mode_env_init), and exception delivery there. */
int uc_ctx_open_mode(struct uc_ctx *u, enum cpu_mode m, char *err, size_t errlen);
/* The unsupported-mnemonic a mode this executor does not model ends every
 * case with ("uc:mode compat32"), NULL for a modeled mode. */
const char *uc_mode_refused(enum cpu_mode m);
/* CS base of the engine's current CS (mode_seg_base of its selector). */
uint64_t uc_cs_base(struct uc_ctx *u);
/* Outside long mode: delivers the recorded exception the architectural
 * way (frame on the case's stack, SDM Vol. 3A 6.12.1; Vol. 3B 20.1.4),
 * then reads it back with mode_stub_exception like every executor. */
void uc_finish_exception_legacy(struct uc_ctx *u);
/* 1 when the exception of vector v came from INT3/INTO/INT1/INT n at or
 * just before linear address rip; *next = linear address after it
 * (uc_state.c). */
int uc_soft_int(const struct uc_ctx *u, uint64_t rip, uint32_t v, uint64_t *next);
/* Applies the case's knobs over the restored context. Returns 0, or 1
 * when a knob cannot be had in Unicorn (why gets the "uc:..." name). */
/* uc_knobs.c: picks the context the case starts from (u->start_ctx), with
 * its knobs set by MOV CR in the guest; 1 with why ("uc:KNOB REASON") for
 * a knob Unicorn cannot model. Runs before uc_load_case (it uses the code
 * page). */
int uc_apply_knobs(struct uc_ctx *u, const struct test_case *c, char *why, size_t whylen);
void uc_knobs_free(struct uc_ctx *u);
/* uc_knob_scan.c: 1 with why when c's code reaches an instruction that a
 * knob Unicorn takes but cannot act on governs (cr4.osxsave, cr4.umip,
 * cr4.fsgsbase). */
int uc_knob_code_refused(const struct test_case *c, char *why, size_t whylen);
/* Puts back bytes a write to the read-only system part changed. */
void uc_ro_restore(struct uc_ctx *u);

/* uc_hooks.c: installs every hook once per engine. */
int uc_hooks_install(struct uc_ctx *u, char *err, size_t errlen);
/* Pushes e; on a full trace, asks Unicorn to stop. Returns 1 if pushed. */
int uc_push(struct uc_ctx *u, const struct exit_event *e);

/* Takes the end state and the compare window now, once per run. */
void uc_snapshot(struct uc_ctx *u);

/* uc_state.c: end state and the terminal exception event. */
void uc_capture(struct uc_ctx *u, struct end_state *st);
/* Pushes the EXCEPTION event for the exception the intr hook recorded and
 * fixes up the end state like a delivered frame would show it. */
void uc_finish_exception(struct uc_ctx *u);
/* The #PF error code (SDM Vol. 3A 4.7) Unicorn computed but keeps to
 * itself, recomputed from the page tables and the recorded access. */
uint32_t uc_pf_error_code(const struct uc_ctx *u, uint64_t cr2);

#endif
