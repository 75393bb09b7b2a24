/* System instructions of the reference: the privilege check, MOV to/from
 * control and debug registers, CLTS, LMSW/SMSW, INVLPG, WBINVD/INVD, STI,
 * STAC/CLAC, MONITOR/MWAIT, SWAPGS.
 *
 * Rules come from each instruction's SDM Vol. 2 entry ("Protected Mode
 * Exceptions", "64-Bit Mode Exceptions"); the privileged set is SDM Vol.
 * 3A 5.9. Where the SDM leaves a choice, or a write would change the
 * machine in a way the reference does not follow (a mode switch, armed
 * breakpoints, SMEP), the form ends UNSUPPORTED with a mnemonic that says
 * why: an honest "not modeled" never counts as a divergence. Every state
 * a write changes lives in struct ref_cpu, so the page walk and the other
 * families see it from the next instruction on. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "ref_sys_priv.h"

int ref_require_cpl0(struct ref_cpu *cpu)
{
	if (cpu->cpl == 0)
		return 1;
	ref_raise(cpu, 13, 1, 0);
	return 0;
}

int ref_sys_feature(const struct ref_cpu *cpu, uint32_t leaf, uint32_t sub,
		    enum sys_cpuid_reg reg, unsigned bit)
{
	if (!cpu->cpuid)
		return -1;
	const struct cpuid_entry *e = cpuid_lookup(cpu->cpuid, leaf, sub);
	if (!e)
		return 0;
	uint32_t r = reg == CPUID_EAX ? e->eax : reg == CPUID_EBX ? e->ebx :
		     reg == CPUID_ECX ? e->ecx : e->edx;
	return (r >> bit) & 1;
}

enum ref_status ref_sys_unsupported(struct ref_cpu *cpu, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cpu->out->mnemonic, sizeof(cpu->out->mnemonic), fmt, ap);
	va_end(ap);
	return REF_UNSUPPORTED;
}

/* ---- debug registers (SDM Vol. 3A 17.2) ---------------------------------- */

#define DR6_RESET     0xffff0ff0ull
#define DR7_RESET     0x00000400ull
/* What a MOV to DR6/DR7 keeps; the rest reads as fixed ones (DR6 bits
 * 4-11 and 17-31, DR7 bit 10). KVM stores exactly these bits (its
 * DR6_VOLATILE / DR7_VOLATILE), and bit 16 of DR6 reads 1 unless the CPU
 * has RTM (SDM Vol. 3A 17.2.3). */
#define DR6_VOLATILE  0x0001e80full
#define DR6_FIXED1    0xfffe0ff0ull
#define DR6_RTM       (1ull << 16)
#define DR6_BD        (1ull << 13)
#define DR7_VOLATILE  0xffff2bffull
#define DR7_GD        (1ull << 13)
#define DR7_ENABLES   0xffull          /* L0 G0 .. L3 G3 */

uint64_t ref_sys_dr(const struct ref_cpu *cpu, unsigned n)
{
	if (n == 6 && !cpu->dr[6])
		return DR6_RESET;
	if (n == 7 && !cpu->dr[7])
		return DR7_RESET;
	return cpu->dr[n];
}

/* ---- MOV CRn / DRn --------------------------------------------------------- */

static int cr_num(x86_reg r)
{
	return (r >= X86_REG_CR0 && r <= X86_REG_CR15) ? (int)(r - X86_REG_CR0) : -1;
}

static int dr_num(x86_reg r)
{
	return (r >= X86_REG_DR0 && r <= X86_REG_DR15) ? (int)(r - X86_REG_DR0) : -1;
}

/* CR4 bits and the CPUID feature that makes each one writable: a bit
 * whose feature the guest's CPUID does not report is reserved and setting
 * it is #GP(0) (SDM Vol. 3A 2.5, 2.6; Vol. 2 "MOV - Move to/from Control
 * Registers"). model says what the reference does once the bit is legal:
 * follow it (1), or end UNSUPPORTED when it is set (0): VMX, SMX, CET,
 * PKS, key locker and LAM change things no family models; SMEP changes
 * supervisor fetches, which the page walk does not check; PVI changes
 * CLI/STI above IOPL. leaf 0 = always legal. */
