/* Unicorn callbacks -> exit events, normalised like the KVM harness
 * (harness/kvm_run.c, docs/harness.md "Exit normalisation"): one IO event
 * per port access (string and REP forms: per element, since QEMU runs
 * each element through the same port helper), device reads answered with
 * the layout.h open-bus bytes, a HLT ends the case.
 *
 * Unicorn does not deliver exceptions through the IDT: a UC_HOOK_INTR
 * callback sees the vector instead, before anything is pushed, and Unicorn
 * would then resume at the next instruction. The hook stops the engine and
 * uc_state.c builds the event the harness would have read from the IST
 * frame. */
#include <stdio.h>
#include <string.h>
#include <unicorn/x86.h>
#include "knobs.h"
#include "uc_internal.h"

int uc_push(struct uc_ctx *u, const struct exit_event *e)
{
	if (!u->out || u->stop != UC_STOP_NONE)
		return 0;
	if (outcome_push(u->out, e))
		return 1;
	u->stop = UC_STOP_TRACE_FULL;
	uc_emu_stop(u->uc);
	return 0;
}

void uc_snapshot(struct uc_ctx *u)
{
	if (!u->out || u->captured)
		return;
	uc_capture(u, &u->out->state);
	memcpy(u->out->mem, u->ram + LAYOUT_CMP_BASE, LAYOUT_CMP_SIZE);
	u->captured = 1;
}

static void stop(struct uc_ctx *u, enum uc_stop why)
{
	if (u->stop == UC_STOP_NONE)
		u->stop = why;
	uc_emu_stop(u->uc);
}

/* IN/OUT above IOPL with no I/O bitmap in the TSS (limit 0x67) are #GP(0)
 * (SDM Vol. 1 19.5.2); Unicorn calls the port hooks without that check, so
 * it is made here: the access is not recorded and the case ends with the
 * fault at the instruction. */
static int io_denied(struct uc_ctx *u)
{
	uint16_t cs = 0;
	uint64_t fl = 0;
	uc_reg_read(u->uc, UC_X86_REG_CS, &cs);
	uc_reg_read(u->uc, uc_flags_reg(u), &fl);
	if ((cs & 3) <= ((fl >> 12) & 3) || u->stop != UC_STOP_NONE)
		return 0;
	u->vector = 13;
	u->exc_rip = u->insn_addr;
	uc_snapshot(u);
	stop(u, UC_STOP_EXCEPTION);
	return 1;
}

static uint32_t on_in(uc_engine *uc, uint32_t port, int size, void *user)
{
	(void)uc;
	struct uc_ctx *u = user;
	if (io_denied(u))
		return 0;
	unsigned n = size > 0 && size <= 4 ? (unsigned)size : 1;
	uint32_t v = 0;
	for (unsigned i = 0; i < n; i++)
		v |= (uint32_t)ENV_IO_READ_BYTE << (8 * i);
	struct exit_event e = {
		.kind = EXIT_IO, .dir = DIR_IN, .size = (uint8_t)n,
		.addr = port & 0xffff, .data = v,
	};
	uc_push(u, &e);
	return v;
}

static void on_out(uc_engine *uc, uint32_t port, int size, uint32_t value, void *user)
{
	(void)uc;
	struct uc_ctx *u = user;
	if (io_denied(u))
		return;
	unsigned n = size > 0 && size <= 4 ? (unsigned)size : 1;
	if (n < 4)
		value &= (1u << (8 * n)) - 1;
	struct exit_event e = {
		.kind = EXIT_IO, .dir = DIR_OUT, .size = (uint8_t)n,
		.addr = port & 0xffff, .data = value,
	};
	uc_push(u, &e);
}

static int is_legacy_prefix(uint8_t b)
{
	return b == 0x66 || b == 0x67 || b == 0xf0 || b == 0xf2 || b == 0xf3 ||
	       b == 0x2e || b == 0x36 || b == 0x3e || b == 0x26 || b == 0x64 ||
	       b == 0x65 || (b >= 0x40 && b <= 0x4f);
}

