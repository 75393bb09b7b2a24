/*
 * The legacy modes: the runtime leaves long mode to run a prot32,
 * prot32-paged, prot32-pae or real16 case in the state core/mode.c's mode_env_init()
 * gives (filled into rt_leg by rt_main.c) and comes back to long mode when
 * the runtime's NMI ends the case (docs/tmk.md, "Modes").
 *
 *   rt_run_legacy   64-bit: IRETQ to itself (unblocks NMIs, SDM Vol. 3A
 *                   6.7.1), far return to 32-bit compatibility mode
 *   leg32_entry     CR0.PG off, EFER.LME off: legacy protected mode (SDM
 *                   Vol. 3A 10.8.5.4), EFER of the mode (prot32-pae:
 *                   NXE); load CR3/CR4/IDTR/CR0, segments,
 *                   EFLAGS, GPRs, far jump to the case
 *   leg_v86         v86: the layout's GDTR of the mode (9 entries), LTR of
 *                   its 32-bit TSS (made available first: LTR marks it busy,
 *                   SDM Vol. 3A 8.2.3), then IRETD from CPL0 with VM set in
 *                   the EFLAGS image, which pops EIP, CS, EFLAGS, ESP, SS,
 *                   ES, DS, FS, GS (Vol. 2A IRET, RETURN-TO-VIRTUAL-8086-MODE)
 *   leg_real        real16: boot GDT, 16-bit code segment, the blob at
 *                   RM_BLOB_ADDR clears CR0.PE and far jumps to REAL_SEG:0
 *                   (SDM Vol. 3A 10.9.2)
 *   leg_nmi32       IDT32 gate 2: save the GPRs and the NMI frame, paging
 *                   off, back to long mode
 *   rm_nmi          IVT vector 2 (in the blob): save the GPRs, SS, ESP,
 *                   CR0.PE on, far jump to leg_back32
 *   leg_to_long     CR4.PAE, CR3, EFER.LME, CR0.PG, far jump to 64-bit code
 *                   (SDM Vol. 3A 10.8.5), return from rt_run_legacy
 *
 * Exceptions reach the layout's own stubs (IDT32 / IVT unchanged except
 * vector 2): a stub's HLT is ended by the NMI like the case's own HLT.
 */
#include "tmk.h"

#define SEL_CODE32_LAYOUT 0x28  /* core/layout.h SEL_CODE32 */
#define SEL_DATA_LAYOUT   0x10
#define SEL_TSS32_LAYOUT  0x40  /* core/layout.h SEL_TSS32 */
#define GDT_LAYOUT        0x1000
#define MSR_EFER          0xc0000080
#define CR0_PG            0x80000000
#define CR0_PE            1
#define BLOB(sym)         ((sym) - rm_blob)
#define RMD(off)          (BLOB(rm_data) + (off))

	.text
	.code64
	.globl rt_run_legacy
rt_run_legacy:
	pushq %rbp
	pushq %rbx
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
	movq %rsp, rt_leg_saved_rsp(%rip)
	/* An NMI that ended the previous case was never IRETed: unblock. */
	movq %rsp, %rax
	pushq $SEL_DATA_LAYOUT
	pushq %rax
	pushfq
	pushq $0x08
	leaq 1f(%rip), %rax
	pushq %rax
	iretq
1:	pushq $SEL_CODE32_LAYOUT
	leaq leg32_entry(%rip), %rax
	pushq %rax
	lretq

	.code32
leg32_entry:
	movl %cr0, %eax
	andl $~CR0_PG, %eax
	movl %eax, %cr0
	movl $MSR_EFER, %ecx
	movl rt_leg + LEG_EFER, %eax
	xorl %edx, %edx
	wrmsr
	movl rt_leg + LEG_CR3, %eax
	movl %eax, %cr3
	movl rt_leg + LEG_CR4, %eax
	movl %eax, %cr4
	cmpl $1, rt_leg_mode
	je leg_real
	lidt rt_leg + LEG_IDTR
	cmpl $2, rt_leg_mode
	je leg_v86
	/* prot32-paged, prot32-pae: CR0.PG goes on here (CR4.PAE chose
	 * the paging mode above); this code and rt_leg are identity-mapped
	 * in PT32 and PT_PAE by rt_env.c. */
	movl rt_leg + LEG_CR0, %eax
	movl %eax, %cr0
	pushl rt_leg + LEG_EFLAGS
	popfl
	/* Reads through CS from here: the case's data selectors may be
	 * anything the layout's GDT has. */
	movw %cs:rt_leg + LEG_SEG + 0, %es
	movw %cs:rt_leg + LEG_SEG + 6, %fs
	movw %cs:rt_leg + LEG_SEG + 8, %gs
	movw %cs:rt_leg + LEG_SEG + 4, %ds
	movw %cs:rt_leg + LEG_SEG + 2, %ss
	movl %cs:rt_leg + LEG_GPR + 4 * 4, %esp
	movl %cs:rt_leg + LEG_GPR + 4 * 1, %ecx
	movl %cs:rt_leg + LEG_GPR + 4 * 2, %edx
	movl %cs:rt_leg + LEG_GPR + 4 * 3, %ebx
	movl %cs:rt_leg + LEG_GPR + 4 * 5, %ebp
	movl %cs:rt_leg + LEG_GPR + 4 * 6, %esi
	movl %cs:rt_leg + LEG_GPR + 4 * 7, %edi
	movl %cs:rt_leg + LEG_GPR + 4 * 0, %eax
	ljmp *%cs:rt_leg + LEG_FAR

