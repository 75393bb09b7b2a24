/* The Unicorn engine in the one guest environment (layout.h): RAM at GPA 0
 * as one host buffer, the MMIO window as a Unicorn MMIO region, and 64-bit
 * long mode with our GDT, IDT, TSS and page tables, CPL0.
 *
 * Unicorn 2.0.1 (measured, and read in its qemu/target/i386/unicorn.c):
 * UC_MODE_64 starts in long mode with paging off and flat 64-bit segment
 * caches; writing EFER (MSR 0xc0000080), CR3, CR4 and then CR0 with PG
 * turns on 4-level paging over our tables. In UC_MODE_64 a write to CS,
 * DS, ES or SS sets only the selector (no descriptor load), and a write to
 * GS crashes the process (a fault longjmps out of uc_reg_write). So the
 * data selectors are loaded by running four MOV Sreg instructions in the
 * guest once, and the whole CPU state is then saved as a uc_context that
 * every case restores: it also undoes whatever a case did to segment
 * caches, MSRs or control registers. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unicorn/x86.h>
#include "uc_internal.h"

#define MSR_EFER           0xc0000080u
#define MSR_FS_BASE        0xc0000100u
#define MSR_GS_BASE        0xc0000101u
#define MSR_KERNEL_GS_BASE 0xc0000102u

static int uc_fail(char *err, size_t errlen, const char *what, uc_err e)
{
	snprintf(err, errlen, "unicorn: %s: %s (uc_err %d)", what, uc_strerror(e), (int)e);
	return -1;
}

static int load_system(struct uc_ctx *u, char *err, size_t errlen);

/* Unicorn 2.0.1's CPU models lack NX and SYSCALL in the features its
 * WRMSR honours: EFER.NXE and EFER.SCE stay 0 whatever is written (measured
 * for qemu64, kvm64, Nehalem, Haswell; EFER reads back 0x500). With NXE=0,
 * bit 63 of a paging entry is reserved (SDM Vol. 3A 4.5.4) and every access
 * to our NX pages would fault with RSVD. So Unicorn gets the layout's page
 * tables without NX bits: everything else about them is identical, and
 * the lost no-execute protection is listed in docs/unicorn.md. */
static void uc_strip_nx(uint8_t *ram)
{
	for (uint32_t a = LAYOUT_PML4; a < LAYOUT_PT_HI + PAGE_SIZE; a += 8) {
		uint64_t pte;
		memcpy(&pte, ram + a, 8);
		pte &= ~PTE_NX;
		memcpy(ram + a, &pte, 8);
	}
}
static int load_data_selectors(struct uc_ctx *u, char *err, size_t errlen);

int uc_ctx_open(struct uc_ctx *u, char *err, size_t errlen)
{
	memset(u, 0, sizeof(*u));
	u->mode = MODE_LONG64;
	u->mmio_base = LAYOUT_MMIO;
	u->ram = aligned_alloc(PAGE_SIZE, LAYOUT_RAM_SIZE);
	u->pristine_sys = malloc(LAYOUT_RW_BASE);
	u->scratch = calloc(1, LAYOUT_RAM_SIZE);
	if (!u->ram || !u->pristine_sys || !u->scratch) {
		snprintf(err, errlen, "unicorn: out of memory for guest RAM");
		return -1;
	}
	memset(u->ram, 0, LAYOUT_RAM_SIZE);
	layout_build(u->ram);
	uc_strip_nx(u->ram);
	memcpy(u->pristine_sys, u->ram, LAYOUT_RW_BASE);

	uc_err e = uc_open(UC_ARCH_X86, UC_MODE_64, &u->uc);
	if (e != UC_ERR_OK)
		return uc_fail(err, errlen, "uc_open", e);
	/* The CPU model stays the default: selecting another one (Haswell,
	 * Nehalem, kvm64) changed nothing measurable in 2.0.1 (POPCNT still
	 * #UD, TZCNT still BSF, EFER.NXE still refused); docs/unicorn.md. */
	/* Unicorn's own protection is all-allow: the guest page tables do
	 * the protecting, as on the KVM side. */
	e = uc_mem_map_ptr(u->uc, 0, LAYOUT_RAM_SIZE, UC_PROT_ALL, u->ram);
	if (e != UC_ERR_OK)
		return uc_fail(err, errlen, "mapping guest RAM", e);
	e = uc_mmio_map(u->uc, LAYOUT_MMIO, LAYOUT_MMIO_SIZE, uc_mmio_read, u,
			uc_mmio_write, u);
	if (e != UC_ERR_OK)
		return uc_fail(err, errlen, "mapping the MMIO window", e);
	if (uc_hooks_install(u, err, errlen) < 0 || load_system(u, err, errlen) < 0 ||
	    load_data_selectors(u, err, errlen) < 0)
		return -1;
	e = uc_context_alloc(u->uc, &u->ctx0);
	if (e == UC_ERR_OK)
		e = uc_context_save(u->uc, u->ctx0);
	if (e != UC_ERR_OK)
		return uc_fail(err, errlen, "saving the initial CPU context", e);
	return 0;
}