/* 1 when the instruction at addr (size bytes) has a REP/REPNE prefix. */
static int has_rep(const struct uc_ctx *u, uint64_t addr, uint32_t size)
{
	if (size == 0 || size > 15 || addr + size > LAYOUT_RAM_SIZE)
		return 0;
	for (uint32_t i = 0; i < size && is_legacy_prefix(u->ram[addr + i]); i++)
		if (u->ram[addr + i] == 0xf2 || u->ram[addr + i] == 0xf3)
			return 1;
	return 0;
}

/* LOOPE/LOOPNE (E1/E0) behind an F2/F3 prefix: AMD's CPUs let the prefix
 * pick the condition (emulator-ref/ref_vendor.c, measured natively), QEMU
 * ignores it as Intel's do. Unicorn cannot judge it on every host. */
static int rep_loopcc(const struct uc_ctx *u, uint64_t addr, uint32_t size)
{
	if (!has_rep(u, addr, size))
		return 0;
	uint32_t i = 0;
	while (i < size && is_legacy_prefix(u->ram[addr + i]))
		i++;
	return i < size && (u->ram[addr + i] == 0xe0 || u->ram[addr + i] == 0xe1);
}

/* WRMSR: QEMU stores what it is given where the CPU checks the value
 * (IA32_PAT's reserved memory types, a non-canonical address: #GP(0), SDM
 * Vol. 4), so a case where KVM accepts such a value found Unicorn on KVM's
 * side. Unicorn cannot judge it. */
static int is_wrmsr(const struct uc_ctx *u, uint64_t addr, uint32_t size)
{
	uint32_t i = 0;
	while (i < size && is_legacy_prefix(u->ram[addr + i]))
		i++;
	return i + 1 < size && u->ram[addr + i] == 0x0f && u->ram[addr + i + 1] == 0x30;
}

/* Every instruction: the step budget, the HLT check, and the start of a
 * new instruction for the #PF access tracking. Unicorn's HLT would stop
 * the engine with nothing to tell it from other stops, so it is caught
 * here, before it runs. */
static void on_code(uc_engine *uc, uint64_t addr, uint32_t size, void *user)
{
	(void)uc;
	struct uc_ctx *u = user;
	/* QEMU runs a REP string instruction one iteration per pass through
	 * this hook, at the same address. A bounded run (uc_step, for
	 * --lockstep) counts instructions as the reference does: the REP
	 * once. The plain budget keeps counting passes, so that a huge RCX
	 * still ends in TIMEOUT quickly. */
	int rep_again = u->step_limit && u->steps && addr == u->insn_addr &&
			has_rep(u, addr, size);
	u->insn_addr = addr;
	u->insn_size = size;
	u->acc_valid = 0;
	if (u->ro_pending)
		uc_ro_restore(u);
	if (rep_again)
		return;
	if (u->steps++ >= (u->step_limit ? u->step_limit : REF_STEP_BUDGET)) {
		/* The state after the last instruction allowed is the state
		 * now, before this one runs; after uc_emu_stop Unicorn may
		 * still run on into faults (CR2 measured as garbage there),
		 * so it is taken here. */
		u->steps--;
		uc_snapshot(u);
		/* RIP read inside a code hook is the linear address in
		 * UC_MODE_16 (measured: 0x10001 for IP 1): take it from the
		 * hook's address, relative to CS. */
		if (u->out && !u->stop)
			u->out->state.rip = (addr - uc_cs_base(u)) &
					    mode_reg_mask((enum cpu_mode)u->mode);
		stop(u, UC_STOP_BUDGET);
		return;
	}
	if (size == 0 || size > 15 || addr + size > LAYOUT_RAM_SIZE)
		return;
	const char *unjudged = rep_loopcc(u, addr, size) ? "rep-loopcc" :
			       is_wrmsr(u, addr, size) ? "wrmsr" : NULL;
	if (unjudged) {
		strcpy(u->unsupported, unjudged);
		uc_snapshot(u);
		stop(u, UC_STOP_UNSUPPORTED);
		return;
	}
	const uint8_t *p = u->ram + addr;
	if (p[size - 1] != 0xf4)
		return;
	/* LOCK HLT is #UD (SDM Vol. 2A LOCK): QEMU raises it itself. */
	for (uint32_t i = 0; i + 1 < size; i++)
		if (!is_legacy_prefix(p[i]) || p[i] == 0xf0)
			return;
	uint64_t next = addr + size;
	uint16_t cs = 0;
	uc_reg_read(uc, UC_X86_REG_CS, &cs);
	if (cs & 3)
		return; /* HLT above CPL0 is #GP(0): QEMU raises it itself */
	if (addr >= LAYOUT_STUBS && addr < LAYOUT_STUBS + 256) {
		/* Only reachable if Unicorn ever delivers through the IDT:
		 * the harness rule (HLT at a stub is that vector). */
		u->vector = (uint32_t)(addr - LAYOUT_STUBS);
		u->exc_rip = addr;
		stop(u, UC_STOP_EXCEPTION);
		return;
	}
	/* Taken before the HLT runs; the run loop then reports RIP after
	 * it, as KVM does. The hook sees linear addresses; RIP is relative
	 * to CS (real mode: base 0x10000). */
	next -= uc_cs_base(u);
	struct exit_event e = { .kind = EXIT_HLT, .rip = next };
	if (uc_push(u, &e)) {
		uc_snapshot(u);
		u->out->state.rip = next;
		stop(u, UC_STOP_HLT);
	}
}

