/*
 * TMK runtime: the data a generated cases.c hands to the runtime, and the
 * constants shared by the runtime's C and assembly. Freestanding: no libc.
 * See docs/tmk.md for the design (two address spaces, the trampoline alias,
 * the NMI that ends a HLT).
 */
#ifndef EXITDIFF_TMK_H
#define EXITDIFF_TMK_H

/* Where the image is linked and loaded (multiboot a.out-kludge fields).
 * The VMM batch image is linked at 2 MiB (Makefile): there a case that
 * turns A20 off (port 0x92) does not take the runtime away. */
#ifndef TMK_LOAD_ADDR
#define TMK_LOAD_ADDR   0x100000
#endif

/* The trampoline alias: one PML4 slot (256) the case environment of
 * core/layout.h leaves empty. Its code page and data page are mapped
 * supervisor-only and read-only there, in both address spaces. */
#define TMK_TRAMP_VA    0xffff800000000000
#define TMK_TRAMP_PML4I 256

/* Offsets in the trampoline data page (written by the runtime, read by the
 * trampoline under the case's CR3). */
#define TD_GPR     0      /* 16 quadwords, hardware order (RSP slot unused) */
#define TD_FRAME   128    /* IRETQ frame: RIP, CS, RFLAGS, RSP, SS */
#define TD_SEGS    168    /* DS, ES, FS, GS selectors (quadwords), loaded
			     before the IRETQ (the cpl3 knob wants 0x33) */

/* Legacy modes (prot32, prot32-paged, prot32-pae, real16; rt_modes.S). The runtime
 * leaves long mode for each such case and comes back when it ends. The
 * shared block (struct rt_leg below; offsets for the assembly, all
 * little-endian): what to load, then what the NMI handler saw. */
#define LEG_GPR      0    /* 8 dwords: EAX..EDI, hardware order */
#define LEG_EFLAGS   32
#define LEG_CR0      36
#define LEG_CR3      40
#define LEG_CR4      44
#define LEG_IDTR     48   /* limit word, base dword */
#define LEG_SEG      56   /* ES, SS, DS, FS, GS selector words */
#define LEG_FAR      68   /* EIP dword, CS word: the case's first instruction */
#define LEG_GDTR     76   /* the layout's GDTR (limit, base) */
#define LEG_BGDTR    84   /* the runtime's boot GDTR, for the way back */
#define LEG_OUT_GPR  92   /* 8 dwords at the NMI */
#define LEG_OUT_EIP  124  /* prot32: the NMI frame (EIP, CS, EFLAGS) */
#define LEG_OUT_CS   128
#define LEG_OUT_EFL  132
#define LEG_OUT_SS   136
#define LEG_OUT_ESP  140  /* ESP in the NMI handler: the NMI frame is there */
#define LEG_EFER     144  /* EFER low dword of the mode (prot32-pae: NXE) */
#define LEG_SIZE     148
/* Real mode cannot reach the image at 1 MiB: a position-independent blob
 * (code + its copy of the block) is copied to RM_BLOB_ADDR and runs with
 * CS = RM_BLOB_SEG. */
#define RM_BLOB_ADDR 0x20000
#define RM_BLOB_SEG  0x2000
/* Runtime GDT selectors (boot.S): the way in and out of real mode. */
#define BOOT_SEL_CODE64 0x08
#define BOOT_SEL_DATA   0x10
#define BOOT_SEL_CODE32 0x18
#define BOOT_SEL_CODE16 0x20   /* base RM_BLOB_ADDR, limit 0xffff, 16-bit */
#define BOOT_SEL_DATA16 0x28   /* limit 0xffff, 16-bit: real-mode limits */

/* One-shot PIT channel 0 count that bounds a case (1.193182 MHz):
 * 59659 ticks = 50 ms, config.h's KVM_TIME_BUDGET_US. */
#define TMK_PIT_COUNT   59659

