/* Knobs in Unicorn: the CR0/CR4 bits a case asks for, set the way the CPU
 * sets them, by MOV CR run in the guest.
 *
 * A uc_reg_write of CR0/CR4 stores the register but does not recompute
 * the hflags QEMU translates with (Unicorn 2.0.1, measured: MOVAPS ran with
 * CR0.TS=1), while MOV CR in the guest goes through QEMU's
 * helper_write_crN -> cpu_x86_update_cr0/cr4, which does. So for each knob
 * set a short stub (MOV CR0, RAX; MOV CR4, RBX; HLT) runs once from the
 * mode's initial context in the case's code page, and the resulting CPU
 * state is kept as a uc_context every case with those knobs restores.
 *
 * Per knob, with the reason when refused:
 *   - a bit QEMU's CPU model does not offer makes MOV CR4 raise #GP
 *     (reserved bit, SDM Vol. 3A 2.5): "uc:KNOB #GP" — measured, not
 *     assumed, each knob alone first so the reason names it;
 *   - a value that does not read back as written: "uc:KNOB reads 0x..";
 *   - no-sce needs nothing: EFER.SCE is always 0 in Unicorn (WRMSR keeps
 *     only LME/LMA, docs/unicorn.md);
 *   - cr4.osxsave, cr4.fsgsbase, cr4.umip: MOV CR4 takes the bit, but
 *     XGETBV and RDFSBASE still raise #UD and SGDT at CPL3 still runs
 *     (measured: no XSAVE, FSGSBASE or UMIP in the CPU model), so a case
 *     whose code reaches one of those is refused (uc_knob_scan.c);
 *   - cpl3: the stub also loads the user data selectors and IRETQs to
 *     CPL3, stopping at the landing address; a uc_reg_write of CS sets
 *     only the selector, with no descriptor load and no CPL change. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unicorn/x86.h>
#include "knobs.h"
#include "uc_internal.h"

static const uint8_t stub[] = {
	0x0f, 0x22, 0xc0,   /* mov cr0, rax (eax outside 64-bit mode) */
	0x0f, 0x22, 0xe3,   /* mov cr4, rbx */
	0xf4,               /* hlt: uc_emu_start stops before it */
};

/* CPL3 (long64): the same, then the data selectors (a DPL3 data segment
 * loads at CPL0, SDM Vol. 3A 5.6) and an IRETQ to CPL3 (Vol. 3A 6.14.3:
 * IRET to an outer level would null DS/ES/FS/GS holding a DPL0 selector).
 * The frame goes onto the IST stack; the run stops at the landing
 * address, in the user code page, before anything runs there. */
static const uint8_t stub_cpl3[] = {
	0x0f, 0x22, 0xc0,               /* mov cr0, rax */
	0x0f, 0x22, 0xe3,               /* mov cr4, rbx */
	0xb8, SEL_UDATA, 0, 0, 0,       /* mov eax, 0x33 */
	0x8e, 0xd8, 0x8e, 0xc0,         /* mov ds, eax; mov es, eax */
	0x8e, 0xe0, 0x8e, 0xe8,         /* mov fs, eax; mov gs, eax */
	0x6a, SEL_UDATA,                /* push SS */
	0x52,                           /* push rdx: RSP */
	0x6a, 0x02,                     /* push RFLAGS 0x2 */
	0x6a, SEL_UCODE64,              /* push CS */
	0x51,                           /* push rcx: RIP, the landing */
	0x48, 0xcf,                     /* iretq */
};
#define CPL3_LANDING (LAYOUT_CODE + 0x800)

static const char *const vector_names[32] = {
	"#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", "#9", "#TS", "#NP",
	"#SS", "#GP", "#PF", "#15", "#MF", "#AC", "#MC", "#XM",
};

/* Runs the stub for knobs from the mode's initial context. 0 and the state
 * is in the engine; 1 with why when the CPU model refuses. */