static int has_rep(const struct uc_ctx *u, uint64_t addr, uint32_t size);

/* A REP string instruction storing into its own bytes: QEMU runs each
 * element as a new pass over the instruction, so it decodes the new bytes
 * at once, where the CPU completes the REP or stops it after a number of
 * elements it does not promise (emulator-ref/ref_string.c, measured
 * natively). Unicorn cannot judge it. */
static int rep_stores_into_itself(const struct uc_ctx *u, uint64_t addr, int size)
{
	return size > 0 && addr < u->insn_addr + u->insn_size && addr + (uint64_t)size > u->insn_addr &&
	       has_rep(u, u->insn_addr, u->insn_size);
}

static void on_mem(uc_engine *uc, uc_mem_type type, uint64_t addr, int size,
		   int64_t value, void *user)
{
	(void)uc;
	(void)value;
	struct uc_ctx *u = user;
	u->acc_valid = 1;
	u->acc_write = type == UC_MEM_WRITE;
	u->acc_addr = addr;
	if (u->acc_write && u->stop == UC_STOP_NONE && rep_stores_into_itself(u, addr, size)) {
		strcpy(u->unsupported, "smc-rep");
		uc_snapshot(u);
		stop(u, UC_STOP_UNSUPPORTED);
	}
}

static void on_intr(uc_engine *uc, uint32_t intno, void *user)
{
	struct uc_ctx *u = user;
	if (u->stop != UC_STOP_NONE)
		return;
	u->vector = intno;
	u->exc_rip = 0;
	uc_reg_read(uc, uc_ip_reg(u), &u->exc_rip);
	/* Unicorn does not stop at once: it moves RIP on and may run into
	 * further faults before it sees the stop (measured: CR2 read as
	 * 0xfffffffffffffffe afterwards). So the end state is taken here. */
	uc_snapshot(u);
	stop(u, UC_STOP_EXCEPTION);
}

/* QEMU's #UD reaches the intr hook; this one catches what Unicorn itself
 * refuses to decode, and makes it the same #UD. */
static bool on_invalid(uc_engine *uc, void *user)
{
	struct uc_ctx *u = user;
	if (u->stop == UC_STOP_NONE) {
		u->vector = 6;
		u->exc_rip = 0;
	uc_reg_read(uc, uc_ip_reg(u), &u->exc_rip);
		uc_snapshot(u);
		stop(u, UC_STOP_EXCEPTION);
	}
	return true;
}

/* Unicorn hands SYSCALL and SYSENTER to a hook and then just goes on (it
 * never does the control transfer), so they are UNSUPPORTED here. */