/* Header the host reads without running the image: right after the
 * multiboot header. Magic "XDTMK64" + version; entry64 is the 64-bit entry
 * point for loaders that start the image in long mode (with CR3 = boot_cr3);
 * names is the address of the NUL-separated test name list. */
#define TMK_HDR_MAGIC   "XDTMK64"
#define TMK_HDR_VERSION 1

#ifndef __ASSEMBLER__
#include <stdint.h>

/* A run of expected bytes in the compare window that differ from the
 * case's initial memory. */
struct tmk_mem_run {
	uint32_t addr;
	uint32_t len;
	const uint8_t *bytes;
};

/* Terminal kinds the runtime can observe (numbers of core/exit_kinds.def). */
enum tmk_kind {
	TMK_HLT = 2, TMK_EXCEPTION = 3, TMK_SHUTDOWN = 4, TMK_TIMEOUT = 7,
};

struct tmk_expect {
	uint8_t kind;             /* enum tmk_kind */
	uint8_t vector;
	uint8_t has_error_code;
	uint32_t error_code;
	uint64_t exc_rip;
	uint64_t cr2;
	uint64_t gpr[16];
	uint64_t rip, rflags;
	uint64_t undefined_flags; /* masked in RFLAGS */
	uint32_t masked_gprs;     /* 1 << GPR: not compared (no executor can
				     predict it, RDTSC; or the host decides it,
				     CPUID: outcome.h undefined_gprs, host_gprs) */
	uint64_t xmm[16][2];      /* [i][0] bits 63:0; zero unless the case wrote it */
	uint32_t n_mem;
	const struct tmk_mem_run *mem;
};

struct tmk_case {
	const char *id;
	uint8_t mode;             /* enum cpu_mode of core/case.h */
	uint32_t knobs;           /* KNOB_* bits */
	uint64_t gpr[16];
	uint64_t rflags;
	uint32_t code_len, data_len;
	const uint8_t *code, *data;
	struct tmk_expect expect;
	const char *skip;         /* why a guest cannot reproduce it, or NULL */
};

/* Provided by the generated cases.c. */
extern const struct tmk_case *const tmk_cases[];
extern const unsigned tmk_ncases;

/* rt_io.c */
void rt_outb(uint16_t port, uint8_t v);
uint8_t rt_inb(uint16_t port);
void rt_puts(const char *s);
void rt_puthex(uint64_t v);
void rt_putdec(uint64_t v);
__attribute__((noreturn)) void rt_exit(unsigned code);

/* rt_lib.c: what gcc may call even in freestanding code. */
void *memcpy(void *d, const void *s, unsigned long n);
void *memset(void *d, int c, unsigned long n);
int memcmp(const void *a, const void *b, unsigned long n);
int rt_streq(const char *a, const char *b);

/* rt_cpu.c */
void rt_cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4]);
void rt_wrmsr(uint32_t msr, uint64_t v);
/* Puts back the MSRs, debug registers, CR2 and CR8 as the first case
 * found them (read at the first call), before each case. */
void rt_carried_restore(void);

/* rt_env.c */
uint8_t *rt_phys(uint64_t pa);
void rt_env_build(void);
/* A case is about to run: the next rt_env_build() compares the system
 * part with what it must be (the runtime alone never writes it). */
void rt_env_case_runs(void);
void rt_platform_init(void);
/* Arms the one-shot PIT NMI that bounds a case: count ticks of 1.193182 MHz. */
void rt_timer_arm(uint16_t count);
void rt_timer_disarm(void);

