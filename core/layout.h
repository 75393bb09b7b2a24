/*
 * The guest environment, defined once. The KVM executor, the reference
 * executor and the TMK runtime all build from this header and layout.c, so
 * they can never disagree about where anything is.
 *
 * Guest physical == guest virtual (identity paging). Everything the guest
 * can reach lives in the first 96 KiB, plus one MMIO page far above RAM.
 *
 *   0x00000 .. 0x00fff  unmapped (null page: any access faults); the
 *                       real-mode IVT lives at its start
 *   0x01000             GDT, then the 64-bit TSS in the same page   (RO)
 *   0x01a00             v86's 32-bit TSS and its I/O bitmap          (RO)
 *   0x02000             IDT, 256 16-byte gates, all on IST1          (RO)
 *   0x03000             exception stubs: one HLT byte per vector      (RO, X)
 *   0x04000 .. 0x09fff  page tables (PML4, PDPT, PD, PT, PD_HI, PT_HI)(RO)
 *   0x0a000             IDT32: 256 8-byte gates (prot32 modes)       (RO)
 *   0x0a800             PAE PDPT: 4 entries (prot32-pae's CR3)        (RO)
 *   0x0b000 .. 0x0dfff  32-bit paging: PD32, PT32, PT32_HI             (RO)
 *   0x0e000 .. 0x0ffff  PAE paging: PD_PAE, PT_PAE                     (RO)
 *   0x10000             code page: case code, then HLT padding      (RW, X)
 *   0x11000             unmapped (a jump past the code page faults)
 *   0x12000 .. 0x13fff  data pages 0 and 1 (a split access crosses)   (RW, NX)
 *   0x14000             unmapped (an access past the data faults)
 *   0x15000             stack page, RSP starts at its top (0x16000)  (RW, NX)
 *   0x16000             unmapped (a POP at the initial RSP faults)
 *   0x17000             exception stack (IST1), top 0x18000          (RW, NX)
 *   0xc0000000          MMIO window: mapped by the page tables, backed by
 *                       no memory, so every access is an MMIO exit   (RW, X)
 *   everything else     not present: #PF
 *
 * Without paging (prot32, real16) every byte of RAM is reachable and
 * everything outside it is an MMIO exit. The system part (below
 * LAYOUT_RW_BASE) sits in a read-only memslot, so a write there is an MMIO
 * write exit that changes nothing; the unmapped pages inside the writable
 * part are plain RAM then, reset per case (mode_reset_ram in mode.h).
 *
 * "RO" pages are mapped read-only with CR0.WP=1, so a case that writes them
 * takes #PF instead of corrupting the environment. All A and D bits (PTEs
 * and descriptors) are preset so no executor ever writes them back.
 */
#ifndef EXITDIFF_LAYOUT_H
#define EXITDIFF_LAYOUT_H

#include <stdint.h>

#define PAGE_SIZE 0x1000u

#define LAYOUT_GDT        0x01000u
#define LAYOUT_TSS        0x01800u   /* same page as the GDT */
/* v86: a 32-bit TSS (SDM Vol. 3A 8.2.1) with SS0:ESP0 for the switch to
 * CPL0 and an I/O permission bitmap (Vol. 1 19.5.2) right after the 104
 * bytes, for ports 0 .. TSS32_IO_PORTS-1 plus the 0xff byte the CPU may
 * read past the last one. Ports LAYOUT_IO_DENY_FIRST .. TSS32_IO_PORTS-1
 * have their bit set (denied); any port from TSS32_IO_PORTS up lies past
 * the TSS limit and is denied as well. */