leg_real:
	lgdt boot_gdtr
	ljmp $BOOT_SEL_CODE16, $0

	/* v86: CR0 of the mode (PE, no paging), the TSS whose SS0:ESP0 the
	 * case's exceptions and the NMI switch to, and the IRETD frame on
	 * the runtime's stack (flat SS 0x10 still). */
leg_v86:
	movl rt_leg + LEG_CR0, %eax
	movl %eax, %cr0
	lgdt rt_leg + LEG_GDTR
	movb $0x89, GDT_LAYOUT + SEL_TSS32_LAYOUT + 5
	movw $SEL_TSS32_LAYOUT, %ax
	ltr %ax
	movzwl rt_leg + LEG_SEG + 8, %eax
	pushl %eax                      /* GS */
	movzwl rt_leg + LEG_SEG + 6, %eax
	pushl %eax                      /* FS */
	movzwl rt_leg + LEG_SEG + 4, %eax
	pushl %eax                      /* DS */
	movzwl rt_leg + LEG_SEG + 0, %eax
	pushl %eax                      /* ES */
	movzwl rt_leg + LEG_SEG + 2, %eax
	pushl %eax                      /* SS */
	pushl rt_leg + LEG_GPR + 4 * 4  /* ESP */
	pushl rt_leg + LEG_EFLAGS       /* VM set, IOPL of the mode */
	movzwl rt_leg + LEG_FAR + 4, %eax
	pushl %eax                      /* CS */
	pushl rt_leg + LEG_FAR          /* EIP */
	movl rt_leg + LEG_GPR + 4 * 1, %ecx
	movl rt_leg + LEG_GPR + 4 * 2, %edx
	movl rt_leg + LEG_GPR + 4 * 3, %ebx
	movl rt_leg + LEG_GPR + 4 * 5, %ebp
	movl rt_leg + LEG_GPR + 4 * 6, %esi
	movl rt_leg + LEG_GPR + 4 * 7, %edi
	movl rt_leg + LEG_GPR + 4 * 0, %eax
	iretl

	/* IDT32 gate 2 (interrupt gate, SEL_CODE32): the NMI that ends a
	 * case, or the case's own INT 2. The frame EIP, CS, EFLAGS is at
	 * SS:ESP (no privilege change, SDM Vol. 3A 6.12.1; from v86 the
	 * frame goes on with ESP, SS, ES, DS, FS, GS on SS0:ESP0, figure
	 * 6-5); SS is one of the layout's flat data segments, so SS:
	 * reaches everything. */
	.globl leg_nmi32
leg_nmi32:
	movl %eax, %ss:rt_leg + LEG_OUT_GPR + 4 * 0
	movl %ecx, %ss:rt_leg + LEG_OUT_GPR + 4 * 1
	movl %edx, %ss:rt_leg + LEG_OUT_GPR + 4 * 2
	movl %ebx, %ss:rt_leg + LEG_OUT_GPR + 4 * 3
	movl %esp, %ss:rt_leg + LEG_OUT_GPR + 4 * 4
	movl %ebp, %ss:rt_leg + LEG_OUT_GPR + 4 * 5
	movl %esi, %ss:rt_leg + LEG_OUT_GPR + 4 * 6
	movl %edi, %ss:rt_leg + LEG_OUT_GPR + 4 * 7
	movl %esp, %ss:rt_leg + LEG_OUT_ESP
	movl %ss, %eax
	movzwl %ax, %eax
	movl %eax, %ss:rt_leg + LEG_OUT_SS
	movl %ss:0(%esp), %eax
	movl %eax, %ss:rt_leg + LEG_OUT_EIP
	movzwl %ss:4(%esp), %eax
	movl %eax, %ss:rt_leg + LEG_OUT_CS
	movl %ss:8(%esp), %eax
	movl %eax, %ss:rt_leg + LEG_OUT_EFL
	movl %cr0, %eax
	andl $~CR0_PG, %eax
	movl %eax, %cr0
	jmp leg_back32

	/* Legacy protected mode, paging off, a GDT whose 0x10 is flat data
	 * and 0x08 64-bit code (the layout's or the boot GDT). */
	.globl leg_back32
