/*
 * TMK runtime: the guest environment of core/layout.h, built by the very
 * same layout.c at physical 0, plus the three things the runtime needs to
 * get control back from a case (docs/tmk.md, "differences"):
 *  - every IDT gate's offset points at the trampoline alias (the IST, type,
 *    DPL and selector stay as layout.c wrote them);
 *  - PML4 slot 256 of the layout's tables points at the trampoline tables;
 *  - a one-shot PIT -> IOAPIC -> NMI bounds every case and wakes a HLT;
 *  - legacy modes: IDT32 gate 2 and IVT vector 2 (the NMI) point at the
 *    runtime's handlers (rt_modes.S); every other vector keeps the layout's
 *    stub, so exceptions are delivered exactly as in the executors; and
 *    PT32 and PT_PAE map the runtime image (1 MiB up) for prot32-paged
 *    and prot32-pae.
 */
#include "tmk.h"
#include "layout.h"

#define IOAPIC_BASE   0xfec00000ull
#define IOAPIC_PIN_PIT 2           /* ISA IRQ0 is wired to pin 2 (MADT override) */
#define MSR_EFER      0xc0000080u
#define MSR_FS_BASE   0xc0000100u
#define MSR_GS_BASE   0xc0000101u
#define MSR_KGS_BASE  0xc0000102u

extern uint64_t tramp_pdpt[];
extern uint8_t _bss_end[];

/* Physical 0 as a pointer the compiler cannot reason about (layout.c
 * writes through it; -fno-delete-null-pointer-checks keeps it honest). */
uint8_t *rt_phys(uint64_t pa)
{
	uint8_t *p = (uint8_t *)(uintptr_t)pa;
	__asm__("" : "+r"(p));
	return p;
}

static void put64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* Points gate v at the trampoline's entry for v (SDM Vol. 3A 6.14.1: offset
 * bits 15:0 at byte 0, 31:16 at byte 6, 63:32 at byte 8). */
static void patch_idt(uint8_t *ram)
{
	for (unsigned v = 0; v < 256; v++) {
		uint64_t off = TMK_TRAMP_VA + 8ull * v;
		uint8_t *g = ram + LAYOUT_IDT + 16 * v;
		g[0] = (uint8_t)off;
		g[1] = (uint8_t)(off >> 8);
		g[6] = (uint8_t)(off >> 16);
		g[7] = (uint8_t)(off >> 24);
		for (int i = 0; i < 4; i++)
			g[8 + i] = (uint8_t)(off >> (32 + 8 * i));
	}
}

/* IDT32 gate 2 -> SEL_CODE32:leg_nmi32 (offset 15:0 at byte 0, 31:16 at
 * byte 6, SDM Vol. 3A 6.11); IVT 2 -> RM_BLOB_SEG:rm_nmi (Vol. 3B 20.1.4);
 * the image identity-mapped, supervisor, in PT32 (it lies in 0..4 MiB)
 * and in PAE paging's tables: PT_PAE below 2 MiB, 2 MiB pages of PD_PAE
 * above (PT_PAE covers 0..2 MiB only, and a large image goes past it). */
