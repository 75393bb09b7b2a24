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

/* Decoded instructions, direct-mapped by RIP. Capstone with details costs
 * far more than executing an instruction (it also formats op_str text), so
 * an instruction decoded once is reused while the same bytes sit at the same
 * address: loops within a case, and the same code in the next case. A hit
 * needs equal RIP, equal fetched length and equal bytes, which determine the
 * decode completely. */
#define DCACHE_SLOTS 512u

struct dcache_slot {
	uint64_t rip;
	uint8_t n;           /* bytes fetched; 0 = empty */
	uint8_t bytes[15];
	cs_insn *insn;       /* cs_malloc'd on first use */
};

struct ref_priv {
	csh cs;
	cs_insn *insn;       /* scratch for the decode being tried */
	struct dcache_slot dcache[DCACHE_SLOTS];
	const struct cpuid_table *rsvd_for; /* table pte_rsvd was computed from */
	uint64_t pte_rsvd;
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
	struct mode_env env;
	mode_env_init(&env, (enum cpu_mode)c->mode, c->knobs);
	cpu->mode = c->mode;
	cpu->knobs = c->knobs;
	cpu->cpl = env.cpl;
	cpu->code_bits = env.code_bits;
	cpu->rip = cpu->next_rip = env.rip;
	cpu->rflags = c->rflags;
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
	cs_err ce = cs_open(CS_ARCH_X86, CS_MODE_64, &p->cs);
	if (ce != CS_ERR_OK) {
		snprintf(err, errlen, "ref: cs_open failed: %s (%s:%d)",
			 cs_strerror(ce), __FILE__, __LINE__);
		free(p);
		return -1;
	}
	cs_option(p->cs, CS_OPT_DETAIL, CS_OPT_ON);
	p->insn = cs_malloc(p->cs);
	if (!p->insn) {
		snprintf(err, errlen, "ref: cs_malloc failed (%s:%d)", __FILE__, __LINE__);
		cs_close(&p->cs);
		free(p);
		return -1;
	}
	layout_build(p->ram);
	p->pte_rsvd = pte_rsvd_from(NULL);
	ref_table_build();
	ex->priv = p;
	return 0;
}

static void ref_fini(struct executor *ex)
{
	struct ref_priv *p = ex->priv;
	if (!p)
		return;
	for (unsigned i = 0; i < DCACHE_SLOTS; i++)
		if (p->dcache[i].insn)
			cs_free(p->dcache[i].insn, 1);
	cs_free(p->insn, 1);
	cs_close(&p->cs);
	free(p);
	ex->priv = NULL;
}

/* Only GPR register operands are modeled: a segment, control, debug or
 * vector register anywhere makes the form UNSUPPORTED (MOV to/from CRn
 * shares X86_INS_MOV with the plain move). */
static int operands_modeled(const cs_x86 *x)
{
	for (unsigned i = 0; i < x->op_count; i++)
		if (x->operands[i].type == X86_OP_REG &&
		    ref_reg_gpr(x->operands[i].reg) < 0)
			return 0;
	return 1;
}

