/*
 * Unicorn outside long mode: prot32, prot32-paged (UC_MODE_32) and real16
 * (UC_MODE_16), one engine per mode, its system state from
 * mode_env_init() (core/mode.c) so it is the one environment every
 * executor starts from.
 *
 * Unicorn does not deliver exceptions through the IDT or IVT: its
 * interrupt hook sees the vector first. Here the delivery is done the
 * architectural way on the case's own stack, as the gates of the layout
 * would (SDM Vol. 3A 6.12.1: interrupt gate, no privilege change, frame
 * [error code] EIP CS EFLAGS; Vol. 3B 20.1.4: real mode, FLAGS CS IP at
 * SS:SP), and the end state is then read back with mode_stub_exception(),
 * like the other executors read theirs. The frame lands in the compared
 * stack page, as it does in KVM.
 *
 * Without paging every GPA above RAM is an MMIO exit in KVM (no memslot):
 * one MMIO region covers [LAYOUT_RAM_SIZE, 4 GiB). The system part below
 * LAYOUT_RW_BASE is a read-only memslot there: a write is an MMIO write
 * exit that changes nothing, so a write hook reports it and the old bytes
 * are put back before the next instruction.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unicorn/x86.h>
#include "uc_internal.h"

#define MSR_EFER 0xc0000080u
#define RFLAGS_RF (1ull << 16)

static int fail(char *err, size_t errlen, const char *what, uc_err e)
{
	snprintf(err, errlen, "unicorn: %s: %s (uc_err %d)", what, uc_strerror(e), (int)e);
	return -1;
}

uint64_t uc_cs_base(struct uc_ctx *u)
{
	if (u->mode == MODE_LONG64)
		return 0;
	uint16_t cs = 0;
	uc_reg_read(u->uc, UC_X86_REG_CS, &cs);
	return mode_seg_base((enum cpu_mode)u->mode, cs);
}

/* A write into the system part (unpaged modes): the MMIO write event KVM
 * would report, and the bytes to put back. Called before the write. */
static void on_ro_write(uc_engine *uc, uc_mem_type type, uint64_t addr, int size,
			int64_t value, void *user)
{
	(void)uc;
	(void)type;
	struct uc_ctx *u = user;
	unsigned n = size > 0 && size <= 8 ? (unsigned)size : 8;
	uint64_t v = (uint64_t)value;
	if (n < 8)
		v &= (1ull << (8 * n)) - 1;
	struct exit_event e = { .kind = EXIT_MMIO, .dir = DIR_OUT, .size = (uint8_t)n,
				.addr = addr, .data = v };
	uc_push(u, &e);
	if (!u->ro_pending && addr + n <= LAYOUT_RW_BASE) {
		u->ro_pending = 1;
		u->ro_addr = addr;
		u->ro_size = n;
		memcpy(u->ro_old, u->ram + addr, n);
	}
}

void uc_ro_restore(struct uc_ctx *u)
{
	memcpy(u->ram + u->ro_addr, u->ro_old, u->ro_size);
	u->ro_pending = 0;
}

static int wr(struct uc_ctx *u, int reg, const void *v, const char *what, char *err,
	      size_t errlen)
{
	uc_err e = uc_reg_write(u->uc, reg, v);
	return e == UC_ERR_OK ? 0 : fail(err, errlen, what, e);
}

/* Control registers first (CR0 last, PG with it), then the descriptor
 * tables, then the segment registers: in UC_MODE_32 a selector write
 * loads the descriptor from the GDT, in UC_MODE_16 it sets base = sel
 * << 4 (real mode). */
static int load_mode_state(struct uc_ctx *u, const struct mode_env *env, char *err,
			   size_t errlen)
{
	uc_x86_mmr gdtr = { .base = env->gdt_base, .limit = env->gdt_limit };
	uc_x86_mmr idtr = { .base = env->idt_base, .limit = env->idt_limit };
	uint64_t cr0 = env->cr0, cr3 = env->cr3, cr4 = env->cr4, zero = 0;
	uc_x86_msr efer = { .rid = MSR_EFER, .value = env->efer };
	if (wr(u, UC_X86_REG_GDTR, &gdtr, "GDTR", err, errlen) ||
	    wr(u, UC_X86_REG_IDTR, &idtr, "IDTR", err, errlen) ||
	    wr(u, UC_X86_REG_MSR, &efer, "EFER", err, errlen) ||
	    wr(u, UC_X86_REG_CR3, &cr3, "CR3", err, errlen) ||
	    wr(u, UC_X86_REG_CR4, &cr4, "CR4", err, errlen) ||
	    wr(u, UC_X86_REG_CR0, &cr0, "CR0", err, errlen) ||
	    wr(u, UC_X86_REG_CR2, &zero, "CR2", err, errlen))
		return -1;
	static const int seg_reg[SR_COUNT] = {
		[SR_ES] = UC_X86_REG_ES, [SR_CS] = UC_X86_REG_CS, [SR_SS] = UC_X86_REG_SS,
		[SR_DS] = UC_X86_REG_DS, [SR_FS] = UC_X86_REG_FS, [SR_GS] = UC_X86_REG_GS,
	};
	static const char *const seg_names[SR_COUNT] = { "ES", "CS", "SS", "DS", "FS", "GS" };
	for (unsigned i = 0; i < SR_COUNT; i++) {
		uint16_t sel = env->seg[i].sel;
		if (wr(u, seg_reg[i], &sel, seg_names[i], err, errlen))
			return -1;
	}
	/* What the engine holds now must be what the mode says. */
	uint16_t cs = 0;
	uint64_t cr0_now = 0;
	uc_reg_read(u->uc, UC_X86_REG_CS, &cs);
	uc_reg_read(u->uc, UC_X86_REG_CR0, &cr0_now);
	if (cs != env->seg[SR_CS].sel || cr0_now != env->cr0) {
		snprintf(err, errlen, "unicorn: mode state did not load: CS 0x%x (want 0x%x), "
			 "CR0 0x%llx (want 0x%llx)", cs, env->seg[SR_CS].sel,
			 (unsigned long long)cr0_now, (unsigned long long)env->cr0);
		return -1;
	}
	return 0;
}

