/* The reference executor: Capstone decode, the semantics table, and the
 * run loop that turns one case into an outcome.
 *
 * Per case: reset the writable RAM, set the initial state exactly as the
 * KVM executor does, then fetch (through the page walk), decode, dispatch
 * on the Capstone id until a handler stops the case. No allocation and no
 * formatting on the hot path: one preallocated cs_insn is reused. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ref_internal.h"
#include "ref_vendor.h"
#include "ref_ext_priv.h"
#include "insn_state.h"
#include "ref_decode_cache.h"

struct ref_priv {
	struct dec dec;      /* its insn: scratch for the decode being tried */
	struct ref_dcache dcache;
	const struct cpuid_table *rsvd_for; /* table pte_rsvd, vendor came from */
	uint64_t pte_rsvd;
	uint8_t vendor;       /* ref_vendor_pick for that table */
	struct ref_ram_track track; /* what of ram the last case changed */
	/* The outcome the last run filled and its outcome.mem_stamp. */
	const struct outcome *last_out;
	uint64_t last_stamp;
	struct exec_rerun stepping; /* where a lockstep run is (ref_step) */
	uint8_t ram[LAYOUT_RAM_SIZE];
};

/* Instructions the LOCK prefix may precede, when their destination is
 * memory; any other use is #UD (SDM Vol. 2A LOCK). */
static const uint8_t lockable[X86_INS_ENDING] = {
	[X86_INS_ADD] = 1, [X86_INS_ADC] = 1, [X86_INS_AND] = 1,
	[X86_INS_BTC] = 1, [X86_INS_BTR] = 1, [X86_INS_BTS] = 1,
	[X86_INS_CMPXCHG] = 1, [X86_INS_CMPXCHG8B] = 1,
	[X86_INS_CMPXCHG16B] = 1, [X86_INS_DEC] = 1, [X86_INS_INC] = 1,
	[X86_INS_NEG] = 1, [X86_INS_NOT] = 1, [X86_INS_OR] = 1,
	[X86_INS_SBB] = 1, [X86_INS_SUB] = 1, [X86_INS_XOR] = 1,
	[X86_INS_XADD] = 1, [X86_INS_XCHG] = 1,
};

void ref_cpu_reset(struct ref_cpu *cpu, const struct test_case *c,
		   uint8_t *ram, struct outcome *out)
{
	memset(cpu, 0, sizeof(*cpu));
	memcpy(cpu->gpr, c->gpr, sizeof(cpu->gpr));
	/* Consecutive cases mostly share mode and knobs: keep the last
	 * environment (a tenth of a one-HLT case otherwise). */
	static __thread struct mode_env env;
	static __thread int env_key = -1;
	int key = (int)(c->knobs << MODE_KEY_BITS | c->mode);
	if (key != env_key) {
		mode_env_init(&env, (enum cpu_mode)c->mode, c->knobs);
		env_key = key;
	}
	cpu->mode = c->mode;
	cpu->knobs = c->knobs;
	cpu->cpl = env.cpl;
	cpu->code_bits = env.code_bits;
	cpu->rip = cpu->next_rip = env.rip;
	cpu->rflags = c->rflags | env.rflags;
	cpu->cr0 = env.cr0;
	cpu->cr3 = env.cr3;
	cpu->cr4 = env.cr4;
	cpu->efer = env.efer;
	cpu->xcr0 = env.xcr0;
	memcpy(cpu->seg, env.seg, sizeof(cpu->seg));
	cpu->tr = env.tr;
	cpu->ldtr = env.ldtr;
	cpu->gdtr_base = env.gdt_base;
	cpu->gdtr_limit = env.gdt_limit;
	cpu->idtr_base = env.idt_base;
	cpu->idtr_limit = env.idt_limit;
	cpu->ram = ram;
	cpu->out = out;
	cpu->delivering = -1;
	cpu->intr_vector = -1;
	for (unsigned i = 0; i < CASE_EVENTS_MAX; i++)
		if (c->event[i].kind == CASE_EVENT_INTR && case_event_at_start(&c->event[i]))
			cpu->intr_vector = c->event[i].vector;
}

/* Bits 51:MAXPHYADDR of paging entries are reserved (SDM Vol. 3A 4.5).
 * MAXPHYADDR is what the guest's CPUID 0x80000008 says; without a table
 * nothing above bit 51 is treated as reserved. */
static uint64_t pte_rsvd_from(const struct cpuid_table *t)
{
	const struct cpuid_entry *e = cpuid_lookup(t, 0x80000008u, 0);
	unsigned m = e ? (e->eax & 0xff) : 52;
	if (m < 32 || m > 52)
		m = 52;
	return ((1ull << 52) - 1) & ~((1ull << m) - 1);
}

