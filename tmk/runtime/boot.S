/*
 * TMK boot: multiboot v1 header (a.out kludge, so the flat image needs no
 * ELF loader), the exitdiff TMK header, the 32-bit entry that switches to
 * long mode, the direct 64-bit entry, and the runtime's own page tables.
 *
 * Two address spaces (docs/tmk.md):
 *  - the runtime's (boot_pml4): 0..1 GiB and 3..4 GiB identity-mapped with
 *    2 MiB pages (RAM, the layout at 0, the image at 1 MiB, IOAPIC), plus
 *    the trampoline alias in PML4 slot 256;
 *  - the case's: core/layout.h's tables at 0x4000, with the same PML4 slot
 *    256 pointing at the same trampoline tables. Nothing else is added.
 */
#include "tmk.h"

#define MB_MAGIC  0x1badb002
#define MB_FLAGS  0x00010003   /* page-align modules, memory info, a.out kludge */

#define PG_TABLE  0x23         /* P W A: non-leaf, the leaf decides */
#define PG_2M     0xe3         /* P W A D PS */
#define PG_RX     0x21         /* P A: supervisor, read-only, executable */
#define PG_RO_NX  (0x21 + 0x8000000000000000)

	.section .multiboot, "a"
	.balign 4
mb_header:
	.long MB_MAGIC
	.long MB_FLAGS
	.long -(MB_MAGIC + MB_FLAGS)
	.long mb_header          /* header_addr */
	.long TMK_LOAD_ADDR      /* load_addr */
	.long _load_end          /* load_end_addr */
	.long _bss_end           /* bss_end_addr */
	.long tmk_entry32        /* entry_addr */
	/* exitdiff TMK header (tmk.h): read by `exitdiff tmk` and --list. */
	.ascii TMK_HDR_MAGIC
	.byte TMK_HDR_VERSION
	.long tmk_entry64_direct /* 64-bit entry */
	.long boot_pml4          /* CR3 for the 64-bit entry */
	.long tmk_names          /* NUL-separated test names, empty name ends */
	.long 0

	.section .text.boot, "ax"
	.code32
	.globl tmk_entry32
tmk_entry32:
	cli
	movl %eax, mb_magic
	movl %ebx, mb_info
	lgdt boot_gdtr
	ljmp $0x18, $1f
1:	movl $0x10, %eax
	movl %eax, %ds
	movl %eax, %es
	movl %eax, %ss
	movl %eax, %fs
	movl %eax, %gs
	movl $boot_stack_top, %esp
	/* Long mode: CR4.PAE, CR3, EFER.LME (+NXE for the layout's NX bits,
	 * SCE as in LM_EFER), then CR0.PG (SDM Vol. 3A 10.8.5). */
	movl $0x620, %eax
	movl %eax, %cr4
	movl $boot_pml4, %eax
	movl %eax, %cr3
	movl $0xc0000080, %ecx
	rdmsr
	orl $0x901, %eax
	wrmsr
	movl $0x80010033, %eax
	movl %eax, %cr0
	ljmp $0x08, $tmk_entry64

	.code64
	/* Loaders that start the image in long mode (exitdiff tmk, when the
	 * host cannot enter long mode from protected mode) come here with
	 * CR3 = boot_pml4, EAX/EBX as multiboot defines them. */
	.globl tmk_entry64_direct
tmk_entry64_direct:
	cli
	movl %eax, mb_magic(%rip)
	movl %ebx, mb_info(%rip)
	movq $boot_stack_top, %rsp
	lgdt boot_gdtr(%rip)
	movabsq $tmk_entry64, %rax
	pushq $0x08
	pushq %rax
	lretq

tmk_entry64:
	movl $0x10, %eax
	movl %eax, %ds
	movl %eax, %es
	movl %eax, %ss
	movl %eax, %fs
	movl %eax, %gs
	movq $boot_stack_top, %rsp
	call rt_main
2:	cli
	hlt
	jmp 2b

	.section .data
	.balign 8
boot_gdt:
	.quad 0
	.quad 0x00af9a000000ffff   /* 0x08: 64-bit code, as SEL_CODE64 */
	.quad 0x00cf92000000ffff   /* 0x10: data, as SEL_DATA */
	.quad 0x00cf9a000000ffff   /* 0x18: 32-bit code for the switch */
	/* 0x20: 16-bit code, base RM_BLOB_ADDR, limit 0xffff: the step from
	 * protected to real mode (SDM Vol. 3A 10.9.2: the CS limit stays). */
	.quad 0x00009a020000ffff
	/* 0x28: 16-bit data, limit 0xffff: the real-mode limits the data
	 * segments keep after CR0.PE is cleared. */
	.quad 0x000092010000ffff
boot_gdt_end:
	.balign 8
	.word 0
boot_gdtr:
	.word boot_gdt_end - boot_gdt - 1
	.quad boot_gdt

	.globl boot_gdt, boot_gdtr
	.globl mb_magic, mb_info
mb_magic: .long 0
mb_info:  .long 0

	.balign 4096
	.globl boot_pml4
boot_pml4:
	.quad boot_pdpt + PG_TABLE
	.fill TMK_TRAMP_PML4I - 1, 8, 0
	.globl tramp_pdpt
tramp_pdpt_slot:
	.quad tramp_pdpt + PG_TABLE
	.fill 511 - TMK_TRAMP_PML4I, 8, 0
boot_pdpt:
	.quad boot_pd0 + PG_TABLE
	.quad 0, 0
	.quad boot_pd3 + PG_TABLE
	.fill 508, 8, 0
boot_pd0:
	.set i, 0
	.rept 512
	.quad (i << 21) + PG_2M
	.set i, i + 1
	.endr
boot_pd3:
	.set i, 0
	.rept 512
	.quad (3 << 30) + (i << 21) + PG_2M
	.set i, i + 1
	.endr
	/* The trampoline alias: code page then data page (trampoline.S). */
tramp_pdpt:
	.quad tramp_pd + PG_TABLE
	.fill 511, 8, 0
tramp_pd:
	.quad tramp_pt + PG_TABLE
	.fill 511, 8, 0
tramp_pt:
	.quad tramp_code + PG_RX
	.quad tramp_data + PG_RO_NX
	.fill 510, 8, 0

	.section .bss
	.balign 4096
	.globl boot_stack, boot_stack_top
boot_stack:
	.skip 16384
boot_stack_top:
	.section .note.GNU-stack,"",@progbits