void uc_ctx_close(struct uc_ctx *u)
{
	uc_knobs_free(u);
	if (u->ctx0)
		uc_context_free(u->ctx0);

	if (u->uc)
		uc_close(u->uc);
	free(u->ram);
	free(u->pristine_sys);
	free(u->scratch);
	memset(u, 0, sizeof(*u));
}

/* MMIO: QEMU hands a region at most 4 bytes at a time, so an 8-byte
 * access arrives as two halves (measured); KVM reports one access per
 * instruction operand. Adjacent pieces of one instruction in the same
 * direction are merged back into one event of up to 8 bytes. */
static void push_mmio(struct uc_ctx *u, const struct exit_event *e)
{
	struct outcome *o = u->out;
	if (o && o->n_events && u->mmio_step == u->steps) {
		struct exit_event *p = &o->events[o->n_events - 1];
		if (p->kind == EXIT_MMIO && p->dir == e->dir && p->addr + p->size == e->addr &&
		    p->size + e->size <= 8) {
			p->data |= e->data << (8 * p->size);
			p->size = (uint8_t)(p->size + e->size);
			return;
		}
	}
	u->mmio_step = u->steps;
	uc_push(u, e);
}

/* Reads see open bus. */
uint64_t uc_mmio_read(uc_engine *uc, uint64_t offset, unsigned size, void *user)
{
	(void)uc;
	struct uc_ctx *u = user;
	if (size > 8)
		size = 8;
	uint64_t v = 0;
	for (unsigned i = 0; i < size; i++)
		v |= (uint64_t)env_mmio_byte(u->mmio_window_read, u->mmio_base + offset) << (8 * i);
	struct exit_event e = {
		.kind = EXIT_MMIO, .dir = DIR_IN, .size = (uint8_t)size,
		.addr = u->mmio_base + offset, .data = v,
	};
	push_mmio(u, &e);
	return v;
}

void uc_mmio_write(uc_engine *uc, uint64_t offset, unsigned size, uint64_t value, void *user)
{
	(void)uc;
	struct uc_ctx *u = user;
	if (size > 8)
		size = 8;
	if (size < 8)
		value &= (1ull << (8 * size)) - 1;
	struct exit_event e = {
		.kind = EXIT_MMIO, .dir = DIR_OUT, .size = (uint8_t)size,
		.addr = u->mmio_base + offset, .data = value,
	};
	push_mmio(u, &e);
}

static int wr(struct uc_ctx *u, int reg, const void *v, const char *what,
	      char *err, size_t errlen)
{
	uc_err e = uc_reg_write(u->uc, reg, v);
	return e == UC_ERR_OK ? 0 : uc_fail(err, errlen, what, e);
}

static int wr_msr(struct uc_ctx *u, uint32_t msr, uint64_t val, char *err, size_t errlen)
{
	uc_x86_msr m = { .rid = msr, .value = val };
	char what[48];
	snprintf(what, sizeof(what), "writing MSR 0x%x", msr);
	return wr(u, UC_X86_REG_MSR, &m, what, err, errlen);
}

/* Loads DS, ES, FS, GS and SS through the GDT by running MOV Sreg in the
 * guest (see the top of the file), ending at a HLT. */