static int ref_init(struct executor *ex, char *err, size_t errlen)
{
	struct ref_priv *p = calloc(1, sizeof(*p));
	if (!p) {
		snprintf(err, errlen, "ref: out of memory (%zu bytes) at %s:%d",
			 sizeof(*p), __FILE__, __LINE__);
		return -1;
	}
	if (dec_open(&p->dec, err, errlen) < 0) {
		free(p);
		return -1;
	}
	layout_build(p->ram);
	ref_ram_track_init(&p->track);
	p->pte_rsvd = pte_rsvd_from(NULL);
	ref_table_build();
	ex->priv = p;
	return 0;
}

struct ref_dcache *ref_decode_cache(struct executor *ex)
{
	struct ref_priv *p = ex->priv;
	return p ? &p->dcache : NULL;
}

static void ref_fini(struct executor *ex)
{
	struct ref_priv *p = ex->priv;
	if (!p)
		return;
	ref_dcache_free(&p->dcache);
	dec_close(&p->dec);
	free(p);
	ex->priv = NULL;
}

static int is_sreg(x86_reg r)
{
	return r == X86_REG_ES || r == X86_REG_CS || r == X86_REG_SS ||
	       r == X86_REG_DS || r == X86_REG_FS || r == X86_REG_GS;
}

static int is_crdr(x86_reg r)
{
	return (r >= X86_REG_CR0 && r <= X86_REG_CR15) ||
	       (r >= X86_REG_DR0 && r <= X86_REG_DR15);
}

/* GPR register operands are modeled everywhere; segment registers only
 * by MOV, PUSH and POP (ref_ctl.c loads them through ref_seg_load); a
 * control, debug or vector register makes the form UNSUPPORTED (MOV
 * to/from CRn shares X86_INS_MOV with the plain move: the run loop hands
 * those to ref_sys_mov_crdr). */
static int operands_modeled(unsigned id, const cs_x86 *x)
{
	int sreg_ok = id == X86_INS_MOV || id == X86_INS_PUSH || id == X86_INS_POP;
	for (unsigned i = 0; i < x->op_count; i++) {
		x86_reg r = x->operands[i].reg;
		/* XMM0-15 are state too (ref_sse.c); MMX registers are not. */
		if (x->operands[i].type == X86_OP_REG && ref_reg_gpr(r) < 0 &&
		    !(sreg_ok && is_sreg(r)) && !(r >= X86_REG_XMM0 && r <= X86_REG_XMM15))
			return 0;
	}
	return 1;
}

/* The #DB trap after an instruction: single-step and/or the data
 * breakpoints it hit (DR6 BS, B0-B3); clears both. */
static enum ref_status dbg_trap(struct ref_cpu *cpu)
{
	cpu->dr[6] = (cpu->dr[6] & ~0xfull) | cpu->db_hits | (cpu->single_step ? 1ull << 14 : 0);
	cpu->db_hits = 0;
	cpu->single_step = 0;
	return ref_raise_single_step(cpu);
}

/* MOV SS, r/m16 and POP SS: the instructions that hold back a debug
 * trap to the next instruction boundary. */
static int loads_ss(const cs_insn *insn)
{
	const cs_x86 *x = &insn->detail->x86;
	if (insn->id == X86_INS_POP)
		return x->op_count == 1 && x->operands[0].type == X86_OP_REG &&
		       x->operands[0].reg == X86_REG_SS;
	return insn->id == X86_INS_MOV && x->op_count == 2 &&
	       x->operands[0].type == X86_OP_REG && x->operands[0].reg == X86_REG_SS;
}

static int has_crdr(const cs_x86 *x)
{
	for (unsigned i = 0; i < x->op_count; i++)
		if (x->operands[i].type == X86_OP_REG && is_crdr(x->operands[i].reg))
			return 1;
	return 0;
}

/* Privilege checks the run loop makes before dispatch (SDM Vol. 3A 5.9
 * and Vol. 1 18.2.1): HLT needs CPL0; CLI, STI and the I/O instructions
 * need CPL <= IOPL, and our TSS has no I/O permission bitmap, so a failed
 * IOPL check is #GP(0) for I/O as well. */
static int privilege_fault(const struct ref_cpu *cpu, unsigned id)
{
	static const uint8_t iopl_ops[X86_INS_ENDING] = {
		[X86_INS_CLI] = 1, [X86_INS_STI] = 1, [X86_INS_IN] = 1, [X86_INS_OUT] = 1,
		[X86_INS_INSB] = 1, [X86_INS_INSW] = 1, [X86_INS_INSD] = 1,
		[X86_INS_OUTSB] = 1, [X86_INS_OUTSW] = 1, [X86_INS_OUTSD] = 1,
	};
	if (cpu->cpl == 0)
		return 0;
	if (id == X86_INS_HLT)
		return 1;
	return iopl_ops[id] && cpu->cpl > ((cpu->rflags >> 12) & 3);
}