#define LAYOUT_TSS32         0x01a00u
#define LAYOUT_TSS32_IOMAP   0x68u      /* offset of the bitmap in the TSS */
#define TSS32_IO_PORTS       0x100u
#define LAYOUT_IO_DENY_FIRST 0x80u
#define LAYOUT_TSS32_LIMIT   (LAYOUT_TSS32_IOMAP + TSS32_IO_PORTS / 8)
#define LAYOUT_IDT        0x02000u
#define LAYOUT_STUBS      0x03000u   /* stub for vector v is the HLT at STUBS+v */
#define LAYOUT_PML4       0x04000u
#define LAYOUT_PDPT       0x05000u
#define LAYOUT_PD         0x06000u   /* covers 0..1 GiB */
#define LAYOUT_PT         0x07000u   /* covers 0..2 MiB with 4 KiB pages */
#define LAYOUT_PD_HI      0x08000u   /* covers 3..4 GiB */
#define LAYOUT_PT_HI      0x09000u   /* covers the 2 MiB around the MMIO window */
#define LAYOUT_IVT        0x00000u   /* real mode: 256 offset:segment */
#define LAYOUT_IDT32      0x0a000u   /* prot32: 256 8-byte gates */
#define LAYOUT_PD32       0x0b000u   /* 32-bit paging: covers 0..4 GiB */
#define LAYOUT_PT32       0x0c000u   /* covers 0..4 MiB */
#define LAYOUT_PT32_HI    0x0d000u   /* covers the 4 MiB around the MMIO window */
#define LAYOUT_PDPT_PAE   0x0a800u   /* PAE paging: 4 PDPTEs, in the IDT32's page */
#define LAYOUT_PD_PAE     0x0e000u   /* covers 0..1 GiB (3..4 GiB: LAYOUT_PD_HI) */
#define LAYOUT_PT_PAE     0x0f000u   /* covers 0..2 MiB, IDT32 included */
#define LAYOUT_CODE       0x10000u
#define LAYOUT_DATA       0x12000u
#define LAYOUT_DATA_SIZE  0x02000u
#define LAYOUT_STACK      0x15000u
#define LAYOUT_STACK_TOP  0x16000u
#define LAYOUT_IST        0x17000u
#define LAYOUT_IST_TOP    0x18000u
#define LAYOUT_MMIO       0xc0000000u
#define LAYOUT_MMIO_SIZE  PAGE_SIZE

/* Guest RAM: one memslot from 0 to LAYOUT_RAM_SIZE. The system part below
 * LAYOUT_RW_BASE never changes after layout_build(); the part above it is
 * what the guest can write and what every executor restores per case. */
#define LAYOUT_RAM_SIZE   0x18000u
#define LAYOUT_RW_BASE    0x10000u

/* The pages compared between outcomes ("changed data bytes"): code, data
 * and stack, as one window from LAYOUT_CODE to LAYOUT_STACK_TOP. Unmapped
 * pages inside it never change. The exception stack is left out: what an
 * exception pushes there is captured as the exception event instead. */
#define LAYOUT_CMP_BASE   LAYOUT_CODE
#define LAYOUT_CMP_SIZE   (LAYOUT_STACK_TOP - LAYOUT_CODE)

/* Selectors (GDT index << 3 | RPL). */
#define SEL_CODE64  0x08
#define SEL_DATA    0x10
#define SEL_TSS     0x18   /* 16-byte descriptor: GDT slots 3 and 4 */
#define SEL_CODE32  0x28
#define SEL_UDATA   0x33   /* DPL3 data, for the CPL3 knob */
#define SEL_UCODE64 0x3b   /* DPL3 64-bit code, for the CPL3 knob */
#define SEL_TSS32   0x40   /* v86's 32-bit TSS: GDT slot 8, inside the
			      GDT limit of v86 only (LAYOUT_GDT_ENTRIES_V86):
			      the other modes' GDTR stays as it was */
#define LAYOUT_GDT_ENTRIES 8
#define LAYOUT_GDT_ENTRIES_V86 9

/* Real mode: every segment register holds REAL_SEG (base 0x10000), so
 * code, data and stack are at offsets 0, 0x2000 and below 0x6000. The IVT
 * sends vector v to REAL_STUB_SEG:v, the HLT at LAYOUT_STUBS + v. */
#define REAL_SEG       ((uint16_t)(LAYOUT_CODE >> 4))
#define REAL_STUB_SEG  ((uint16_t)(LAYOUT_STUBS >> 4))

/* Initial system state of 64-bit long mode, CPL0 (core/mode.c has every
 * mode). */
#define LM_CR0   0x80010033ull /* PG WP NE ET MP PE */
#define LM_CR4   0x00000620ull /* OSXMMEXCPT OSFXSR PAE */
#define LM_EFER  0x00000d01ull /* NXE LMA LME SCE */
#define LM_CR3   ((uint64_t)LAYOUT_PML4)
#define INITIAL_RFLAGS 0x2ull  /* only the always-one bit */

/* Answers to guest reads of devices nobody emulates: all ones, what an
 * open bus gives. QEMU answers unassigned ports the same way, but reads
 * unassigned memory as zero (QEMU 7.2, measured), and its real devices
 * answer their own ports: the TMK exporter flags cases that read either.
 * All ones is kept for MMIO because it exposes sign- and zero-extension
 * slips that zero would hide. */