/* What the runtime observed when a case ended. */
struct tmk_obs {
	uint8_t kind;             /* enum tmk_kind */
	uint8_t vector;
	uint8_t has_error_code;
	uint32_t error_code;
	uint64_t exc_rip, cr2;
	uint64_t gpr[16];
	uint64_t rip, rflags;
	/* Bytes the runtime's own NMI frame overwrote on the case's stack
	 * (legacy modes: no stack switch there), left out of the memory
	 * compare; len 0 when none. */
	uint32_t nmi_frame, nmi_frame_len;
	/* prot32 exceptions: the byte holding RF (EFLAGS bit 16) of the
	 * frame on the case's stack, 0 when none. RF in a fault's frame is
	 * set by hardware and KVM, left clear by QEMU TCG: how the frame was
	 * pushed, not what the case did (as RFLAGS.RF in rt_check). */
	uint32_t rf_byte;
	/* Legacy modes: an exception was taken on the runtime's own stack,
	 * i.e. by the runtime's mode switch before the case ran (vector in
	 * vector, the frame's EIP and CS here); entry_fault 0 when the case ran. */
	uint8_t entry_fault;
	uint32_t entry_fault_eip, entry_fault_cs;
	/* GPR bits compared (real16: ESP[31:16] is not, see rt_check.c). */
	uint64_t rsp_mask;
	uint64_t xmm[16][2];
};

/* The legacy-mode block (offsets LEG_* above). */
struct rt_leg {
	uint32_t gpr[8];
	uint32_t eflags, cr0, cr3, cr4;
	uint16_t idt_limit;
	uint32_t idt_base __attribute__((packed));
	uint16_t pad0;
	uint16_t seg[5];          /* ES SS DS FS GS */
	uint16_t pad1;
	uint32_t far_eip;
	uint16_t far_cs, pad2;
	uint16_t gdt_limit;
	uint32_t gdt_base __attribute__((packed));
	uint16_t pad3;
	uint16_t bgdt_limit;
	uint32_t bgdt_base __attribute__((packed));
	uint16_t pad4;
	uint32_t out_gpr[8];
	uint32_t out_eip, out_cs, out_eflags, out_ss, out_esp;
	uint32_t efer;
};

/* rt_modes.S */
extern struct rt_leg rt_leg;
extern uint8_t rm_blob[], rm_blob_end[], rm_data[], rm_nmi[];
extern uint8_t leg_nmi32[];
extern uint32_t rt_leg_mode;     /* 0 protected mode, 1 real mode, 2 v86 */
/* Leaves long mode, runs the case described by rt_leg (or, real mode, by
 * the blob's copy), returns in long mode when the runtime's NMI ended it. */
void rt_run_legacy(void);

/* rt_check.c */
/* After a long64 or compat32 case (trampoline.S's NMI or stub
 * frame on IST1); registers masked as mode m reports them. */
void rt_observe(uint8_t mode, struct tmk_obs *o);
/* The same for a legacy-mode case (prot32, prot32-paged, real16). */
void rt_observe_legacy(const struct tmk_case *c, struct tmk_obs *o);
/* XMM0-15: zeroed before a case (every executor starts it so), read back
 * after it, with the runtime's own CR0/CR4 (OSFXSR set, TS and EM clear)
 * in force. */
void rt_xmm_zero(void);
void rt_xmm_read(uint64_t xmm[16][2]);
/* Compares with the expectation; prints PASS/FAIL. Returns 1 on a pass. */
int rt_check(const struct tmk_case *c, const struct tmk_obs *o,
	     const uint8_t *initial_window);

/* rt_exec.c */
/* The CR4 feature a knob of knobs needs and this CPU lacks (CPUID), or
 * NULL when it has them all. */
const char *rt_missing_feature(uint32_t knobs);
/* Runs c in its mode with its knobs, bounded by a PIT count, into o;
 * initial_window gets the compare window as the case started. */
void rt_execute(const struct tmk_case *c, uint16_t pit_count, struct tmk_obs *o,
		uint8_t *initial_window);

/* trampoline.S */
void rt_run_case(void);          /* enters the case, returns when it ends */
void rt_main(void);
void rt_runtime_fault(uint64_t vector, uint64_t *frame);
extern uint8_t tramp_code[], tramp_data[];
extern volatile uint64_t rt_regs[16];
extern volatile uint64_t rt_trap_vector, rt_trap_frame;

/* boot.S */
extern uint32_t mb_magic, mb_info;
extern uint64_t boot_pml4[];
extern uint8_t boot_stack[], boot_stack_top[];
#endif

#endif
