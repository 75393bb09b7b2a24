/* The native executor's assembly, in one place: the jump into the case
 * with every register loaded, the signal entry that gives the handler its
 * FS base back, and the one system call the seccomp filter allows.
 *
 * native_enter needs no scratch register: RFLAGS is popped from our own
 * stack first (MOV leaves the flags alone), every GPR then comes from
 * native_ctx by RIP-relative loads, RSP last, and the jump reads its
 * target RIP-relative too. The case's stack is never touched by us.
 * Stepping sets TF in that RFLAGS: every MOV after the POPF traps inside
 * native_enter, the JMP traps at the case's first instruction. */
#include <stddef.h>
#include "native_internal.h"

struct native_ctx native_ctx;
uint8_t native_have_fsgsbase;
uint64_t native_host_fsbase;

_Static_assert(offsetof(struct native_ctx, gpr[RSP]) == 32, "RSP offset in native_enter");
_Static_assert(offsetof(struct native_ctx, rflags) == 128, "RFLAGS offset in native_enter");
_Static_assert(offsetof(struct native_ctx, rip) == 136, "RIP offset in native_enter");

/* MXCSR as after RESET/INIT (SDM Vol. 1 10.2.3.1): what the guest starts
 * with too. */
__attribute__((used)) static const uint32_t native_mxcsr = 0x1f80;

__asm__(
	".text\n"
	".globl native_enter\n"
	".hidden native_enter\n"
	".type native_enter, @function\n"
	"native_enter:\n"
	/* x87 and SSE as after INIT, XMM0-15 zero as every case starts. */
	"	fninit\n"
	"	ldmxcsr native_mxcsr(%rip)\n"
	"	pxor %xmm0, %xmm0\n	pxor %xmm1, %xmm1\n	pxor %xmm2, %xmm2\n"
	"	pxor %xmm3, %xmm3\n	pxor %xmm4, %xmm4\n	pxor %xmm5, %xmm5\n"
	"	pxor %xmm6, %xmm6\n	pxor %xmm7, %xmm7\n	pxor %xmm8, %xmm8\n"
	"	pxor %xmm9, %xmm9\n	pxor %xmm10, %xmm10\n	pxor %xmm11, %xmm11\n"
	"	pxor %xmm12, %xmm12\n	pxor %xmm13, %xmm13\n	pxor %xmm14, %xmm14\n"
	"	pxor %xmm15, %xmm15\n"
	/* FS base 0 as in the guest (the selector is 0 in 64-bit user
	 * mode, the base is the MSR: glibc's TLS would otherwise answer
	 * an FS-prefixed access). The handler entry puts it back. */
	"	cmpb $0, native_have_fsgsbase(%rip)\n"
	"	je 1f\n"
	"	rdfsbase %rax\n"
	"	movq %rax, native_host_fsbase(%rip)\n"
	"	xorl %eax, %eax\n"
	"	wrfsbase %rax\n"
	"	wrgsbase %rax\n"
	"1:\n"
	"	pushq native_ctx+128(%rip)\n"
	"	popfq\n"
	"	movq native_ctx+0(%rip), %rax\n"
	"	movq native_ctx+8(%rip), %rcx\n"
	"	movq native_ctx+16(%rip), %rdx\n"
	"	movq native_ctx+24(%rip), %rbx\n"
	"	movq native_ctx+40(%rip), %rbp\n"
	"	movq native_ctx+48(%rip), %rsi\n"
	"	movq native_ctx+56(%rip), %rdi\n"
	"	movq native_ctx+64(%rip), %r8\n"
	"	movq native_ctx+72(%rip), %r9\n"
	"	movq native_ctx+80(%rip), %r10\n"
	"	movq native_ctx+88(%rip), %r11\n"
	"	movq native_ctx+96(%rip), %r12\n"
	"	movq native_ctx+104(%rip), %r13\n"
	"	movq native_ctx+112(%rip), %r14\n"
	"	movq native_ctx+120(%rip), %r15\n"
	"	movq native_ctx+32(%rip), %rsp\n"
	"	jmpq *native_ctx+136(%rip)\n"
	/* Stepping counts no trap inside native_enter (native_child.c). */
	".globl native_enter_end\n"
	".hidden native_enter_end\n"
	"native_enter_end:\n"
	".size native_enter, .-native_enter\n"

	/* Signal entry (SA_ONSTACK: the case's RSP may be anything). The
	 * kernel saved every register in the ucontext already, so RAX is
	 * free; RDI, RSI, RDX carry the handler's arguments through. */
	".globl native_signal_entry\n"
	".hidden native_signal_entry\n"
	".type native_signal_entry, @function\n"
	"native_signal_entry:\n"
	/* Linux enters a handler with the interrupted RFLAGS.AC (it
	 * clears only DF, RF, TF): with the host's CR0.AM a case that set
	 * AC would make the handler's own misaligned accesses fault. */
	"	pushfq\n"
	"	andl $~0x40000, (%rsp)\n"
	"	popfq\n"
	"	cmpb $0, native_have_fsgsbase(%rip)\n"
	"	je 2f\n"
	"	movq native_host_fsbase(%rip), %rax\n"
	"	wrfsbase %rax\n"
	"2:\n"
	"	jmp native_on_signal\n"
	".size native_signal_entry, .-native_signal_entry\n"

	/* exit_group(0): the only system call the filter lets through, and
	 * only from this instruction (seccomp_data.instruction_pointer is
	 * the address after the SYSCALL, native_exit_after). */
	".globl native_exit_now\n"
	".hidden native_exit_now\n"
	".type native_exit_now, @function\n"
	"native_exit_now:\n"
	"	movl $231, %eax\n"
	"	xorl %edi, %edi\n"
	"	syscall\n"
	".globl native_exit_after\n"
	".hidden native_exit_after\n"
	"native_exit_after:\n"
	"	ud2\n"
	".size native_exit_now, .-native_exit_now\n"

	/* rt_sigreturn, the restorer of the single-step handler: the only
	 * other call the filter lets through, and only from here. The case
	 * runs with FS and GS base 0 again (the signal entry gave the
	 * handler the host's FS base); rt_sigreturn then loads every
	 * register from the frame. */
	".globl native_sigreturn\n"
	".hidden native_sigreturn\n"
	".type native_sigreturn, @function\n"
	"native_sigreturn:\n"
	"	xorl %eax, %eax\n"
	"	cmpb $0, native_have_fsgsbase(%rip)\n"
	"	je 3f\n"
	"	wrfsbase %rax\n"
	"3:\n"
	"	movl $15, %eax\n"
	"	syscall\n"
	".globl native_sigreturn_after\n"
	".hidden native_sigreturn_after\n"
	"native_sigreturn_after:\n"
	"	ud2\n"
	".size native_sigreturn, .-native_sigreturn\n");
