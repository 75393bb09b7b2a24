/*
 * The trampoline: the only runtime code a case's address space can reach.
 * Linked in the image (two pages, code then data) and executed through the
 * alias at TMK_TRAMP_VA, which both address spaces map the same way, so the
 * instruction after a MOV to CR3 is still there.
 *
 *   tramp_enter      runtime CR3 -> case CR3, load all GPRs, IRETQ to the case
 *   tramp_vec_N      IDT gate N (the runtime points every gate here): push N
 *   tramp_common     save RAX on the IST stack, back to the runtime's CR3,
 *                    jump to rt_trap_entry (runtime address space)
 *
 * rt_trap_entry saves the case's GPRs and returns from rt_run_case() on
 * the runtime stack; an NMI that hits the runtime itself (not a case) just
 * returns. Nothing here touches a case-visible byte except the exception
 * stack below the frame the CPU pushed (outside the compare window).
 */
#include "tmk.h"

#define LAYOUT_PML4 0x4000
#define ALIAS(sym) (TMK_TRAMP_VA + ((sym) - tramp_code))

	.section .tramp.code, "ax"
	.balign 4096
	.globl tramp_code
tramp_code:
	/* 256 gate targets, 8 bytes each: push imm8 (sign-extended: the
	 * runtime masks it to 8 bits), jmp rel32. */
	.set v, 0
	.rept 256
	.balign 8
	.byte 0x6a, v
	.byte 0xe9
	.long tramp_common - (. + 4)
	.set v, v + 1
	.endr

tramp_common:
	pushq %rax
	movl $boot_pml4, %eax
	movq %rax, %cr3
	jmp *tramp_trap_ptr(%rip)

tramp_enter:
	movl $LAYOUT_PML4, %eax
	movq %rax, %cr3
	leaq tramp_data + TD_FRAME(%rip), %rsp
	/* The mode's data selectors (0x33 under the cpl3 knob: DPL3 data
	 * loads fine at CPL0, SDM Vol. 3A 5.7); FS/GS bases become 0. */
	movw tramp_data + TD_SEGS + 0(%rip), %ds
	movw tramp_data + TD_SEGS + 8(%rip), %es
	movw tramp_data + TD_SEGS + 16(%rip), %fs
	movw tramp_data + TD_SEGS + 24(%rip), %gs
	movq tramp_data + 8*1(%rip), %rcx
	movq tramp_data + 8*2(%rip), %rdx
	movq tramp_data + 8*3(%rip), %rbx
	movq tramp_data + 8*5(%rip), %rbp
	movq tramp_data + 8*6(%rip), %rsi
	movq tramp_data + 8*7(%rip), %rdi
	movq tramp_data + 8*8(%rip), %r8
	movq tramp_data + 8*9(%rip), %r9
	movq tramp_data + 8*10(%rip), %r10
	movq tramp_data + 8*11(%rip), %r11
	movq tramp_data + 8*12(%rip), %r12
	movq tramp_data + 8*13(%rip), %r13
	movq tramp_data + 8*14(%rip), %r14
	movq tramp_data + 8*15(%rip), %r15
	movq tramp_data + 8*0(%rip), %rax
	iretq

	.balign 8
tramp_trap_ptr:
	.quad rt_trap_entry

	.section .tramp.data, "aw"
	.balign 4096
	.globl tramp_data
tramp_data:
	.skip 4096

	.text
	/* void rt_run_case(void): the case's GPRs and IRETQ frame are in
	 * tramp_data. Returns when the case trapped (vector in rt_trap_vector,
	 * CPU frame at rt_trap_frame, GPRs in rt_regs). */
	.globl rt_run_case
rt_run_case:
	pushq %rbp
	pushq %rbx
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
	movq %rsp, rt_saved_rsp(%rip)
	movb $1, rt_in_case(%rip)
	movabsq $ALIAS(tramp_enter), %rax
	jmp *%rax

	/* On the exception stack: [rsp] = case RAX, [rsp+8] = vector, then the
	 * frame the CPU pushed (with or without an error code). */
rt_trap_entry:
	cmpb $0, rt_in_case(%rip)
	je 1f
	movq %rcx, rt_regs + 8*1(%rip)
	movq %rdx, rt_regs + 8*2(%rip)
	movq %rbx, rt_regs + 8*3(%rip)
	movq %rbp, rt_regs + 8*5(%rip)
	movq %rsi, rt_regs + 8*6(%rip)
	movq %rdi, rt_regs + 8*7(%rip)
	movq %r8, rt_regs + 8*8(%rip)
	movq %r9, rt_regs + 8*9(%rip)
	movq %r10, rt_regs + 8*10(%rip)
	movq %r11, rt_regs + 8*11(%rip)
	movq %r12, rt_regs + 8*12(%rip)
	movq %r13, rt_regs + 8*13(%rip)
	movq %r14, rt_regs + 8*14(%rip)
	movq %r15, rt_regs + 8*15(%rip)
	movq (%rsp), %rax
	movq %rax, rt_regs(%rip)
	movq 8(%rsp), %rax
	movq %rax, rt_trap_vector(%rip)
	leaq 16(%rsp), %rax
	movq %rax, rt_trap_frame(%rip)
	movb $0, rt_in_case(%rip)
	movq rt_saved_rsp(%rip), %rsp
	/* The case's RFLAGS outlive the gate (only TF, NT, RF and IF are
	 * cleared, SDM Vol. 3A 6.12.1): DF or AC set by the case would make
	 * the runtime's own string copies run backwards or fault. */
	pushq $2
	popfq
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %rbx
	popq %rbp
	ret
1:	/* Not in a case: a late NMI returns; anything else is a runtime bug. */
	cmpb $2, 8(%rsp)
	jne 2f
	popq %rax
	addq $8, %rsp
	iretq
2:	movq 8(%rsp), %rdi
	leaq 16(%rsp), %rsi
	movq $boot_stack_top, %rsp
	call rt_runtime_fault
3:	cli
	hlt
	jmp 3b

	.bss
	.balign 8
	.globl rt_regs, rt_trap_vector, rt_trap_frame
rt_regs:        .skip 8*16
rt_trap_vector: .skip 8
rt_trap_frame:  .skip 8
rt_saved_rsp:   .skip 8
rt_in_case:     .skip 1
	.section .note.GNU-stack,"",@progbits