const char *uc_mode_refused(enum cpu_mode m)
{
	static const char *const refused[MODE_COUNT] = {
		/* A 64-bit engine started on a 32-bit code segment, far
		 * transfers switching the decoder: none of it is set up. */
		[MODE_COMPAT32] = "uc:mode compat32",
		/* The 32-bit engine is set up for 32-bit paging only (no
		 * PDPTEs, no NX): not a judge of PAE paging. */
		[MODE_PROT32PAE] = "uc:mode prot32-pae",
		/* The 16-bit engine has no VM flag, TSS or v86 delivery. */
		[MODE_V86] = "uc:mode v86",
	};
	return (unsigned)m < MODE_COUNT ? refused[m] : NULL;
}

int uc_ctx_open_mode(struct uc_ctx *u, enum cpu_mode m, char *err, size_t errlen)
{
	/* A refused mode ends every case unsupported (uc_executor.c); the
	 * long64 engine stands in so the refusal has an engine to end on. */
	if (m == MODE_LONG64 || uc_mode_refused(m))
		return uc_ctx_open(u, err, errlen);
	memset(u, 0, sizeof(*u));
	u->mode = (uint8_t)m;
	struct mode_env env;
	mode_env_init(&env, m, 0);
	u->ram = aligned_alloc(PAGE_SIZE, LAYOUT_RAM_SIZE);
	u->pristine_sys = malloc(LAYOUT_RW_BASE);
	u->scratch = calloc(1, LAYOUT_RAM_SIZE);
	if (!u->ram || !u->pristine_sys || !u->scratch) {
		snprintf(err, errlen, "unicorn: out of memory for guest RAM (%s)", mode_name(m));
		return -1;
	}
	memset(u->ram, 0, LAYOUT_RAM_SIZE);
	layout_build(u->ram);
	memcpy(u->pristine_sys, u->ram, LAYOUT_RW_BASE);
	uc_err e = uc_open(UC_ARCH_X86, env.code_bits == 16 ? UC_MODE_16 : UC_MODE_32, &u->uc);
	if (e != UC_ERR_OK)
		return fail(err, errlen, "uc_open", e);
	if ((e = uc_mem_map_ptr(u->uc, 0, LAYOUT_RAM_SIZE, UC_PROT_ALL, u->ram)) != UC_ERR_OK)
		return fail(err, errlen, "mapping guest RAM", e);
	if (env.paging) {
		/* The page tables reach RAM and the MMIO window only. */
		u->mmio_base = LAYOUT_MMIO;
		e = uc_mmio_map(u->uc, LAYOUT_MMIO, LAYOUT_MMIO_SIZE, uc_mmio_read, u,
				uc_mmio_write, u);
	} else {
		u->mmio_base = LAYOUT_RAM_SIZE;
		e = uc_mmio_map(u->uc, LAYOUT_RAM_SIZE, 0x100000000ull - LAYOUT_RAM_SIZE,
				uc_mmio_read, u, uc_mmio_write, u);
	}
	if (e != UC_ERR_OK)
		return fail(err, errlen, "mapping the MMIO region", e);
	if (uc_hooks_install(u, err, errlen) < 0)
		return -1;
	if (!env.paging) {
		uc_hook h;
		e = uc_hook_add(u->uc, &h, UC_HOOK_MEM_WRITE, on_ro_write, u, 0,
				LAYOUT_RW_BASE - 1);
		if (e != UC_ERR_OK)
			return fail(err, errlen, "hooking writes to the system part", e);
	}
	if (load_mode_state(u, &env, err, errlen) < 0)
		return -1;
	e = uc_context_alloc(u->uc, &u->ctx0);
	if (e == UC_ERR_OK)
		e = uc_context_save(u->uc, u->ctx0);
	if (e != UC_ERR_OK)
		return fail(err, errlen, "saving the initial CPU context", e);
	return 0;
}

/* #PF error code under 32-bit paging (SDM Vol. 3A 4.3, 4.7): P from the
 * two-level walk, W/R from the recorded data access, I/D never (no NX in
 * 32-bit paging), U/S 0 (CPL0). */