static int load_data_selectors(struct uc_ctx *u, char *err, size_t errlen)
{
	static const uint8_t boot[] = {
		0x8e, 0xd8, 0x8e, 0xc0, 0x8e, 0xe0, 0x8e, 0xe8, 0x8e, 0xd0, /* mov ds..ss,eax */
		0xf4,                                                       /* hlt */
	};
	uint64_t sel = SEL_DATA, rip = LAYOUT_CODE;
	memset(u->scratch, 0, LAYOUT_RAM_SIZE);
	memcpy(u->scratch + LAYOUT_CODE, boot, sizeof(boot));
	uc_err e = uc_mem_write(u->uc, LAYOUT_CODE, u->scratch + LAYOUT_CODE, PAGE_SIZE);
	if (e != UC_ERR_OK)
		return uc_fail(err, errlen, "writing the selector loader", e);
	if (wr(u, UC_X86_REG_RAX, &sel, "RAX", err, errlen) ||
	    wr(u, UC_X86_REG_RIP, &rip, "RIP", err, errlen))
		return -1;
	e = uc_emu_start(u->uc, LAYOUT_CODE, LAYOUT_CODE + sizeof(boot) - 1, 0, 0);
	if (e != UC_ERR_OK)
		return uc_fail(err, errlen, "running the selector loader", e);
	uint16_t gs = 0;
	uc_reg_read(u->uc, UC_X86_REG_GS, &gs);
	if (gs != SEL_DATA) {
		snprintf(err, errlen, "unicorn: selector loader left GS=0x%x (stop %d, vector %u)",
			 gs, (int)u->stop, u->vector);
		return -1;
	}
	return 0;
}

/* System state, in the order Unicorn needs it: tables, then EFER and the
 * control registers (CR0.PG last: with LME set it makes LMA, SDM Vol. 3A
 * 10.8.5), then the selectors, loaded through the GDT. */
static int load_system(struct uc_ctx *u, char *err, size_t errlen)
{
	uc_x86_mmr gdtr = { .base = LAYOUT_GDT, .limit = LAYOUT_GDT_ENTRIES * 8 - 1 };
	uc_x86_mmr idtr = { .base = LAYOUT_IDT, .limit = 0xfff };
	/* 64-bit busy TSS (SDM Vol. 3A 8.2.2); flags in the descriptor's
	 * high-dword layout QEMU keeps: type in 8..11, P at 15. */
	uc_x86_mmr tr = { .selector = SEL_TSS, .base = LAYOUT_TSS, .limit = 0x67,
			  .flags = (0xbu << 8) | (1u << 15) };
	uint64_t cr0 = LM_CR0, cr3 = LM_CR3, cr4 = LM_CR4, zero = 0;
	uint16_t code = SEL_CODE64;
	if (wr(u, UC_X86_REG_GDTR, &gdtr, "GDTR", err, errlen) ||
	    wr(u, UC_X86_REG_IDTR, &idtr, "IDTR", err, errlen) ||
	    wr_msr(u, MSR_EFER, LM_EFER, err, errlen) ||
	    wr(u, UC_X86_REG_CR3, &cr3, "CR3", err, errlen) ||
	    wr(u, UC_X86_REG_CR4, &cr4, "CR4", err, errlen) ||
	    wr(u, UC_X86_REG_CR0, &cr0, "CR0", err, errlen) ||
	    wr(u, UC_X86_REG_CR2, &zero, "CR2", err, errlen) ||
	    wr(u, UC_X86_REG_CR8, &zero, "CR8", err, errlen) ||
	    wr(u, UC_X86_REG_TR, &tr, "TR", err, errlen) ||
	    wr(u, UC_X86_REG_CS, &code, "CS", err, errlen) ||
	    wr_msr(u, MSR_FS_BASE, 0, err, errlen) ||
	    wr_msr(u, MSR_GS_BASE, 0, err, errlen) ||
	    wr_msr(u, MSR_KERNEL_GS_BASE, 0, err, errlen))
		return -1;
	return 0;
}

static const int gpr_reg[GPR_COUNT] = {
	[RAX] = UC_X86_REG_RAX, [RCX] = UC_X86_REG_RCX, [RDX] = UC_X86_REG_RDX,
	[RBX] = UC_X86_REG_RBX, [RSP] = UC_X86_REG_RSP, [RBP] = UC_X86_REG_RBP,
	[RSI] = UC_X86_REG_RSI, [RDI] = UC_X86_REG_RDI, [R8] = UC_X86_REG_R8,
	[R9] = UC_X86_REG_R9, [R10] = UC_X86_REG_R10, [R11] = UC_X86_REG_R11,
	[R12] = UC_X86_REG_R12, [R13] = UC_X86_REG_R13, [R14] = UC_X86_REG_R14,
	[R15] = UC_X86_REG_R15,
};