static const struct {
	uint8_t bit;
	const char *name;
	uint32_t leaf, sub;
	enum sys_cpuid_reg reg;
	uint8_t fbit;
	uint8_t model;
} cr4_bits[] = {
	{ 0, "vme", 1, 0, CPUID_EDX, 1, 1 },
	{ 1, "pvi", 1, 0, CPUID_EDX, 1, 0 },
	{ 2, "tsd", 1, 0, CPUID_EDX, 4, 1 },
	{ 3, "de", 1, 0, CPUID_EDX, 2, 1 },
	{ 4, "pse", 1, 0, CPUID_EDX, 3, 1 },
	{ 5, "pae", 1, 0, CPUID_EDX, 6, 1 },
	{ 6, "mce", 1, 0, CPUID_EDX, 7, 1 },
	{ 7, "pge", 1, 0, CPUID_EDX, 13, 1 },
	{ 8, "pce", 0, 0, CPUID_EAX, 0, 1 },
	{ 9, "osfxsr", 1, 0, CPUID_EDX, 24, 1 },
	{ 10, "osxmmexcpt", 0, 0, CPUID_EAX, 0, 1 },
	{ 11, "umip", 7, 0, CPUID_ECX, 2, 1 },
	{ 12, "la57", 7, 0, CPUID_ECX, 16, 1 },
	{ 13, "vmxe", 1, 0, CPUID_ECX, 5, 0 },
	{ 14, "smxe", 1, 0, CPUID_ECX, 6, 0 },
	{ 16, "fsgsbase", 7, 0, CPUID_EBX, 0, 1 },
	{ 17, "pcide", 1, 0, CPUID_ECX, 17, 1 },
	{ 18, "osxsave", 1, 0, CPUID_ECX, 26, 1 },
	{ 19, "kl", 7, 0, CPUID_ECX, 23, 0 },
	{ 20, "smep", 7, 0, CPUID_EBX, 7, 0 },
	{ 21, "smap", 7, 0, CPUID_EBX, 20, 1 },
	{ 22, "pke", 7, 0, CPUID_ECX, 3, 1 },
	{ 23, "cet", 7, 0, CPUID_ECX, 7, 0 },
	{ 24, "pks", 7, 0, CPUID_ECX, 31, 0 },
	{ 25, "uintr", 7, 0, CPUID_EDX, 5, 0 },
	{ 28, "lam_sup", 7, 1, CPUID_EAX, 26, 0 },
};

/* Checks a write of v to CR4: #GP(0) for reserved bits and the invalid
 * changes in long mode, UNSUPPORTED for what the reference cannot follow. */
static enum ref_status write_cr4(struct ref_cpu *cpu, uint64_t v)
{
	uint64_t legal = 0, unmodeled = 0;
	const char *unmodeled_name = "";
	for (unsigned i = 0; i < sizeof(cr4_bits) / sizeof(cr4_bits[0]); i++) {
		int f = cr4_bits[i].leaf ? ref_sys_feature(cpu, cr4_bits[i].leaf,
							   cr4_bits[i].sub, cr4_bits[i].reg,
							   cr4_bits[i].fbit) : 1;
		if (f < 0)
			return ref_sys_unsupported(cpu, "mov cr4:no-cpuid");
		uint64_t b = 1ull << cr4_bits[i].bit;
		if (!f)
			continue;
		legal |= b;
		if (!cr4_bits[i].model && (v & b) && !unmodeled) {
			unmodeled |= b;
			unmodeled_name = cr4_bits[i].name;
		}
	}
	if (v & ~legal)
		return ref_sys_gp(cpu, 0);
	uint64_t old = cpu->cr4, chg = old ^ v;
	if (cpu->efer & EFER_LMA) {
		/* SDM Vol. 2 MOV CR, 64-bit mode exceptions: clearing PAE
		 * in IA-32e mode, changing LA57 while LMA=1. */
		if (!(v & CR4_PAE) || (chg & CR4_LA57))
			return ref_sys_gp(cpu, 0);
	}
	/* PCIDE 0 -> 1 needs IA-32e mode and CR3[11:0] = 0 (SDM Vol. 3A
	 * 4.10.1). */
	if ((v & CR4_PCIDE) && !(old & CR4_PCIDE) &&
	    (!(cpu->efer & EFER_LMA) || (cpu->cr3 & 0xfff)))
		return ref_sys_gp(cpu, 0);
	if (unmodeled)
		return ref_sys_unsupported(cpu, "mov cr4:%s", unmodeled_name);
	/* An armed I/O breakpoint is undefined without DE (Vol. 3A 17.2.4). */
	if ((chg & CR4_DE) && !(v & CR4_DE) && ref_dbg_io_armed(cpu))
		return ref_sys_unsupported(cpu, "mov cr4:de-io-breakpoint");
	/* Legacy paging switching between 32-bit and PAE: the walk has no
	 * PAE-only mode. */
	if ((cpu->cr0 & CR0_PG) && !(cpu->efer & EFER_LMA) && (chg & CR4_PAE))
		return ref_sys_unsupported(cpu, "mov cr4:pae");
	cpu->cr4 = v;
	return REF_NEXT;
}