static uint32_t pf_error_code32(const struct uc_ctx *u, uint64_t cr2, uint64_t cr3)
{
	uint32_t pde = 0, pte = 0;
	uint64_t pd = cr3 & 0xfffff000u;
	uint64_t a = pd + 4 * ((cr2 >> 22) & 0x3ff);
	if (a + 4 <= LAYOUT_RAM_SIZE)
		memcpy(&pde, u->ram + a, 4);
	int present = pde & PTE_P;
	if (present && !(pde & PTE_PS)) {
		a = (pde & 0xfffff000u) + 4 * ((cr2 >> 12) & 0x3ff);
		if (a + 4 <= LAYOUT_RAM_SIZE)
			memcpy(&pte, u->ram + a, 4);
		present = pte & PTE_P;
	}
	uint32_t ec = present ? 1u : 0u;
	if (u->acc_valid && u->acc_write && cr2 >= u->acc_addr && cr2 - u->acc_addr < 64)
		ec |= 1u << 1;
	return ec;
}

/* Writes n little-endian bytes of a frame slot at linear (= physical)
 * address la. Without paging a slot outside the writable RAM is what KVM
 * makes of it: an MMIO write exit, above RAM or into the read-only system
 * part, that changes nothing (the reference models the same). */
static void put_le(struct uc_ctx *u, uint64_t la, uint64_t v, unsigned n)
{
	int unpaged = u->mode == MODE_PROT32 || u->mode == MODE_REAL16;
	if (unpaged && (la + n > LAYOUT_RAM_SIZE || la < LAYOUT_RW_BASE)) {
		struct exit_event e = { .kind = EXIT_MMIO, .dir = DIR_OUT, .size = (uint8_t)n,
					.addr = la & 0xffffffffu,
					.data = n < 8 ? v & ((1ull << (8 * n)) - 1) : v };
		outcome_push(u->out, &e);
		return;
	}
	for (unsigned i = 0; i < n; i++)
		if (la + i < LAYOUT_RAM_SIZE)
			u->ram[la + i] = (uint8_t)(v >> (8 * i));
}

void uc_finish_exception_legacy(struct uc_ctx *u)
{
	struct outcome *o = u->out;
	struct end_state *st = &o->state;
	enum cpu_mode m = (enum cpu_mode)u->mode;
	uint32_t v = u->vector;
	uint64_t cs_base = mode_seg_base(m, st->cs);
	uint64_t eip = u->exc_rip & 0xffffffffu, next = 0;
	int trap = uc_soft_int(u, cs_base + eip, v, &next);
	uint64_t pushed_ip = trap ? next - cs_base : eip;
	uint64_t flags = st->rflags;
	uint64_t ss_base = mode_seg_base(m, st->ss);
	if (m == MODE_REAL16) {
		/* FLAGS, CS, IP as words at SS:SP, SP wrapping in the
		 * segment (SDM Vol. 3B 20.1.4). */
		uint16_t sp = (uint16_t)st->gpr[RSP];
		const uint16_t words[3] = { (uint16_t)flags, st->cs, (uint16_t)pushed_ip };
		for (unsigned i = 0; i < 3; i++) {
			sp = (uint16_t)(sp - 2);
			put_le(u, ss_base + sp, words[i], 2);
		}
		st->gpr[RSP] = (st->gpr[RSP] & ~0xffffull) | sp;
		st->cs = REAL_STUB_SEG;
		st->rip = v + 1;
	} else {
		/* A fault pushes EFLAGS with RF set (SDM Vol. 3A 17.3.1.1). */
		if (!trap)
			flags |= RFLAGS_RF;
		uint32_t esp = (uint32_t)st->gpr[RSP];
		esp -= 4;
		put_le(u, (ss_base + esp) & 0xffffffffu, flags & 0xffffffffu, 4);
		esp -= 4;
		put_le(u, (ss_base + esp) & 0xffffffffu, st->cs, 4);
		esp -= 4;
		put_le(u, (ss_base + esp) & 0xffffffffu, pushed_ip, 4);
		if (!trap && VECTOR_HAS_ERROR_CODE(v)) {
			/* Only #PF's error code can be rebuilt; selector
			 * errors are rare in our cases and read as 0. */
			uint32_t ec = v == 14 ? pf_error_code32(u, st->cr2, st->cr3) : 0;
			esp -= 4;
			put_le(u, (ss_base + esp) & 0xffffffffu, ec, 4);
		}
		st->gpr[RSP] = esp;
		st->cs = SEL_CODE32;
		st->rip = LAYOUT_STUBS + v + 1;
	}
	struct exit_event e;
	if (!mode_stub_exception(m, u->ram, st, &e)) {
		e = (struct exit_event){ .kind = EXIT_EXCEPTION, .addr = v, .rip = pushed_ip };
	}
	/* The frame is in the compared stack page, as in KVM. */
	memcpy(o->mem, u->ram + LAYOUT_CMP_BASE, LAYOUT_CMP_SIZE);
	outcome_push(o, &e);
}
