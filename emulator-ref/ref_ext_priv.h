/* Private to the 64-bit breadth families (ref_bits.c, ref_xchg.c,
 * ref_flagreg.c, ref_string.c): their table fragments, which ref_table.c
 * merges, and the comparison flags two of them share. */
#ifndef EXITDIFF_REF_EXT_PRIV_H
#define EXITDIFF_REF_EXT_PRIV_H

#include "ref_alu_priv.h"

extern const struct ref_sem ref_sem_bits[];    /* BT* BSF BSR LZCNT TZCNT
						  POPCNT BSWAP SHLD SHRD */
extern const unsigned ref_sem_bits_count;
extern const struct ref_sem ref_sem_xchg[];    /* XADD CMPXCHG CMPXCHG8B/16B */
extern const unsigned ref_sem_xchg_count;
extern const struct ref_sem ref_sem_flagreg[]; /* LAHF SAHF PUSHF POPF CLI */
extern const unsigned ref_sem_flagreg_count;
extern const struct ref_sem ref_sem_string[];  /* MOVS STOS LODS SCAS CMPS */
extern const unsigned ref_sem_string_count;
extern const struct ref_sem ref_sem_misc[];    /* ENTER LEAVE MOVBE ADCX ADOX
						  fences CLFLUSH* PREFETCH*
						  MOVNTI CRC32 UD1 XLAT BOUND
						  BCD (ref_misc.c) */
extern const unsigned ref_sem_misc_count;

extern const struct ref_sem ref_sem_sse[];     /* MOVAPS.. MOVDQU MOVD MOVQ
						  PXOR PAND PANDN POR (ref_sse.c) */
extern const unsigned ref_sem_sse_count;

/* x87/MMX/SSE/AVX availability (ref_fpsse.c): raises #NM or #UD as
 * CR0.EM/TS/MP, CR4.OSFXSR/OSXSAVE and XCR0 demand and returns 1 (the
 * case then stops, or resumes at the delivered handler), else 0. The run
 * loop calls it after the LOCK check, before the table lookup. */
int ref_fpsse_check(struct ref_cpu *cpu, const cs_insn *insn);
/* The system-instruction family (ref_sys*.c, private header ref_sys_priv.h). */
extern const struct ref_sem ref_sem_sys[];      /* MOV CR/DR, CLTS, LMSW, SMSW,
						   INVLPG, WBINVD, STI, STAC,
						   MONITOR, SWAPGS */
extern const unsigned ref_sem_sys_count;
extern const struct ref_sem ref_sem_sys_desc[]; /* LGDT.. SLDT STR LLDT LTR
						   VERR VERW LAR LSL */
extern const unsigned ref_sem_sys_desc_count;
extern const struct ref_sem ref_sem_sys_msr[];  /* RDMSR WRMSR SYSCALL SYSRET
						   RDTSC(P) RDRAND XGETBV
						   XSETBV RD/WRFSBASE.. */
extern const unsigned ref_sem_sys_msr_count;
extern const struct ref_sem ref_sem_hypercall[]; /* VMCALL VMMCALL: KVM's ABI */
extern const unsigned ref_sem_hypercall_count;

/* All six status flags of the comparison a - b in size bytes, as CMP
 * sets them (SDM Vol. 1 3.4.3.1). */
static inline uint64_t ref_cmp_flags(uint64_t a, uint64_t b, unsigned size)
{
	return ref_sub_flags(a, b, (a - b) & alu_mask(size), size);
}

#endif