/* Outside 64-bit mode Unicorn knows only the 32-bit names (a read of RAX
 * gives nothing in UC_MODE_32/16, measured) and no R8..R15 (0 here). */
static const int gpr_reg32[GPR_COUNT] = {
	[RAX] = UC_X86_REG_EAX, [RCX] = UC_X86_REG_ECX, [RDX] = UC_X86_REG_EDX,
	[RBX] = UC_X86_REG_EBX, [RSP] = UC_X86_REG_ESP, [RBP] = UC_X86_REG_EBP,
	[RSI] = UC_X86_REG_ESI, [RDI] = UC_X86_REG_EDI,
};

int uc_gpr_reg(const struct uc_ctx *u, unsigned i)
{
	return u->mode == MODE_LONG64 ? gpr_reg[i] : gpr_reg32[i];
}

int uc_ip_reg(const struct uc_ctx *u)
{
	return u->mode == MODE_LONG64 ? UC_X86_REG_RIP : UC_X86_REG_EIP;
}

int uc_flags_reg(const struct uc_ctx *u)
{
	return u->mode == MODE_LONG64 ? UC_X86_REG_RFLAGS : UC_X86_REG_EFLAGS;
}

int uc_load_case(struct uc_ctx *u, const struct test_case *c, char *err, size_t errlen)
{
	/* Guest RAM is written through uc_mem_write (QEMU's memory API).
	 * That alone does not drop the blocks translated from the previous
	 * case's code (Unicorn 2.0.1, measured: the old code ran again). A
	 * full flush (UC_CTL_TB_FLUSH) costs 106 ms (measured), so only the
	 * writable pages' blocks are dropped, with uc_ctl_remove_cache. It
	 * translates its start address through the guest page tables outside
	 * the CPU loop, where a fault longjmps into nothing (measured: a
	 * crash), so it runs after the context restore, with LAYOUT_CODE
	 * mapped; the range is then physical, covering every RW page. */
	uc_err e;
	if (memcmp(u->ram, u->pristine_sys, LAYOUT_RW_BASE) != 0 &&
	    (e = uc_mem_write(u->uc, 0, u->pristine_sys, LAYOUT_RW_BASE)) != UC_ERR_OK)
		return uc_fail(err, errlen, "restoring the system pages", e);
	layout_reset_rw(u->scratch, c->code, c->code_len, c->data, c->data_len);
	e = uc_mem_write(u->uc, LAYOUT_RW_BASE, u->scratch + LAYOUT_RW_BASE,
			 LAYOUT_RAM_SIZE - LAYOUT_RW_BASE);
	if (e != UC_ERR_OK)
		return uc_fail(err, errlen, "writing the case pages", e);
	u->knobs = c->knobs;
	if ((e = uc_context_restore(u->uc, u->start_ctx ? u->start_ctx : u->ctx0)) != UC_ERR_OK)
		return uc_fail(err, errlen, "restoring the initial CPU context", e);
	e = uc_ctl_remove_cache(u->uc, (uint64_t)LAYOUT_RW_BASE, (uint64_t)LAYOUT_RAM_SIZE);
	if (e != UC_ERR_OK)
		return uc_fail(err, errlen, "dropping translated code", e);
	/* Outside long mode the upper halves mean nothing (mode.h): the
	 * case cannot set them, so neither does this. */
	uint64_t m = mode_reg_mask((enum cpu_mode)c->mode);
	for (unsigned i = 0; i < GPR_COUNT; i++) {
		uint64_t v = c->gpr[i] & m;
		int reg = uc_gpr_reg(u, i);
		if (reg != UC_X86_REG_INVALID && wr(u, reg, &v, gpr_name(i), err, errlen))
			return -1;
	}
	struct mode_env env;
	mode_env_init(&env, (enum cpu_mode)c->mode, c->knobs);
	uint64_t rip = env.rip;
	uint64_t rflags = (c->rflags & RFLAGS_CASE_SETTABLE) | RFLAGS_FIXED1;
	if (wr(u, uc_ip_reg(u), &rip, "RIP", err, errlen) ||
	    wr(u, uc_flags_reg(u), &rflags, "RFLAGS", err, errlen))
		return -1;
	u->out = NULL;
	u->stop = UC_STOP_NONE;
	u->steps = 0;
	u->captured = 0;
	u->acc_valid = 0;
	u->ro_pending = 0;
	u->unsupported[0] = 0;
	return 0;
}