static void patch_legacy(uint8_t *ram)
{
	uint32_t off = (uint32_t)(uintptr_t)leg_nmi32;
	uint8_t *g = ram + LAYOUT_IDT32 + 8 * 2;
	g[0] = (uint8_t)off;
	g[1] = (uint8_t)(off >> 8);
	g[6] = (uint8_t)(off >> 16);
	g[7] = (uint8_t)(off >> 24);
	uint32_t rm = (uint32_t)(rm_nmi - rm_blob);
	uint8_t *v = ram + LAYOUT_IVT + 4 * 2;
	v[0] = (uint8_t)rm;
	v[1] = (uint8_t)(rm >> 8);
	v[2] = (uint8_t)RM_BLOB_SEG;
	v[3] = (uint8_t)(RM_BLOB_SEG >> 8);
	for (uint32_t a = TMK_LOAD_ADDR; a < (uint32_t)(uintptr_t)_bss_end; a += PAGE_SIZE) {
		uint32_t pte = a | (uint32_t)(PTE_P | PTE_W | PTE_A | PTE_D);
		uint8_t *e = ram + LAYOUT_PT32 + 4 * (a >> 12);
		for (int i = 0; i < 4; i++)
			e[i] = (uint8_t)(pte >> (8 * i));
		if (a < 0x200000u)
			put64(ram + LAYOUT_PT_PAE + 8 * (a >> 12), pte);
		else
			put64(ram + LAYOUT_PD_PAE + 8 * (a >> 21),
			      (a & ~0x1fffffu) | PTE_P | PTE_W | PTE_A | PTE_D | PTE_PS);
	}
}

struct __attribute__((packed)) dtr {
	uint16_t limit;
	uint64_t base;
};

/* Loads GDTR, IDTR, TR, segments and control registers exactly as the KVM
 * executor sets them (harness/kvm_vm.c). */
static void load_system_state(uint8_t *ram)
{
	static const struct dtr gdtr = { LAYOUT_GDT_ENTRIES * 8 - 1, LAYOUT_GDT };
	static const struct dtr idtr = { 0xfff, LAYOUT_IDT };
	__asm__ volatile("lgdt %0" : : "m"(gdtr));
	__asm__ volatile("lidt %0" : : "m"(idtr));
	/* LTR wants an available TSS and marks it busy (SDM 3A 8.2.3); the
	 * layout stores it busy, so flip the type for the load: the byte ends
	 * as layout.c wrote it. */
	ram[LAYOUT_GDT + SEL_TSS + 5] = 0x89;
	__asm__ volatile("ltr %w0" : : "r"((uint16_t)SEL_TSS));
	__asm__ volatile(
		"pushq %0\n\t"
		"leaq 1f(%%rip), %%rax\n\t"
		"pushq %%rax\n\t"
		"lretq\n"
		"1:\n\t"
		"movl %1, %%eax\n\t"
		"movl %%eax, %%ds\n\t"
		"movl %%eax, %%es\n\t"
		"movl %%eax, %%ss\n\t"
		"movl %%eax, %%fs\n\t"
		"movl %%eax, %%gs\n\t"
		: : "i"(SEL_CODE64), "i"(SEL_DATA) : "rax", "memory");
	rt_wrmsr(MSR_EFER, LM_EFER & ~(1ull << 10)); /* LMA is read-only */
	rt_wrmsr(MSR_FS_BASE, 0);
	rt_wrmsr(MSR_GS_BASE, 0);
	rt_wrmsr(MSR_KGS_BASE, 0);
	__asm__ volatile("movq %0, %%cr4" : : "r"((uint64_t)LM_CR4));
	__asm__ volatile("movq %0, %%cr0" : : "r"((uint64_t)LM_CR0));
}

/* The system part is built in a staging copy, then only the bytes that
 * differ are written to physical memory: the live GDT, IDT and page tables
 * never pass through zero. (Measured: under kvm_pvm, zeroing them in place
 * after a case had run made the next instruction shut the vCPU down.) */
static uint8_t stage[LAYOUT_RW_BASE] __attribute__((aligned(4096)));

static int stage_ready;
/* The system part matches the stage: rt_env_build() restored it and only
 * the runtime ran since, which never writes it. Cleared before each case
 * (rt_env_case_runs): a second compare of the 64 KiB before the next case
 * would find nothing, and under QEMU TCG it was a large part of a batch
 * image's case (a REP runs one iteration per pass through its loop). */
static int system_matches;

void rt_env_case_runs(void)
{
	system_matches = 0;
}

