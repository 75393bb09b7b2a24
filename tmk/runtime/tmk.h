/*
 * TMK runtime: the data a generated cases.c hands to the runtime, and the
 * constants shared by the runtime's C and assembly. Freestanding: no libc.
 * See docs/tmk.md for the design (two address spaces, the trampoline alias,
 * the NMI that ends a HLT).
 */
#ifndef EXITDIFF_TMK_H
#define EXITDIFF_TMK_H

/* Where the image is linked and loaded (multiboot a.out-kludge fields). */
#define TMK_LOAD_ADDR   0x100000

/* The trampoline alias: one PML4 slot (256) the case environment of
 * core/layout.h leaves empty. Its code page and data page are mapped
 * supervisor-only and read-only there, in both address spaces. */
#define TMK_TRAMP_VA    0xffff800000000000
#define TMK_TRAMP_PML4I 256

/* Offsets in the trampoline data page (written by the runtime, read by the
 * trampoline under the case's CR3). */
#define TD_GPR     0      /* 16 quadwords, hardware order (RSP slot unused) */
#define TD_FRAME   128    /* IRETQ frame: RIP, CS, RFLAGS, RSP, SS */

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
	uint32_t n_mem;
	const struct tmk_mem_run *mem;
};

struct tmk_case {
	const char *id;
	uint64_t gpr[16];
	uint64_t rflags;
	uint32_t code_len, data_len;
	const uint8_t *code, *data;
	struct tmk_expect expect;
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

/* rt_env.c */
uint8_t *rt_phys(uint64_t pa);
void rt_env_build(void);
void rt_platform_init(void);
void rt_timer_arm(void);
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
};

/* rt_check.c */
void rt_observe(struct tmk_obs *o);
/* Compares with the expectation; prints PASS/FAIL. Returns 1 on a pass. */
int rt_check(const struct tmk_case *c, const struct tmk_obs *o,
	     const uint8_t *initial_window);

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
#endif

#endif