/* CR0: bits 63:32 must be zero; PG without PE and NW without CD are #GP;
 * clearing PG in 64-bit mode is #GP (SDM Vol. 2 MOV CR). Reserved bits
 * of 31:0 are ignored and ET is hardwired to one (SDM Vol. 3A 2.5; KVM's
 * kvm_set_cr0 does the same). A change of PE or PG switches modes: not
 * modeled. */
#define CR0_KNOWN (CR0_PE | CR0_MP | CR0_EM | CR0_TS | CR0_ET | CR0_NE | CR0_WP | \
		   CR0_AM | CR0_NW | CR0_CD | CR0_PG)

static enum ref_status write_cr0(struct ref_cpu *cpu, uint64_t v)
{
	if (v >> 32)
		return ref_sys_gp(cpu, 0);
	if (((v & CR0_PG) && !(v & CR0_PE)) || ((v & CR0_NW) && !(v & CR0_CD)))
		return ref_sys_gp(cpu, 0);
	if (ref_sys_64(cpu) && !(v & CR0_PG))
		return ref_sys_gp(cpu, 0);
	if ((cpu->efer & EFER_LME) && !(cpu->cr0 & CR0_PG) && (v & CR0_PG) &&
	    !(cpu->cr4 & CR4_PAE))
		return ref_sys_gp(cpu, 0);
	v = (v & CR0_KNOWN) | CR0_ET;
	if ((v ^ cpu->cr0) & (CR0_PE | CR0_PG))
		return ref_sys_unsupported(cpu, "mov cr0:mode");
	cpu->cr0 = v;
	return REF_NEXT;
}

/* CR3: in IA-32e mode bits 63:MAXPHYADDR are reserved (#GP); with
 * CR4.PCIDE bit 63 only says "do not flush" and is not stored (SDM Vol.
 * 3A 4.10.4.1). Outside it the register is 32 bits wide. */
static enum ref_status write_cr3(struct ref_cpu *cpu, uint64_t v)
{
	if (cpu->efer & EFER_LMA) {
		if (cpu->cr4 & CR4_PCIDE)
			v &= ~(1ull << 63);
		if (v & (cpu->pte_rsvd | ~((1ull << 52) - 1)))
			return ref_sys_gp(cpu, 0);
	}
	/* With paging on, other tables change what every later access and
	 * the exception delivery see; the reference delivers long-mode
	 * exceptions through the fixed layout without a walk, so moving the
	 * tables is not modeled (measured: KVM then shuts down on the next
	 * fault, as the architecture says). PCD/PWT and the ignored bits are
	 * followed. */
	if ((cpu->cr0 & CR0_PG) && ((v ^ cpu->cr3) & PTE_ADDR_MASK & ~0xfffull))
		return ref_sys_unsupported(cpu, "mov cr3:moved");
	cpu->cr3 = v;
	return REF_NEXT;
}