/* A fetch stopped at la before a whole instruction was available. */
static void fetch_fault(struct ref_cpu *cpu, uint64_t la, struct outcome *out)
{
	uint64_t gpa;
	uint32_t pfec;
	if (!ref_canonical(la)) {
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

/* Decodes the n fetched bytes at rip, through the cache. NULL when the
 * bytes are not a valid instruction (never cached). */
/* Capstone 4 loses an operand-size prefix that comes before a REP/REPNE
 * prefix (66 F3 F7 /6 decodes as a 32-bit DIV, 66 F3 6F as OUTSD), but
 * gets F3 66 right. Legacy prefixes mean the same in any order (SDM Vol. 2A
 * 2.1.1), so F2/F3 are moved to the front of the prefix run before
 * decoding; the length and every operand stay the same. */
static void order_prefixes(uint8_t *b, unsigned n)
{
	unsigned run = 0;
	while (run < n && (b[run] == 0xf0 || b[run] == 0xf2 || b[run] == 0xf3 ||
			   b[run] == 0x2e || b[run] == 0x36 || b[run] == 0x3e ||
			   b[run] == 0x26 || b[run] == 0x64 || b[run] == 0x65 ||
			   b[run] == 0x66 || b[run] == 0x67))
		run++;
	uint8_t rep[15], other[15];
	unsigned nr = 0, no = 0;
	for (unsigned i = 0; i < run; i++) {
		if (b[i] == 0xf2 || b[i] == 0xf3)
			rep[nr++] = b[i];
		else
			other[no++] = b[i];
	}
	memcpy(b, rep, nr);
	memcpy(b + nr, other, no);
}

static const cs_insn *decode(struct ref_priv *p, uint64_t rip,
			     const uint8_t *buf, unsigned n)
{
	struct dcache_slot *sl = &p->dcache[(rip ^ (rip >> 9)) & (DCACHE_SLOTS - 1)];
	if (sl->n == n && sl->rip == rip && memcmp(sl->bytes, buf, n) == 0)
		return sl->insn;
	if (!sl->insn && !(sl->insn = cs_malloc(p->cs)))
		return NULL;
	uint8_t ordered[15];
	memcpy(ordered, buf, n);
	order_prefixes(ordered, n);
	const uint8_t *code = ordered;
	size_t size = n;
	uint64_t addr = rip;
	/* Decode into the scratch insn and swap it in on success: a failed
	 * decode then never clobbers the instruction executed last (its
	 * mnemonic names the outcome). */
	if (!cs_disasm_iter(p->cs, &code, &size, &addr, p->insn))
		return NULL;
	cs_insn *t = sl->insn;
	sl->insn = p->insn;
	p->insn = t;
	sl->rip = rip;
	sl->n = (uint8_t)n;
	memcpy(sl->bytes, buf, n);
	return sl->insn;
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
static int invalid_in_64bit(const uint8_t *b, unsigned n)
{
	static const uint8_t i64[] = {
		0x06, 0x07, 0x0e, 0x16, 0x17, 0x1e, 0x1f, 0x27, 0x2f, 0x37, 0x3f,
		0x60, 0x61, 0x82, 0x9a, 0xce, 0xd4, 0xd5, 0xd6, 0xea,
	};
	unsigned i = 0;
	while (i < n && (b[i] == 0xf0 || b[i] == 0xf2 || b[i] == 0xf3 || b[i] == 0x2e ||
			 b[i] == 0x36 || b[i] == 0x3e || b[i] == 0x26 || b[i] == 0x64 ||
			 b[i] == 0x65 || b[i] == 0x66 || b[i] == 0x67 || (b[i] & 0xf0) == 0x40))
		i++;
	for (unsigned k = 0; i < n && k < sizeof(i64); k++)
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
	return 0;
}

/* Capstone 4 refuses some LOCK-prefixed instructions outright (F0 89 03,
 * LOCK MOV). When the same bytes with the LOCK replaced by a DS override
 * decode, the LOCK alone made them invalid: #UD (SDM Vol. 2A LOCK: "an
 * undefined opcode exception will be generated" for other instructions). */
static int lock_refused(struct ref_priv *p, uint64_t rip, const uint8_t *b, unsigned n)
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
	return had_lock && decode(p, rip, t, n) != NULL;
}

/* Remembers what ran at rip (outcome.ran): a fixed 16-byte copy of
 * Capstone's mnemonic buffer (32 bytes), spaces made '_'. */
static void note_ran(struct outcome *out, uint64_t rip, const char *mnemonic)
{
	struct ran_insn *r = &out->ran[RAN_SLOT(rip)];
	if (r->rip == rip)
		return;
	r->rip = rip;
	size_t i = 0;
	for (; i < sizeof(r->mnemonic) - 1 && mnemonic[i]; i++)
		r->mnemonic[i] = mnemonic[i] == ' ' ? '_' : mnemonic[i];
	r->mnemonic[i] = 0;
}

/* Capstone's "tests flag" bits and the RFLAGS bits they name. */
static const struct { uint64_t test, flag; } flag_tests[] = {
	{ X86_EFLAGS_TEST_CF, RFLAGS_CF }, { X86_EFLAGS_TEST_PF, RFLAGS_PF },
	{ X86_EFLAGS_TEST_AF, RFLAGS_AF }, { X86_EFLAGS_TEST_ZF, RFLAGS_ZF },
	{ X86_EFLAGS_TEST_SF, RFLAGS_SF }, { X86_EFLAGS_TEST_OF, RFLAGS_OF },
};

/* RFLAGS bits the instruction reads. */
static uint64_t flags_read(const cs_x86 *x)
{
	uint64_t m = 0;
	for (size_t i = 0; i < sizeof(flag_tests) / sizeof(flag_tests[0]); i++)
		if (x->eflags & flag_tests[i].test)
			m |= flag_tests[i].flag;
	return m;
}

static int ref_run(struct executor *ex, const struct test_case *c,
		   struct outcome *out)
{
	struct ref_priv *p = ex->priv;
	if (!p) {
		snprintf(ex->err, sizeof(ex->err), "ref: run before init (case %s)", c->id);
		return -1;
	}
	outcome_init(out);
	layout_reset_rw(p->ram, c->code, c->code_len, c->data, c->data_len);
	if (ex->cpuid != p->rsvd_for) {
		p->pte_rsvd = pte_rsvd_from(ex->cpuid);
		p->rsvd_for = ex->cpuid;
	}

	struct ref_cpu cpu;
	ref_cpu_reset(&cpu, c, p->ram, out);
	cpu.cpuid = ex->cpuid;
	cpu.pte_rsvd = p->pte_rsvd;

	const cs_insn *insn = NULL;
	uint32_t steps = 0;
	int decoded_any = 0;
	char undef_name[sizeof(out->mnemonic)] = "";
	for (;;) {
		if (steps >= REF_STEP_BUDGET) {
			ref_terminal(&cpu, EXIT_TIMEOUT, 0, cpu.rip);
			break;
		}
		uint8_t buf[15];
		uint64_t fault_la = 0;
		unsigned n = ref_fetch(&cpu, cpu.rip, buf, sizeof(buf), &fault_la);
		const cs_insn *next = n ? decode(p, cpu.rip, buf, n) : NULL;
		cpu.insn = NULL;
		if (!next) {
			/* Bytes before an unfetchable one that do not form an
			 * instruction: the fetch faults there (SDM Vol. 3A
			 * 6.15 #PF, CR2 = the unfetchable byte). A full
			 * 15-byte window that does not decode is #UD. */
			if (n < sizeof(buf)) {
				fetch_fault(&cpu, fault_la, out);
				if (out->mnemonic[0])
					decoded_any = 0;
			} else if (invalid_in_64bit(buf, n) || lock_refused(p, cpu.rip, buf, n)) {
				cpu.next_rip = cpu.rip;
				ref_raise(&cpu, 6, 0, 0);
				copy_mnemonic(out, "(bad)");
				decoded_any = 0;
			} else {
				/* Capstone 4 misses valid encodings (NOP r16
				 * with 66 0F 1F /r, newer extensions): what it
				 * cannot decode is not known to be #UD. */
				ref_terminal(&cpu, EXIT_UNSUPPORTED, 0, cpu.rip);
				copy_mnemonic(out, "(undecodable)");
				decoded_any = 0;
			}
			break;
		}
		insn = next;
		decoded_any = 1;
		steps++;
		cpu.insn = insn;
		note_ran(out, cpu.rip, insn->mnemonic);
		cpu.next_rip = cpu.rip + insn->size;
		const cs_x86 *x = &insn->detail->x86;

		if (x->prefix[0] == X86_PREFIX_LOCK &&
		    !(lockable[insn->id] && x->op_count && x->operands[0].type == X86_OP_MEM)) {
			ref_raise(&cpu, 6, 0, 0);
			break;
		}
		/* A flag left undefined by an earlier instruction has whatever
		 * value the CPU chose; an instruction that consumes it (Jcc,
		 * ADC, SETcc, ...) carries that choice into registers and
		 * control flow, where masking cannot follow. Not comparable:
		 * end as unsupported, named so coverage shows why. */
		if (flags_read(x) & cpu.undefined_flags) {
			ref_terminal(&cpu, EXIT_UNSUPPORTED, 0, cpu.rip);
			snprintf(undef_name, sizeof(undef_name), "undef-flags:%.15s", insn->mnemonic);
			break;
		}
		ref_handler h = ref_lookup(insn->id);
		enum ref_status st = (h && operands_modeled(x)) ? h(&cpu, insn) : REF_UNSUPPORTED;
		if (st == REF_NEXT) {
			cpu.rip = cpu.next_rip;
			continue;
		}
		if (st == REF_UNSUPPORTED)
			ref_terminal(&cpu, EXIT_UNSUPPORTED, 0, cpu.rip);
		break;
	}

	if (undef_name[0])
		copy_mnemonic(out, undef_name);
	else if (decoded_any && insn)
		copy_mnemonic(out, insn->mnemonic);
	struct end_state *s = &out->state;
	memcpy(s->gpr, cpu.gpr, sizeof(s->gpr));
	s->rip = cpu.rip;
	s->rflags = cpu.rflags;
	s->cr0 = cpu.cr0;
	s->cr2 = cpu.cr2;
	s->cr3 = cpu.cr3;
	s->cr4 = cpu.cr4;
	s->cr8 = cpu.cr8;
	s->efer = cpu.efer;
	s->cs = cpu.seg[SEG_CS].sel;
	s->ds = cpu.seg[SEG_DS].sel;
	s->es = cpu.seg[SEG_ES].sel;
	s->fs = cpu.seg[SEG_FS].sel;
	s->gs = cpu.seg[SEG_GS].sel;
	s->ss = cpu.seg[SEG_SS].sel;
	out->undefined_flags = cpu.undefined_flags;
	out->steps = steps;
	memcpy(out->mem, p->ram + LAYOUT_CMP_BASE, LAYOUT_CMP_SIZE);
	return 0;
}

const struct executor_ops ref_executor_ops = {
	.name = "ref",
	.init = ref_init,
	.run = ref_run,
	.fini = ref_fini,
};