/* A fetch stopped at la before a whole instruction was available. */
static void fetch_fault(struct ref_cpu *cpu, uint64_t la, struct outcome *out)
{
	uint64_t gpa;
	uint32_t pfec;
	if (cpu->code_bits != 64)
		la &= 0xffffffffu;
	if (cpu->code_bits == 64 && !ref_canonical(la)) {
		ref_raise(cpu, 13, 1, 0);
	} else if (ref_translate(cpu, la, REF_ACC_FETCH, &gpa, &pfec) < 0) {
		ref_raise_pf(cpu, la, pfec);
	} else {
		/* Mapped but not RAM: executing from the MMIO window. KVM
		 * cannot fetch there (no memslot); what it reports is not
		 * modeled, so this never counts as a divergence. */
		ref_terminal(cpu, EXIT_UNSUPPORTED, 0, cpu->rip);
		snprintf(out->mnemonic, sizeof(out->mnemonic), "fetch-mmio");
	}
}

static void copy_mnemonic(struct outcome *out, const char *m)
{
	size_t n = strnlen(m, sizeof(out->mnemonic) - 1);
	memcpy(out->mnemonic, m, n);
	memset(out->mnemonic + n, 0, sizeof(out->mnemonic) - n);
}

/* One-byte opcodes that are invalid in 64-bit mode (the "i64" entries of
 * SDM Vol. 2D, Appendix A.3, table A-2, plus D6 which is undefined), after
 * any legacy and REX prefixes: bytes Capstone cannot decode starting with
 * one of these are #UD on the CPU. Anything else Capstone fails on ends
 * the case unsupported instead. */
static int invalid_opcode(unsigned bits, const uint8_t *b, unsigned n)
{
	static const uint8_t i64[] = {
		0x06, 0x07, 0x0e, 0x16, 0x17, 0x1e, 0x1f, 0x27, 0x2f, 0x37, 0x3f,
		0x60, 0x61, 0x82, 0x9a, 0xce, 0xd4, 0xd5, 0xd6, 0xea,
	};
	unsigned i = 0;
	while (i < n && (dec_is_legacy_prefix(b[i]) || (bits == 64 && (b[i] & 0xf0) == 0x40)))
		i++;
	/* The i64 entries are valid outside 64-bit mode (Capstone decodes
	 * them there); the unassigned group encodings are #UD in every mode. */
	for (unsigned k = 0; bits == 64 && i < n && k < sizeof(i64); k++)
		if (b[i] == i64[k])
			return 1;
	/* Opcode groups whose ModRM.reg values are unassigned (table A-6):
	 * bit r of the mask set = /r is #UD. */
	static const struct { uint8_t op; uint8_t bad_reg; } groups[] = {
		{ 0xfe, 0xfc }, /* group 4: only INC, DEC */
		{ 0xff, 0x80 }, /* group 5: /7 */
		{ 0x8f, 0xfe }, /* group 1A: only POP */
		{ 0xc6, 0x7e }, /* group 11: MOV, XABORT (/7 with C6 F8) */
		{ 0xc7, 0x7e }, /* group 11: MOV, XBEGIN (/7 with C7 F8) */
	};
	for (unsigned k = 0; i + 1 < n && k < sizeof(groups) / sizeof(groups[0]); k++)
		if (b[i] == groups[k].op && (groups[k].bad_reg >> ((b[i + 1] >> 3) & 7) & 1))
			return 1;
	if (i + 1 >= n)
		return 0;
	/* Group 11 /7 is only XABORT (C6 F8) and XBEGIN (C7 F8); MOV Sreg
	 * has no segment register 6 or 7 (SDM Vol. 2B MOV: "#UD if attempt
	 * is made to load the CS register or if the reg field is 6 or 7");
	 * 0F FF is UD0, #UD by definition (Vol. 2B UD). Capstone 4 decodes
	 * none of them. */
	if ((b[i] == 0xc6 || b[i] == 0xc7) && (b[i + 1] >> 3 & 7) == 7 && b[i + 1] != 0xf8)
		return 1;
	if ((b[i] == 0x8c || b[i] == 0x8e) && (b[i + 1] >> 3 & 7) >= 6)
		return 1;
	return b[i] == 0x0f && b[i + 1] == 0xff;
}

/* Capstone 4 refuses some LOCK-prefixed instructions outright (F0 89 03,
 * LOCK MOV). When the same bytes with the LOCK replaced by a DS override
 * decode, the LOCK alone made them invalid: #UD (SDM Vol. 2A LOCK: "an
 * undefined opcode exception will be generated" for other instructions). */
static int lock_refused(struct ref_priv *p, unsigned bits, uint64_t rip, const uint8_t *b,
			unsigned n)
{
	uint8_t t[15];
	int had_lock = 0;
	memcpy(t, b, n);
	for (unsigned i = 0; i < n && (t[i] == 0xf0 || t[i] == 0xf2 || t[i] == 0xf3 ||
				       t[i] == 0x2e || t[i] == 0x36 || t[i] == 0x3e ||
				       t[i] == 0x26 || t[i] == 0x64 || t[i] == 0x65 ||
				       t[i] == 0x66 || t[i] == 0x67); i++)
		if (t[i] == 0xf0) {
			t[i] = 0x3e;
			had_lock = 1;
		}
	return had_lock && ref_dcache_decode(&p->dcache, &p->dec, bits, rip, t, n) != NULL;
}