static enum ref_status mov_cr(struct ref_cpu *cpu, int to_cr, int n, int g)
{
	const int w64 = ref_sys_64(cpu);
	/* The privilege check comes first: above CPL0 even CR1 is #GP(0)
	 * (measured on the CPU: CPL3 code runs natively under kvm_pvm). */
	if (!ref_require_cpl0(cpu))
		return REF_STOP;
	/* CR8 exists in 64-bit mode only; CR1, CR5-7, CR9-15 never (SDM
	 * Vol. 2 MOV CR: #UD "if an attempt is made to access CR1, CR5,
	 * CR6, or CR7", and CR9-CR15). */
	if (n == 1 || (n >= 5 && n <= 7) || n > 8 || (n == 8 && !w64))
		return ref_sys_ud(cpu);
	const uint64_t wmask = w64 ? ~0ull : 0xffffffffull;
	if (!to_cr) {
		uint64_t v = n == 0 ? cpu->cr0 : n == 2 ? cpu->cr2 : n == 3 ? cpu->cr3 :
			     n == 4 ? cpu->cr4 : cpu->cr8;
		ref_sys_set_gpr(cpu, g, v & wmask);
		return REF_NEXT;
	}
	uint64_t v = cpu->gpr[g] & wmask;
	switch (n) {
	case 0: return write_cr0(cpu, v);
	case 2: cpu->cr2 = v; return REF_NEXT;
	case 3: return write_cr3(cpu, v);
	case 4: return write_cr4(cpu, v);
	default:
		/* CR8 is the TPR's bits 7:4; bits 63:4 are reserved (SDM
		 * Vol. 3A 10.8.6.1). */
		if (v & ~0xfull)
			return ref_sys_gp(cpu, 0);
		cpu->cr8 = v;
		return REF_NEXT;
	}
}

/* MOV to/from DR0-DR7 (SDM Vol. 2 "MOV - Move to/from Debug Registers",
 * Vol. 3A 17.2): #GP(0) above CPL0; DR4/DR5 are #UD with CR4.DE, else
 * aliases of DR6/DR7; DR8-15 #UD; with DR7.GD any access is a #DB fault
 * that sets DR6.BD (17.2.4); bits 63:32 of DR6/DR7 must be zero. */
static enum ref_status mov_dr(struct ref_cpu *cpu, int to_dr, int n, int g)
{
	const int w64 = ref_sys_64(cpu);
	if (!ref_require_cpl0(cpu))
		return REF_STOP;
	if (n > 7)
		return ref_sys_ud(cpu);
	if (n == 4 || n == 5) {
		if (cpu->cr4 & CR4_DE)
			return ref_sys_ud(cpu);
		n += 2;
	}
	if (ref_sys_dr(cpu, 7) & DR7_GD) {
		cpu->dr[6] = (ref_sys_dr(cpu, 6) & ~0xfull) | DR6_BD;
		cpu->dr[7] = ref_sys_dr(cpu, 7) & ~DR7_GD;
		return ref_raise(cpu, 1, 0, 0);
	}
	const uint64_t wmask = w64 ? ~0ull : 0xffffffffull;
	if (!to_dr) {
		ref_sys_set_gpr(cpu, g, ref_sys_dr(cpu, (unsigned)n) & wmask);
		return REF_NEXT;
	}
	uint64_t v = cpu->gpr[g] & wmask;
	if (n < 4) {
		cpu->dr[n] = v;
		return REF_NEXT;
	}
	if (v >> 32)
		return ref_sys_gp(cpu, 0);
	if (n == 6) {
		uint64_t fixed = DR6_FIXED1;
		if (ref_sys_feature(cpu, 7, 0, CPUID_EBX, 11) != 1)
			fixed |= DR6_RTM;
		cpu->dr[6] = (v & DR6_VOLATILE) | fixed;
		return REF_NEXT;
	}
	/* Enabled breakpoints fire on later instructions (ref_debug.c);
	 * the kinds it does not model end the case here. */
	const char *why = (v & DR7_ENABLES) ? ref_dbg_unmodeled(cpu, v) : NULL;
	if (why)
		return ref_sys_unsupported(cpu, "%s", why);
	cpu->dr[7] = (v & DR7_VOLATILE) | DR7_RESET;
	return REF_NEXT;
}

/* The run loop hands every MOV with a CRn/DRn operand here. The other
 * operand is always a GPR (the ModRM mod field is ignored: SDM Vol. 2 MOV
 * CR), of the full 64 bits in 64-bit mode and 32 bits elsewhere whatever
 * the prefixes. */