static int run_stub(struct uc_ctx *u, uint32_t knobs, const char *name, char *why, size_t whylen)
{
	struct mode_env env;
	mode_env_init(&env, (enum cpu_mode)u->mode, knobs);
	int cpl3 = (knobs & KNOB_CPL3) && u->mode == MODE_LONG64;
	const uint8_t *code = cpl3 ? stub_cpl3 : stub;
	size_t len = cpl3 ? sizeof(stub_cpl3) : sizeof(stub);
	/* The mode's first instruction; under cpl3 env's CS is the user one,
	 * but the stub starts at CPL0 from ctx0: same base (flat), same RIP. */
	uint64_t start = env.seg[SR_CS].base + env.rip;
	uint64_t until = cpl3 ? CPL3_LANDING : start + len - 1;
	memset(u->scratch + LAYOUT_CODE, 0xf4, PAGE_SIZE);
	memcpy(u->scratch + LAYOUT_CODE, code, len);
	if (uc_mem_write(u->uc, LAYOUT_CODE, u->scratch + LAYOUT_CODE, PAGE_SIZE) != UC_ERR_OK ||
	    uc_context_restore(u->uc, u->ctx0) != UC_ERR_OK ||
	    uc_ctl_remove_cache(u->uc, (uint64_t)LAYOUT_RW_BASE, (uint64_t)LAYOUT_RAM_SIZE) != UC_ERR_OK) {
		snprintf(why, whylen, "uc:%s set-up", name);
		return 1;
	}
	uint64_t cr0 = env.cr0, cr4 = env.cr4, rip = env.rip;
	uint64_t landing = CPL3_LANDING, user_rsp = LAYOUT_STACK_TOP, kstack = LAYOUT_IST_TOP;
	uc_reg_write(u->uc, uc_gpr_reg(u, RAX), &cr0);
	uc_reg_write(u->uc, uc_gpr_reg(u, RBX), &cr4);
	uc_reg_write(u->uc, uc_ip_reg(u), &rip);
	if (cpl3) {
		uc_reg_write(u->uc, UC_X86_REG_RCX, &landing);
		uc_reg_write(u->uc, UC_X86_REG_RDX, &user_rsp);
		uc_reg_write(u->uc, UC_X86_REG_RSP, &kstack);
	}
	u->out = NULL;
	u->stop = UC_STOP_NONE;
	u->steps = 0;
	uc_err e = uc_emu_start(u->uc, start, until, 0, 0);
	if (u->stop == UC_STOP_EXCEPTION) {
		snprintf(why, whylen, "uc:%s %s", name,
			 u->vector < 32 && vector_names[u->vector] ? vector_names[u->vector] : "fault");
		return 1;
	}
	if (e != UC_ERR_OK) {
		snprintf(why, whylen, "uc:%s %s", name, uc_strerror(e));
		return 1;
	}
	if (cpl3) {
		uint16_t cs = 0, ss = 0, ds = 0;
		uc_reg_read(u->uc, UC_X86_REG_CS, &cs);
		uc_reg_read(u->uc, UC_X86_REG_SS, &ss);
		uc_reg_read(u->uc, UC_X86_REG_DS, &ds);
		if (cs != SEL_UCODE64 || ss != SEL_UDATA || ds != SEL_UDATA) {
			snprintf(why, whylen, "uc:cpl3 cs 0x%x", cs);
			return 1;
		}
	}
	uint64_t got0 = 0, got4 = 0;
	uc_reg_read(u->uc, UC_X86_REG_CR0, &got0);
	uc_reg_read(u->uc, UC_X86_REG_CR4, &got4);
	if ((uint32_t)got0 != (uint32_t)env.cr0 || (uint32_t)got4 != (uint32_t)env.cr4) {
		snprintf(why, whylen, "uc:%s reads 0x%llx", name,
			 (unsigned long long)((uint32_t)got0 != (uint32_t)env.cr0 ? got0 : got4));
		return 1;
	}
	return 0;
}

static const char *knob_name(uint32_t bit)
{
	const struct knob_def *k = knob_by_bit(bit);
	return k ? k->name : "knob";
}

/* Builds the context for knobs, or the refusal. */
static void build(struct uc_ctx *u, struct uc_knob_ctx *k)
{
	uint32_t rest = k->knobs;
	/* no-sce needs nothing: Unicorn's EFER.SCE is 0 whatever is
	 * written (docs/unicorn.md), which is what the knob asks for; SYSRET
	 * then raises #UD in QEMU's helper, SYSCALL stays unsupported (its
	 * hook), and the end state reports EFER without SCE (uc_state.c). */
	rest &= ~KNOB_NO_SCE;
	/* msr-exit is the hypervisor's MSR filter: Unicorn has no user space
	 * to hand an MSR access to. */
	if (rest & KNOB_MSR_EXIT) {
		snprintf(k->refused, sizeof(k->refused), "uc:msr-exit (no MSR filter)");
		return;
	}
	/* Each CR knob alone first, so that a refusal names its knob. */
	for (uint32_t b = rest & -rest; rest; rest &= ~b, b = rest & -rest)
		if (run_stub(u, b, knob_name(b), k->refused, sizeof(k->refused)))
			return;
	if (run_stub(u, k->knobs, "knobs", k->refused, sizeof(k->refused)))
		return;
	if (uc_context_alloc(u->uc, &k->ctx) != UC_ERR_OK || uc_context_save(u->uc, k->ctx) != UC_ERR_OK)
		snprintf(k->refused, sizeof(k->refused), "uc:knobs context");
}

int uc_apply_knobs(struct uc_ctx *u, const struct test_case *c, char *why, size_t whylen)
{
	u->start_ctx = u->ctx0;
	if (!c->knobs)
		return 0;
	struct uc_knob_ctx *k = NULL;
	for (unsigned i = 0; i < u->n_knob_ctx && !k; i++)
		if (u->knob_ctx[i].knobs == c->knobs)
			k = &u->knob_ctx[i];
	if (!k) {
		if (u->n_knob_ctx == UC_KNOB_CTX_MAX) {
			snprintf(why, whylen, "uc:too many knob sets");
			return 1;
		}
		k = &u->knob_ctx[u->n_knob_ctx++];
		memset(k, 0, sizeof(*k));
		k->knobs = c->knobs;
		build(u, k);
	}
	if (k->refused[0]) {
		snprintf(why, whylen, "%s", k->refused);
		return 1;
	}
	if (uc_knob_code_refused(c, why, whylen))
		return 1;
	u->start_ctx = k->ctx;
	return 0;
}

void uc_knobs_free(struct uc_ctx *u)
{
	for (unsigned i = 0; i < u->n_knob_ctx; i++)
		if (u->knob_ctx[i].ctx)
			uc_context_free(u->knob_ctx[i].ctx);
	u->n_knob_ctx = 0;
}