/* Remembers what ran at rip (outcome.ran): a fixed 16-byte copy of
 * Capstone's mnemonic buffer (32 bytes), spaces made '_'. 1 when it took
 * a free slot: once none is left the caller stops asking, as a revisit
 * writes nothing and a new address is not kept, and a case that runs on
 * through memory (real mode's zeroes, to the step budget) no longer
 * probes every slot at every step. */
static int note_ran(struct outcome *out, uint64_t rip, const char *mnemonic)
{
	struct ran_insn *r = ran_place(out, rip);
	if (!r || (r->rip == rip && r->mnemonic[0]))
		return 0;
	r->rip = rip;
	size_t i = 0;
	for (; i < sizeof(r->mnemonic) - 1 && mnemonic[i]; i++)
		r->mnemonic[i] = mnemonic[i] == ' ' ? '_' : mnemonic[i];
	r->mnemonic[i] = 0;
	return 1;
}

/* Capstone's "tests flag" bits and the RFLAGS bits they name. */
static const struct { uint64_t test, flag; } flag_tests[] = {
	{ X86_EFLAGS_TEST_CF, RFLAGS_CF }, { X86_EFLAGS_TEST_PF, RFLAGS_PF },
	{ X86_EFLAGS_TEST_AF, RFLAGS_AF }, { X86_EFLAGS_TEST_ZF, RFLAGS_ZF },
	{ X86_EFLAGS_TEST_SF, RFLAGS_SF }, { X86_EFLAGS_TEST_OF, RFLAGS_OF },
};

/* Implicit GPR reads Capstone 4.0.2 leaves out of regs_read (SDM Vol. 2
 * Operation of each): XLATB's AL and EBX, the BCD adjusts' AL/AH, ENTER's
 * ESP and EBP. Without them an AL left unpredictable by RDTSC flowed into
 * XLATB's address unnoticed. */
static const uint32_t gprs_read_extra[X86_INS_ENDING] = {
	[X86_INS_XLATB] = 1u << RAX | 1u << RBX,
	[X86_INS_AAM] = 1u << RAX, [X86_INS_AAD] = 1u << RAX,
	[X86_INS_DAA] = 1u << RAX, [X86_INS_DAS] = 1u << RAX,
	[X86_INS_AAA] = 1u << RAX, [X86_INS_AAS] = 1u << RAX,
	[X86_INS_ENTER] = 1u << RSP | 1u << RBP,
	/* The stack pointer of PUSH/POP Sreg, far RET, IRET and the INTs
	 * (Capstone lists none for them); a 16-bit BSWAP SP left undefined
	 * flowed into POP FS's address and FS. */
	[X86_INS_PUSH] = 1u << RSP, [X86_INS_POP] = 1u << RSP,
	[X86_INS_RETF] = 1u << RSP, [X86_INS_RETFQ] = 1u << RSP,
	[X86_INS_IRET] = 1u << RSP, [X86_INS_IRETD] = 1u << RSP,
	[X86_INS_IRETQ] = 1u << RSP, [X86_INS_INT] = 1u << RSP,
	[X86_INS_INT3] = 1u << RSP, [X86_INS_INTO] = 1u << RSP,
	[X86_INS_INT1] = 1u << RSP,
};

/* GPRs the instruction reads: register operands it reads, the base and
 * index of memory operands, and Capstone's implicit reads. */
static uint32_t gprs_read(const cs_insn *insn)
{
	const cs_x86 *x = &insn->detail->x86;
	uint32_t m = gprs_read_extra[insn->id];
	int g0;
	/* CMPXCHG compares its destination: Capstone marks it write-only. */
	if (insn->id == X86_INS_CMPXCHG && x->op_count && x->operands[0].type == X86_OP_REG &&
	    (g0 = ref_reg_gpr(x->operands[0].reg)) >= 0)
		m |= 1u << g0;
	for (unsigned i = 0; i < x->op_count; i++) {
		const cs_x86_op *op = &x->operands[i];
		int g;
		if (op->type == X86_OP_REG && (op->access & CS_AC_READ) &&
		    (g = ref_reg_gpr(op->reg)) >= 0)
			m |= 1u << g;
		if (op->type == X86_OP_MEM) {
			if ((g = ref_reg_gpr(op->mem.base)) >= 0)
				m |= 1u << g;
			if ((g = ref_reg_gpr(op->mem.index)) >= 0)
				m |= 1u << g;
		}
	}
	for (unsigned i = 0; i < insn->detail->regs_read_count; i++) {
		int g = ref_reg_gpr((x86_reg)insn->detail->regs_read[i]);
		if (g >= 0)
			m |= 1u << g;
	}
	return m;
}

/* Flags read that Capstone 4.0.2 does not list as "tested" (its eflags
 * for these carry only the MODIFY bits): each instruction's Operation in
 * SDM Vol. 2 reads them. Without this an undefined CF left by BSF, AAM,
 * a long SHR, ... flowed on into ADC/SBB/RCL/DAS results uncaught. */