enum ref_status ref_sys_mov_crdr(struct ref_cpu *cpu, const cs_insn *insn)
{
	const cs_x86 *x = &insn->detail->x86;
	if (x->op_count != 2 || x->operands[0].type != X86_OP_REG ||
	    x->operands[1].type != X86_OP_REG)
		return REF_UNSUPPORTED;
	x86_reg d = x->operands[0].reg, s = x->operands[1].reg;
	int to = cr_num(d) >= 0 || dr_num(d) >= 0;
	x86_reg sysr = to ? d : s, gr = to ? s : d;
	int g = ref_reg_gpr(gr);
	if (g < 0)
		return REF_UNSUPPORTED;
	int n = cr_num(sysr);
	if (n >= 0)
		return mov_cr(cpu, to, n, g);
	return mov_dr(cpu, to, dr_num(sysr), g);
}

/* ---- CR0 instructions --------------------------------------------------- */

/* CLTS: CR0.TS = 0 (SDM Vol. 2 CLTS). */
static enum ref_status sys_clts(struct ref_cpu *cpu, const cs_insn *insn)
{
	(void)insn;
	if (!ref_require_cpl0(cpu))
		return REF_STOP;
	cpu->cr0 &= ~CR0_TS;
	return REF_NEXT;
}

/* LMSW r/m16: loads CR0 bits 3:0 (PE MP EM TS); PE can be set but not
 * cleared (SDM Vol. 2 LMSW). Setting PE leaves real mode: not modeled. */
static enum ref_status sys_lmsw(struct ref_cpu *cpu, const cs_insn *insn)
{
	(void)insn;
	if (!ref_require_cpl0(cpu))
		return REF_STOP;
	uint64_t v;
	if (ref_read_op(cpu, 0, &v) < 0)
		return REF_STOP;
	v &= 0xf;
	uint64_t cr0 = (cpu->cr0 & ~0xeull) | (v & 0xe) | (cpu->cr0 & CR0_PE) | (v & CR0_PE);
	if ((cr0 ^ cpu->cr0) & CR0_PE)
		return ref_sys_unsupported(cpu, "lmsw:pe");
	cpu->cr0 = cr0;
	return REF_NEXT;
}

/* SMSW: CR0 bits 15:0 to memory (2 bytes); to a register of the operand
 * size, CR0 zero-extended (SDM Vol. 2 SMSW, 64-bit examples). Outside
 * 64-bit mode the upper 16 bits of a 32-bit register are "undefined":
 * masked. With CR4.UMIP, #GP(0) above CPL0 (SDM Vol. 3A 2.5). */
static enum ref_status sys_smsw(struct ref_cpu *cpu, const cs_insn *insn)
{
	const cs_x86_op *o = &insn->detail->x86.operands[0];
	if ((cpu->cr4 & CR4_UMIP) && cpu->cpl > 0)
		return ref_sys_gp(cpu, 0);
	if (o->type == X86_OP_MEM)
		return ref_mem_write(cpu, ref_op_seg(cpu, 0), ref_op_addr(cpu, 0), 2,
				     cpu->cr0 & 0xffff) < 0 ? REF_STOP : REF_NEXT;
	int g = ref_reg_gpr(o->reg);
	if (g < 0)
		return REF_UNSUPPORTED;
	unsigned size = ref_reg_size(o->reg);
	ref_set_reg(cpu, o->reg, cpu->cr0);
	ref_note_gpr_write(cpu, g);
	if (size == 4 && !ref_sys_64(cpu))
		ref_sys_undefine_gpr(cpu, g);
	return REF_NEXT;
}

/* ---- cache and TLB ------------------------------------------------------- */

/* INVLPG m: the identity map never changes under a case, so flushing one
 * entry changes nothing the case can see. #GP(0) above CPL0; the register
 * form is not INVLPG (0F 01 /7 mod=3 is SWAPGS/RDTSCP). A non-canonical
 * address is a no-op, not a fault (SDM Vol. 2 INVLPG, 64-bit mode). */
static enum ref_status sys_invlpg(struct ref_cpu *cpu, const cs_insn *insn)
{
	if (insn->detail->x86.operands[0].type != X86_OP_MEM)
		return ref_sys_ud(cpu);
	return ref_require_cpl0(cpu) ? REF_NEXT : REF_STOP;
}