void rt_env_build(void)
{
	uint64_t *ram = (uint64_t *)rt_phys(0);
	const uint64_t *st = (const uint64_t *)stage;
	if (!stage_ready) {
		layout_build(stage);
		patch_idt(stage);
		patch_legacy(stage);
		put64(stage + LAYOUT_PML4 + 8 * TMK_TRAMP_PML4I,
		      (uint64_t)(uintptr_t)tramp_pdpt | PTE_P | PTE_W | PTE_A);
		stage_ready = 1;
	}
#ifdef TMK_BATCH_IMAGE
	/* 64 bytes a pass, no string instruction (rt_lib.c says why). */
	const uint64_t *a = st;
	uint64_t *b = ram;
	for (uint64_t i = system_matches ? LAYOUT_RW_BASE / 8 : 0; i < LAYOUT_RW_BASE / 8; i += 8) {
		uint64_t x = (a[i] ^ b[i]) | (a[i + 1] ^ b[i + 1]) | (a[i + 2] ^ b[i + 2]) |
			     (a[i + 3] ^ b[i + 3]) | (a[i + 4] ^ b[i + 4]) | (a[i + 5] ^ b[i + 5]) |
			     (a[i + 6] ^ b[i + 6]) | (a[i + 7] ^ b[i + 7]);
		if (x)
			for (unsigned k = 0; k < 8; k++)
				if (b[i + k] != a[i + k])
					b[i + k] = a[i + k];
	}
#else
	/* Find differing quadwords with REPE CMPSQ: under kvm_pvm every
	 * runtime instruction is emulated, and one string instruction costs
	 * far less than a loop of them. */
	uint64_t left = system_matches ? 0 : LAYOUT_RW_BASE / 8;
	const uint64_t *a = st;
	uint64_t *b = ram;
	while (left) {
		uint8_t ne;
		__asm__ volatile("repe cmpsq\n\tsetne %0"
				 : "=qm"(ne), "+S"(a), "+D"(b), "+c"(left) : : "memory", "cc");
		if (!ne)
			break;
		b[-1] = a[-1];
	}
#endif
	system_matches = 1;
	load_system_state((uint8_t *)ram);
}

static void ioapic_write(uint32_t reg, uint32_t v)
{
	volatile uint32_t *sel = (volatile uint32_t *)rt_phys(IOAPIC_BASE);
	volatile uint32_t *win = (volatile uint32_t *)rt_phys(IOAPIC_BASE + 0x10);
	*sel = reg;
	*win = v;
}

/* The 8259s are masked (no ExtINT) and the IOAPIC turns the PIT's edge into
 * an NMI for APIC 0: an NMI ends a HLT even with RFLAGS.IF = 0, which is
 * how every case runs (SDM Vol. 3A 6.7, 10.6.x IOAPIC delivery mode NMI). */
void rt_platform_init(void)
{
	rt_timer_disarm(); /* the BIOS left it ticking at 18.2 Hz */
	rt_outb(0x21, 0xff);
	rt_outb(0xa1, 0xff);
	ioapic_write(0x10 + 2 * IOAPIC_PIN_PIT + 1, 0);          /* dest APIC 0 */
	ioapic_write(0x10 + 2 * IOAPIC_PIN_PIT, (4u << 8) | 2);  /* NMI, edge */
}

/* Mode 0 (interrupt on terminal count): OUT rises once when the count
 * runs out, one edge, one NMI. */
void rt_timer_arm(uint16_t count)
{
	rt_outb(0x43, 0x30);
	rt_outb(0x40, count & 0xff);
	rt_outb(0x40, count >> 8);
}

/* Stopping the count: a control word alone does not stop KVM's in-kernel
 * PIT (it keeps the running timer), but loading a count in mode 5 does;
 * on a PIT modelled after the 8254, mode 5 waits for a gate edge that
 * channel 0 never sees. Either way no NMI follows. */
void rt_timer_disarm(void)
{
	rt_outb(0x43, 0x3a);
	rt_outb(0x40, 0xff);
	rt_outb(0x40, 0xff);
}