static const uint64_t flags_read_extra[X86_INS_ENDING] = {
	[X86_INS_ADC] = RFLAGS_CF,  [X86_INS_SBB] = RFLAGS_CF,
	[X86_INS_RCL] = RFLAGS_CF,  [X86_INS_RCR] = RFLAGS_CF,
	[X86_INS_CMC] = RFLAGS_CF,  [X86_INS_SALC] = RFLAGS_CF,
	[X86_INS_ADCX] = RFLAGS_CF, [X86_INS_ADOX] = RFLAGS_OF,
	[X86_INS_INTO] = RFLAGS_OF,
	[X86_INS_DAA] = RFLAGS_CF | RFLAGS_AF, [X86_INS_DAS] = RFLAGS_CF | RFLAGS_AF,
	[X86_INS_AAA] = RFLAGS_AF,  [X86_INS_AAS] = RFLAGS_AF,
};

/* RFLAGS bits the instruction reads. */
static uint64_t flags_read(const cs_insn *insn)
{
	const cs_x86 *x = &insn->detail->x86;
	uint64_t m = flags_read_extra[insn->id];
	for (size_t i = 0; i < sizeof(flag_tests) / sizeof(flag_tests[0]); i++)
		if (x->eflags & flag_tests[i].test)
			m |= flag_tests[i].flag;
	return m;
}

/* Fetches up to 15 bytes at CS:rip. Outside 64-bit mode the bytes past
 * the CS limit are not fetchable (*limited set: a decode that needs them
 * is #GP(0), SDM Vol. 3A 5.3). */
static unsigned fetch_insn(struct ref_cpu *cpu, uint8_t *buf, uint64_t *fault_la,
			   unsigned *want, int *limited)
{
	uint64_t la = cpu->rip;
	*want = 15;
	*limited = 0;
	if (cpu->code_bits != 64) {
		uint64_t lim = cpu->seg[SEG_CS].limit;
		if (cpu->rip > lim)
			*want = 0;
		else if (lim - cpu->rip + 1 < 15)
			*want = (unsigned)(lim - cpu->rip + 1);
		*limited = *want < 15;
		la = (cpu->seg[SEG_CS].base + cpu->rip) & 0xffffffffu;
	}
	return *want ? ref_fetch(cpu, la, buf, *want, fault_la) : 0;
}

/* Copies the end state, masked to what the mode defines (mode_reg_mask),
 * and turns a HLT in an exception stub into the EXCEPTION it reports,
 * through the one frame reader every executor shares. */
static void finish(struct ref_priv *p, struct ref_cpu *cpu, struct outcome *out)
{
	struct end_state *s = &out->state;
	uint64_t m = mode_reg_mask((enum cpu_mode)cpu->mode);
	for (unsigned i = 0; i < GPR_COUNT; i++)
		s->gpr[i] = cpu->gpr[i] & m;
	s->rip = cpu->rip & m;
	s->rflags = cpu->rflags & m;
	s->cr0 = cpu->cr0;
	s->cr2 = cpu->cr2;
	s->cr3 = cpu->cr3;
	s->cr4 = cpu->cr4;
	s->cr8 = cpu->cr8;
	s->efer = cpu->efer;
	s->cs = cpu->seg[SEG_CS].sel;
	s->ds = cpu->seg[SEG_DS].sel;
	s->es = cpu->seg[SEG_ES].sel;
	s->fs = cpu->seg[SEG_FS].sel;
	s->gs = cpu->seg[SEG_GS].sel;
	s->ss = cpu->seg[SEG_SS].sel;
	memcpy(s->xmm, cpu->xmm, sizeof(s->xmm));
	struct exit_event *t = out->n_events ? &out->events[out->n_events - 1] : NULL;
	if (t && t->kind == EXIT_HLT) {
		struct exit_event e;
		if (mode_stub_exception((enum cpu_mode)cpu->mode, p->ram, s, &e)) {
			memcpy(e.by, cpu->raised_by, sizeof(e.by));
			*t = e;
			char name[sizeof(out->mnemonic)] = "";
			memcpy(name, cpu->raised_by, sizeof(cpu->raised_by));
			name[sizeof(cpu->raised_by) - 1] = 0;
			if (name[0])
				copy_mnemonic(out, name);
		}
	}
}

/* The run loop. It stops after budget instructions: REF_STEP_BUDGET for a
 * whole run, fewer when lockstep steps the case (ref_step). */
static int ref_run_bounded(struct executor *ex, const struct test_case *c, uint32_t budget,
			   struct outcome *out)
{
	struct ref_priv *p = ex->priv;
	if (!p) {
		snprintf(ex->err, sizeof(ex->err), "ref: run before init (case %s)", c->id);
		return -1;
	}
	/* out's window is the last case's: read before outcome_init clears
	 * the stamp. */
	int win_current = out == p->last_out && p->last_stamp && out->mem_stamp == p->last_stamp;
	outcome_init(out);
	ref_ram_reset(p->ram, &p->track, c);
	if (ex->cpuid != p->rsvd_for || !p->vendor) {
		p->pte_rsvd = pte_rsvd_from(ex->cpuid);
		p->vendor = (uint8_t)ref_vendor_pick(VENDOR_UNKNOWN, ex->cpuid);
		p->rsvd_for = ex->cpuid;
	}