#define ENV_IO_READ_BYTE   0xffu
#define ENV_MMIO_READ_BYTE 0xffu

/* 1 when guest-physical a lies in the MMIO window. */
static inline int layout_in_mmio_window(uint64_t a)
{
	return a >= LAYOUT_MMIO && a < (uint64_t)LAYOUT_MMIO + LAYOUT_MMIO_SIZE;
}

/* The byte a read of the MMIO window answers for an executor whose
 * setting is window_read (executor.mmio_window_read): 0 means
 * ENV_MMIO_READ_BYTE, as KVM's executor answers; 0x100 | B means B, as a
 * VMM answers there (QEMU reads unassigned memory as 0x00). */
static inline uint8_t env_mmio_byte(uint16_t window_read, uint64_t gpa)
{
	return window_read && layout_in_mmio_window(gpa) ? (uint8_t)window_read : ENV_MMIO_READ_BYTE;
}

/* 1 when guest-physical [gpa, gpa+len) holds a byte of the system part
 * that the runtime of a TMK or of a VMM's batch image sets otherwise than
 * layout_build (tmk/runtime/rt_env.c): the long-mode IDT's gate offsets
 * (its trampoline), IDT32 gate 2 and IVT vector 2 (its NMI handlers),
 * PML4 slot 256, and the page-table entries that map its image from
 * 1 MiB (a TMK) or 2 MiB (a batch image) up to 4 MiB. A case that reads
 * such a byte reads another value there; an access whose page walk ends
 * at such an entry, absent in the layout, succeeds there. */
int layout_runtime_patched(uint64_t gpa, unsigned len);

/* Page-table entry bits used by the layout (SDM Vol. 3A 4.5). */
#define PTE_P   (1ull << 0)
#define PTE_W   (1ull << 1)
#define PTE_U   (1ull << 2)
#define PTE_A   (1ull << 5)
#define PTE_D   (1ull << 6)
#define PTE_PS  (1ull << 7)
#define PTE_NX  (1ull << 63)
#define PTE_ADDR_MASK 0x000ffffffffff000ull

/* Which vectors push an error code (SDM Vol. 3A 6.3.1, table 6-1). An INT n
 * to one of these never pushes one: read the frame depth from RSP instead. */
#define VECTOR_HAS_ERROR_CODE(v) \
	((v) == 8 || ((v) >= 10 && (v) <= 14) || (v) == 17 || (v) == 21 || \
	 (v) == 29 || (v) == 30)

/* Fills the system part of guest RAM (ram must be LAYOUT_RAM_SIZE bytes,
 * physical address 0 at ram[0]): GDT, TSS, IDT, exception stubs, page
 * tables. Freestanding: the TMK runtime links it too. */
void layout_build(uint8_t *ram);

/* Resets the writable pages (code, data, stack, exception stack) for one
 * case: code bytes then HLT padding, data bytes then zeros, zeroed stacks.
 * The unmapped pages between them are left alone: no guest access can
 * reach them, and skipping them is a third of the per-case reset. */
void layout_reset_rw(uint8_t *ram, const uint8_t *code, uint32_t code_len,
		     const uint8_t *data, uint32_t data_len);
/* Zeroes the unmapped pages inside the writable part. Only KVM itself can
 * write there (an MSR that points KVM at guest memory): the KVM executor
 * calls this whenever it restores MSRs. layout_build() leaves them zero. */
void layout_clear_holes(uint8_t *ram);
/* Guest bytes [lo, hi) of the writable part (LAYOUT_RW_BASE ..
 * LAYOUT_RAM_SIZE) as a case starts, at ram + lo: the bytes
 * layout_reset_rw() puts there, and zeros in the unmapped pages between.
 * For an executor that restores only what a case changed. */
void layout_image_range(uint8_t *ram, uint32_t lo, uint32_t hi, const uint8_t *code,
			uint32_t code_len, const uint8_t *data, uint32_t data_len);
/* The compare window (LAYOUT_CMP_BASE, LAYOUT_CMP_SIZE bytes) as a case
 * starts: the same bytes layout_reset_rw() puts there. */
void layout_case_window(uint8_t *win, const uint8_t *code, uint32_t code_len,
			const uint8_t *data, uint32_t data_len);

/* Page-table flags the layout gives the page holding gva, or 0 when the
 * layout leaves it unmapped. Used by tests to check the walkers. */
uint64_t layout_page_flags(uint64_t gva);

#endif