static void on_syscall(uc_engine *uc, void *user)
{
	(void)uc;
	struct uc_ctx *u = user;
	/* With EFER.SCE clear (knob no-sce) SYSCALL is #UD (SDM Vol. 2B
	 * SYSCALL), a fault at the instruction: that much needs no model of
	 * the transfer Unicorn skips. */
	if ((u->knobs & KNOB_NO_SCE) && u->stop == UC_STOP_NONE) {
		u->vector = 6;
		u->exc_rip = u->insn_addr;
		uc_snapshot(u);
		stop(u, UC_STOP_EXCEPTION);
		return;
	}
	strcpy(u->unsupported, "syscall");
	uc_snapshot(u);
	stop(u, UC_STOP_UNSUPPORTED);
}

static void on_sysenter(uc_engine *uc, void *user)
{
	(void)uc;
	struct uc_ctx *u = user;
	strcpy(u->unsupported, "sysenter");
	uc_snapshot(u);
	stop(u, UC_STOP_UNSUPPORTED);
}

/* CPUID: Unicorn's own model ("qemu64") is not what the KVM guest reads;
 * answer from the calibrated table like the reference does, and without
 * a table say UNSUPPORTED like the reference does. The registers by the
 * mode's names: outside 64-bit mode Unicorn ignores a write to RAX (CPUID
 * left EAX as it was in real16 and prot32, a false "neither"). */
static int on_cpuid(uc_engine *uc, void *user)
{
	struct uc_ctx *u = user;
	uint64_t rax = 0, rcx = 0;
	uc_reg_read(uc, uc_gpr_reg(u, RAX), &rax);
	uc_reg_read(uc, uc_gpr_reg(u, RCX), &rcx);
	const struct cpuid_entry *ce = u->cpuid ?
		cpuid_lookup(u->cpuid, (uint32_t)rax, (uint32_t)rcx) : NULL;
	if (!u->cpuid) {
		strcpy(u->unsupported, "cpuid");
		uc_snapshot(u);
		stop(u, UC_STOP_UNSUPPORTED);
		return 1;
	}
	uint64_t a = ce ? ce->eax : 0, b = ce ? ce->ebx : 0, c = ce ? ce->ecx : 0,
		 d = ce ? ce->edx : 0;
	uc_reg_write(uc, uc_gpr_reg(u, RAX), &a);
	uc_reg_write(uc, uc_gpr_reg(u, RBX), &b);
	uc_reg_write(uc, uc_gpr_reg(u, RCX), &c);
	uc_reg_write(uc, uc_gpr_reg(u, RDX), &d);
	return 1;
}

int uc_hooks_install(struct uc_ctx *u, char *err, size_t errlen)
{
	static const struct { int type, insn; void *cb; const char *what; } hooks[] = {
		{ UC_HOOK_INSN, UC_X86_INS_IN, (void *)on_in, "IN" },
		{ UC_HOOK_INSN, UC_X86_INS_OUT, (void *)on_out, "OUT" },
		{ UC_HOOK_INSN, UC_X86_INS_SYSCALL, (void *)on_syscall, "SYSCALL" },
		{ UC_HOOK_INSN, UC_X86_INS_SYSENTER, (void *)on_sysenter, "SYSENTER" },
		{ UC_HOOK_INSN, UC_X86_INS_CPUID, (void *)on_cpuid, "CPUID" },
		{ UC_HOOK_CODE, 0, (void *)on_code, "code" },
		{ UC_HOOK_MEM_READ | UC_HOOK_MEM_WRITE, 0, (void *)on_mem, "memory" },
		{ UC_HOOK_INTR, 0, (void *)on_intr, "interrupt" },
		{ UC_HOOK_INSN_INVALID, 0, (void *)on_invalid, "invalid instruction" },
	};
	for (size_t i = 0; i < sizeof(hooks) / sizeof(hooks[0]); i++) {
		uc_hook h;
		uc_err e;
		if (hooks[i].type == UC_HOOK_INSN)
			e = uc_hook_add(u->uc, &h, hooks[i].type, hooks[i].cb, u, 1, 0,
					hooks[i].insn);
		else
			e = uc_hook_add(u->uc, &h, hooks[i].type, hooks[i].cb, u, 1, 0);
		if (e != UC_ERR_OK) {
			snprintf(err, errlen, "unicorn: adding the %s hook: %s", hooks[i].what,
				 uc_strerror(e));
			return -1;
		}
	}
	return 0;
}