	struct ref_cpu cpu;
	ref_cpu_reset(&cpu, c, p->ram, out);
	cpu.ram_dirty = p->track.dirty;
	cpu.cpuid = ex->cpuid;
	cpu.mmio_window_read = ex->mmio_window_read;
	cpu.pte_rsvd = p->pte_rsvd;
	cpu.vendor = ex->vendor != VENDOR_UNKNOWN ? (uint8_t)ex->vendor : p->vendor;

	const cs_insn *insn = NULL;
	uint32_t steps = 0;
	/* An external interrupt waits for IF (ref_intr.c); the other events
	 * are delivered at the first boundary nothing holds them at. ev is
	 * the NMI or exception pending, from the start or from after=N. */
	struct case_event ev = { 0 };
	int ev_sti = 0; /* ev waits behind an STI's shadow */
	for (unsigned i = 0; i < CASE_EVENTS_MAX; i++)
		if (case_event_at_start(&c->event[i]) && c->event[i].kind != CASE_EVENT_INTR) {
			ev = c->event[i];
			cpu.event_pending = 1;
			cpu.event_shadow = ev.kind == CASE_EVENT_NMI && ev.shadow;
			ev_sti = ev.shadow == CASE_SHADOW_STI;
		}
	const unsigned after = case_events_after(c->event);
	int after_done = !after;
	int decoded_any = 0;
	unsigned ran_free = RAN_SLOTS; /* out->ran is empty after outcome_init */
	char undef_name[sizeof(out->mnemonic)] = "";
	char cur_mnemonic[sizeof(out->prev_mnemonic)] = ""; /* zero-padded */
	for (;;) {
		if (steps >= budget) {
			ref_terminal(&cpu, EXIT_TIMEOUT, 0, cpu.rip);
			break;
		}
		if (!after_done && (c->rflags & RFLAGS_TF)) {
			/* KVM steps to N with guest debug; the case's own TF
			 * traps inside those steps. Not modeled. */
			ref_terminal(&cpu, EXIT_UNSUPPORTED, 0, cpu.rip);
			copy_mnemonic(out, "event:after-tf");
			break;
		}
		if (!after_done && steps >= after) {
			/* The case retired N instructions: the hypervisor makes
			 * the after=N events pending at this boundary, in the
			 * shadow the last instruction left (docs/formats.md). */
			after_done = 1;
			for (unsigned i = 0; i < CASE_EVENTS_MAX; i++) {
				const struct case_event *e = &c->event[i];
				if (!e->after)
					continue;
				if (e->kind == CASE_EVENT_INTR) {
					cpu.intr_vector = e->vector;
				} else {
					ev = *e;
					cpu.event_pending = 1;
					cpu.event_shadow = cpu.irq_shadow != REF_SHADOW_NONE;
					ev_sti = cpu.irq_shadow == REF_SHADOW_STI;
				}
			}
		}
		if (cpu.event_pending && !cpu.event_shadow) {
			cpu.event_pending = 0;
			ref_deliver_event(&cpu, &ev);
			if (cpu.resume) {
				cpu.resume = 0;
				continue;
			}
			break;
		}
		if (cpu.event_pending && ev_sti) {
			/* Whether STI's shadow holds an NMI back is the
			 * implementation's choice (SDM Vol. 3A 6.8.3). */
			ref_terminal(&cpu, EXIT_UNSUPPORTED, 0, cpu.rip);
			copy_mnemonic(out, "event:nmi-sti-shadow");
			break;
		}
		if (ref_intr_ready(&cpu)) {
			ref_intr_take(&cpu);
			if (cpu.resume) {
				cpu.resume = 0;
				continue;
			}
			break;
		}
		/* An instruction breakpoint: a fault before the instruction is
		 * even fetched, ahead of #UD or a fetch fault (SDM Vol. 3A 6.9,
		 * priority 7 before 8 and 9; Vol. 3B 18.3.1.1). */
		uint64_t lip = (cpu.seg[SEG_CS].base + cpu.rip) &
			       (cpu.code_bits == 64 ? ~0ull : 0xffffffffull);
		if ((cpu.dr[7] & 0xff) && ref_dbg_exec_hit(&cpu, lip)) {
			cpu.insn = NULL;
			copy_mnemonic(out, "(breakpoint)");
			ref_raise_code_breakpoint(&cpu);
			if (cpu.resume) {
				cpu.resume = 0;
				out->mnemonic[0] = 0;
				continue;
			}
			break;
		}
		uint8_t buf[15];
		uint64_t fault_la = 0;
		unsigned want;
		int limited;
		unsigned n = fetch_insn(&cpu, buf, &fault_la, &want, &limited);
		const cs_insn *next =
			n ? ref_dcache_decode(&p->dcache, &p->dec, cpu.code_bits, cpu.rip, buf, n) : NULL;
		cpu.insn = NULL;
		if (!next) {
			/* Bytes before an unfetchable one that do not form an
			 * instruction: the fetch faults there (SDM Vol. 3A
			 * 6.15 #PF, CR2 = the unfetchable byte); past the CS
			 * limit it is #GP(0). A full 15-byte window that does
			 * not decode is #UD. */
			enum ref_status st = REF_STOP;
			if (n < want) {
				fetch_fault(&cpu, fault_la, out);
				if (out->mnemonic[0])
					decoded_any = 0;
			} else if (limited) {
				cpu.next_rip = cpu.rip;
				/* Named before the raise: the delivery outside
				 * long mode names the exception by it. */
				copy_mnemonic(out, "(limit)");
				st = ref_raise(&cpu, 13, 1, 0);
				decoded_any = 0;
			} else if (invalid_opcode(cpu.code_bits, buf, n) ||
				   lock_refused(p, cpu.code_bits, cpu.rip, buf, n)) {
				cpu.next_rip = cpu.rip;
				copy_mnemonic(out, "(bad)");
				st = ref_raise(&cpu, 6, 0, 0);
				decoded_any = 0;
			} else {
				/* Capstone 4 misses valid encodings (NOP r16
				 * with 66 0F 1F /r, newer extensions): what it
				 * cannot decode is not known to be #UD. */
				ref_terminal(&cpu, EXIT_UNSUPPORTED, 0, cpu.rip);
				copy_mnemonic(out, "(undecodable)");
				decoded_any = 0;
			}
			(void)st;
			if (cpu.resume) {
				cpu.resume = 0;
				out->mnemonic[0] = 0;
				continue;
			}
			break;
		}
		insn = next;
		decoded_any = 1;
		steps++;
		out->insn_state |= insn_state_of(buf, insn->size, cpu.code_bits == 64);
		memcpy(out->prev_mnemonic, cur_mnemonic, sizeof(cur_mnemonic));
		memset(cur_mnemonic, 0, sizeof(cur_mnemonic));
		memcpy(cur_mnemonic, insn->mnemonic,
		       strnlen(insn->mnemonic, sizeof(cur_mnemonic) - 1));
		cpu.insn = insn;
		if (ran_free)
			ran_free -= (unsigned)note_ran(out, cpu.rip, insn->mnemonic);
		cpu.next_rip = cpu.rip + insn->size;
		if (cpu.code_bits != 64)
			cpu.next_rip &= 0xffffffffu; /* EIP is 32 bits wide */
		const cs_x86 *x = &insn->detail->x86;

		enum ref_status st;
		ref_handler h = ref_lookup(insn->id);
		/* TF as the instruction begins decides its trap: POPF that sets
		 * TF traps only after the next one (SDM Vol. 3B 18.3.1.4). MOV
		 * SS and POP SS hold it back to the next instruction boundary
		 * (Vol. 3A 6.8.3), where that instruction's own trap is taken. */
		cpu.single_step = (cpu.rflags & RFLAGS_TF) && !loads_ss(insn);
		/* Capstone keeps one group-1 prefix: F0 F2 or F2 F0 may show
		 * only the REPNE, so the bytes decide (SDM Vol. 2A 2.1.1). */
		if (dec_has_prefix(insn, 0xf0) &&
		    !(lockable[insn->id] && x->op_count && x->operands[0].type == X86_OP_MEM)) {
			st = ref_raise(&cpu, 6, 0, 0);
		} else if (cpu.undefined_flags && (flags_read(insn) & cpu.undefined_flags)) {
			/* A flag left undefined by an earlier instruction has
			 * whatever value the CPU chose; an instruction that
			 * consumes it (Jcc, ADC, SETcc, ...) carries that
			 * choice into registers and control flow, where
			 * masking cannot follow. Not comparable: end as
			 * unsupported, named so coverage shows why. */
			ref_terminal(&cpu, EXIT_UNSUPPORTED, 0, cpu.rip);
			snprintf(undef_name, sizeof(undef_name), "undef-flags:%.15s", insn->mnemonic);
			break;
		} else if (ref_fpsse_check(&cpu, insn)) {
			/* #NM/#UD by CR0.TS/EM and CR4.OSFXSR (ref_fpsse.c). */
			st = REF_STOP;
		} else if (out->undefined_gprs && (gprs_read(insn) & out->undefined_gprs)) {
			/* The same reasoning for a register RDTSC or RDRAND
			 * left unpredictable: its value would flow on. */
			ref_terminal(&cpu, EXIT_UNSUPPORTED, 0, cpu.rip);
			snprintf(undef_name, sizeof(undef_name), "undef-gprs:%.15s", insn->mnemonic);
			break;
		} else if (ref_v86(&cpu) && (st = ref_v86_check(&cpu, insn)) != REF_NEXT) {
			/* v86's own checks raised (ref_v86.c). */
		} else if (!ref_v86(&cpu) && privilege_fault(&cpu, insn->id)) {
			st = ref_raise(&cpu, 13, 1, 0);
		} else if (insn->id == X86_INS_MOV && has_crdr(x)) {
			st = ref_sys_mov_crdr(&cpu, insn);
		} else {
			st = (h && operands_modeled(insn->id, x)) ? h(&cpu, insn) : REF_UNSUPPORTED;
		}
		if (cpu.read_undefined_mem) {
			/* It read an RFLAGS image with undefined bits back from
			 * memory: like reading an undefined flag. */
			ref_terminal(&cpu, EXIT_UNSUPPORTED, 0, cpu.rip);
			snprintf(undef_name, sizeof(undef_name), "undef-mem:%.15s", insn->mnemonic);
			break;
		}
		/* Data breakpoints hit by MOV SS / POP SS wait for the next
		 * instruction's boundary too. */
		if (st == REF_NEXT && (cpu.single_step || (cpu.db_hits && !loads_ss(insn))))
			st = dbg_trap(&cpu);
		else if (st != REF_NEXT)
			cpu.db_hits = 0;
		if (st == REF_NEXT && loads_ss(insn) && cpu.irq_shadow == REF_SHADOW_SS &&
		    cpu.intr_vector >= 0) {
			/* Of consecutive SS loads only the first is sure to
			 * hold interrupts back (SDM Vol. 3A 6.8.3). */
			ref_terminal(&cpu, EXIT_UNSUPPORTED, 0, cpu.rip);
			snprintf(undef_name, sizeof(undef_name), "event:mov-ss-chain");
			break;
		}
		if (st == REF_NEXT) {
			cpu.rip = cpu.next_rip;
			cpu.event_shadow = 0; /* the shadow ends with one instruction */
			cpu.irq_shadow = loads_ss(insn) ? REF_SHADOW_SS : cpu.irq_shadow_next;
			cpu.irq_shadow_next = 0;
			continue;
		}
		if (cpu.event_pending) {
			/* The instruction ended the case another way with the
			 * NMI still held: the NMI would come at the handler's
			 * first boundary, which the case never reaches. */
			ref_terminal(&cpu, EXIT_UNSUPPORTED, 0, cpu.rip);
			snprintf(undef_name, sizeof(undef_name), "event:held-nmi");
			break;
		}
		if (st == REF_STOP && cpu.resume) {
			/* An exception was delivered through the IVT/IDT32:
			 * go on at its handler (the stub). */
			cpu.resume = 0;
			continue;
		}
		if (st == REF_UNSUPPORTED)
			ref_terminal(&cpu, EXIT_UNSUPPORTED, 0, cpu.rip);
		break;
	}