/* WBINVD, INVD: caches are invisible here: no-ops at CPL0. */
static enum ref_status sys_cache(struct ref_cpu *cpu, const cs_insn *insn)
{
	(void)insn;
	return ref_require_cpl0(cpu) ? REF_NEXT : REF_STOP;
}

/* ---- flags ------------------------------------------------------------------ */

/* STI: IF = 1. The IOPL check (CPL <= IOPL, else #GP(0); SDM Vol. 2 STI,
 * table 4-19) is made by the run loop before dispatch. The one-instruction
 * interrupt shadow matters only when an interrupt is pending, which never
 * happens here: no device raises one. */
static enum ref_status sys_sti(struct ref_cpu *cpu, const cs_insn *insn)
{
	(void)insn;
	if (cpu->cpl > ((cpu->rflags >> 12) & 3) && cpu->mode != MODE_REAL16)
		return ref_sys_gp(cpu, 0);
	cpu->rflags |= RFLAGS_IF;
	return REF_NEXT;
}

/* STAC/CLAC: RFLAGS.AC = 1/0. #UD without CPUID.(7,0):EBX.SMAP[20] and
 * above CPL0 (SDM Vol. 2 STAC, CLAC). */
static enum ref_status stac_clac(struct ref_cpu *cpu, int set)
{
	int f = ref_sys_feature(cpu, 7, 0, CPUID_EBX, 20);
	if (f < 0)
		return REF_UNSUPPORTED;
	if (!f || cpu->cpl > 0)
		return ref_sys_ud(cpu);
	if (set)
		cpu->rflags |= RFLAGS_AC_BIT;
	else
		cpu->rflags &= ~RFLAGS_AC_BIT;
	return REF_NEXT;
}

static enum ref_status sys_stac(struct ref_cpu *cpu, const cs_insn *insn)
{
	(void)insn;
	return stac_clac(cpu, 1);
}

static enum ref_status sys_clac(struct ref_cpu *cpu, const cs_insn *insn)
{
	(void)insn;
	return stac_clac(cpu, 0);
}

/* MONITOR/MWAIT: #UD without CPUID.01H:ECX.MONITOR[3] and above CPL0
 * (SDM Vol. 2 MONITOR, MWAIT). With the feature, what a hypervisor does
 * (treat them as NOPs, really wait, exit to user space) is its choice and
 * not architectural: UNSUPPORTED. */
static enum ref_status sys_monitor(struct ref_cpu *cpu, const cs_insn *insn)
{
	int f = ref_sys_feature(cpu, 1, 0, CPUID_ECX, 3);
	if (f < 0)
		return REF_UNSUPPORTED;
	if (!f || cpu->cpl > 0)
		return ref_sys_ud(cpu);
	return ref_sys_unsupported(cpu, "%s:feature", insn->mnemonic);
}

/* SWAPGS: 64-bit mode only (#UD elsewhere), #GP(0) above CPL0; swaps
 * GS.base with IA32_KERNEL_GS_BASE (SDM Vol. 2 SWAPGS). */
static enum ref_status sys_swapgs(struct ref_cpu *cpu, const cs_insn *insn)
{
	(void)insn;
	if (!ref_sys_64(cpu))
		return ref_sys_ud(cpu);
	if (!ref_require_cpl0(cpu))
		return REF_STOP;
	uint64_t t = cpu->seg[SEG_GS].base;
	cpu->seg[SEG_GS].base = cpu->msr_kernel_gs_base;
	cpu->msr_kernel_gs_base = t;
	return REF_NEXT;
}

const struct ref_sem ref_sem_sys[] = {
	{ X86_INS_CLTS, sys_clts },     { X86_INS_LMSW, sys_lmsw },
	{ X86_INS_SMSW, sys_smsw },     { X86_INS_INVLPG, sys_invlpg },
	{ X86_INS_WBINVD, sys_cache },  { X86_INS_INVD, sys_cache },
	{ X86_INS_STI, sys_sti },       { X86_INS_STAC, sys_stac },
	{ X86_INS_CLAC, sys_clac },     { X86_INS_MONITOR, sys_monitor },
	{ X86_INS_MWAIT, sys_monitor }, { X86_INS_SWAPGS, sys_swapgs },
};
const unsigned ref_sem_sys_count = sizeof(ref_sem_sys) / sizeof(ref_sem_sys[0]);