leg_back32:
	movl $BOOT_SEL_DATA, %eax
	movl %eax, %ds
	movl %eax, %es
	movl %eax, %ss
	movl %eax, %fs
	movl %eax, %gs
	movl rt_leg_saved_rsp, %esp
	movl $0x620, %eax               /* PAE OSFXSR OSXMMEXCPT: LM_CR4 */
	movl %eax, %cr4
	movl $boot_pml4, %eax
	movl %eax, %cr3
	movl $MSR_EFER, %ecx
	rdmsr
	orl $0x901, %eax                /* LME NXE SCE */
	wrmsr
	movl $0x80010033, %eax          /* LM_CR0 */
	movl %eax, %cr0
	ljmp $BOOT_SEL_CODE64, $leg_back64

	.code64
leg_back64:
	movq rt_leg_saved_rsp(%rip), %rsp
	pushq $2                        /* the case's DF/AC must not reach C */
	popfq
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %rbx
	popq %rbp
	ret

/*
 * The real-mode blob: copied to RM_BLOB_ADDR with its rt_leg copy at
 * rm_data, position independent (every address is BLOB()-relative, CS =
 * RM_BLOB_SEG in real mode, base RM_BLOB_ADDR in 16-bit protected mode).
 */
	.code16
	.balign 16
	.globl rm_blob, rm_blob_end, rm_data, rm_nmi
rm_blob:
	/* 16-bit protected mode (BOOT_SEL_CODE16). */
	movw $BOOT_SEL_DATA16, %ax
	movw %ax, %ds
	movw %ax, %es
	movw %ax, %fs
	movw %ax, %gs
	movw %ax, %ss
	lgdtl %cs:RMD(LEG_GDTR)
	lidtl %cs:RMD(LEG_IDTR)
	movl %cs:RMD(LEG_CR0), %eax     /* PE clear: real mode */
	movl %eax, %cr0
	ljmp $RM_BLOB_SEG, $BLOB(rm_real)
rm_real:
	movw $RM_BLOB_SEG, %ax
	movw %ax, %ss
	movw $BLOB(rm_stack_top), %sp
	pushl %cs:RMD(LEG_EFLAGS)
	popfl
	movw %cs:RMD(LEG_SEG + 0), %es
	movw %cs:RMD(LEG_SEG + 6), %fs
	movw %cs:RMD(LEG_SEG + 8), %gs
	movw %cs:RMD(LEG_SEG + 4), %ds
	movw %cs:RMD(LEG_SEG + 2), %ss
	movl %cs:RMD(LEG_GPR + 4 * 4), %esp
	movl %cs:RMD(LEG_GPR + 4 * 1), %ecx
	movl %cs:RMD(LEG_GPR + 4 * 2), %edx
	movl %cs:RMD(LEG_GPR + 4 * 3), %ebx
	movl %cs:RMD(LEG_GPR + 4 * 5), %ebp
	movl %cs:RMD(LEG_GPR + 4 * 6), %esi
	movl %cs:RMD(LEG_GPR + 4 * 7), %edi
	movl %cs:RMD(LEG_GPR + 4 * 0), %eax
	ljmpl *%cs:RMD(LEG_FAR)

	/* IVT vector 2 points here (RM_BLOB_SEG:BLOB(rm_nmi)). The frame
	 * IP, CS, FLAGS is at SS:SP (SDM Vol. 3B 20.1.4); rt_check.c reads
	 * it from memory. Real mode allows writes through CS. */
rm_nmi:
	movl %eax, %cs:RMD(LEG_OUT_GPR + 4 * 0)
	movl %ecx, %cs:RMD(LEG_OUT_GPR + 4 * 1)
	movl %edx, %cs:RMD(LEG_OUT_GPR + 4 * 2)
	movl %ebx, %cs:RMD(LEG_OUT_GPR + 4 * 3)
	movl %esp, %cs:RMD(LEG_OUT_GPR + 4 * 4)
	movl %ebp, %cs:RMD(LEG_OUT_GPR + 4 * 5)
	movl %esi, %cs:RMD(LEG_OUT_GPR + 4 * 6)
	movl %edi, %cs:RMD(LEG_OUT_GPR + 4 * 7)
	movl %esp, %cs:RMD(LEG_OUT_ESP)
	movw %ss, %ax
	movzwl %ax, %eax
	movl %eax, %cs:RMD(LEG_OUT_SS)
	lgdtl %cs:RMD(LEG_BGDTR)
	movl %cr0, %eax
	orl $CR0_PE, %eax
	movl %eax, %cr0
	ljmpl $BOOT_SEL_CODE32, $leg_back32

	.balign 16
rm_stack:
	.skip 64
rm_stack_top:
rm_data:
	.skip LEG_SIZE
rm_blob_end:

	.data
	.balign 16
	.globl rt_leg, rt_leg_mode
rt_leg:
	.skip LEG_SIZE
rt_leg_mode:
	.long 0
	.balign 8
rt_leg_saved_rsp:
	.quad 0
	.section .note.GNU-stack,"",@progbits