	if (cpu.mode == MODE_LONG64)
		ref_events_in_handler(&cpu, c);
	/* A handler may have named the outcome itself (ref_sys_unsupported:
	 * "rdmsr:0x8b"); that name is kept. */
	if (undef_name[0])
		copy_mnemonic(out, undef_name);
	else if (decoded_any && insn && !out->mnemonic[0])
		copy_mnemonic(out, insn->mnemonic);
	finish(p, &cpu, out);
	out->undefined_flags = cpu.undefined_flags & mode_reg_mask((enum cpu_mode)c->mode);
	out->steps = steps;
	out->insn_state |= INSN_STATE_KNOWN;
	ref_ram_window_out(p->ram, &p->track, out->mem, win_current);
	/* Unique in the process: another executor's stamp on the same
	 * outcome never passes for this one's. */
	static uint64_t stamps;
	out->mem_stamp = p->last_stamp = __atomic_add_fetch(&stamps, 1, __ATOMIC_RELAXED);
	p->last_out = out;
	return 0;
}

static int ref_run(struct executor *ex, const struct test_case *c, struct outcome *out)
{
	return ref_run_bounded(ex, c, REF_STEP_BUDGET, out);
}

static int ref_step_begin(struct executor *ex, const struct test_case *c, struct outcome *out)
{
	struct ref_priv *p = ex->priv;
	return exec_rerun_begin(ex, p ? &p->stepping : NULL, c, out);
}

/* The bounded run leaves TIMEOUT addr 0 (its budget) as the terminal
 * event of a case that goes on. */
static int ref_step(struct executor *ex, uint32_t n, struct outcome *out)
{
	struct ref_priv *p = ex->priv;
	if (!p || !p->stepping.c) {
		snprintf(ex->err, sizeof(ex->err), "ref: step without step_begin");
		return -1;
	}
	uint32_t bound = exec_rerun_next(&p->stepping, n);
	if (ref_run_bounded(ex, p->stepping.c, bound, out) < 0)
		return -1;
	return exec_rerun_going(bound, out) ? EXEC_STEPPED : EXEC_ENDED;
}

static void ref_step_end(struct executor *ex, char *note, size_t len)
{
	struct ref_priv *p = ex->priv;
	exec_rerun_end(p ? &p->stepping : NULL, note, len);
}

const struct executor_ops ref_executor_ops = {
	.name = "ref",
	.init = ref_init,
	.run = ref_run,
	.fini = ref_fini,
	.step_begin = ref_step_begin,
	.step = ref_step,
	.step_end = ref_step_end,
};
