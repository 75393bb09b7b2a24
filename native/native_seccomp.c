/* The seccomp filter the child installs right before the case's first
 * instruction. Every system call traps (SECCOMP_RET_TRAP: SIGSYS, which our
 * handler records as the event) except exit_group from our own exit
 * instruction, so nothing the case does reaches the host kernel:
 *   - SYSCALL with any number, the x32 bit or not: trapped;
 *   - INT 0x80 and SYSENTER (32-bit ABIs, seen as AUDIT_ARCH_I386 when the
 *     kernel has IA-32 emulation): trapped on the arch check; without it
 *     they fault (#GP, #UD) before any system call;
 *   - exit_group from anywhere but native_exit_after: trapped.
 * The handler never returns (so no rt_sigreturn) and calls nothing else.
 * Linux: Documentation/userspace-api/seccomp_filter.rst. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "native_internal.h"

#define LOAD(field) BPF_STMT(BPF_LD | BPF_W | BPF_ABS, (uint32_t)(field))
/* Jump to the last-but-one instruction (TRAP) unless equal. */
#define EQ_OR_TRAP(v, here) BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)(v), 0, (uint8_t)(TRAP_AT - (here) - 1))

enum { TRAP_AT = 8 };

int native_seccomp_install(void)
{
	uint64_t ip = (uint64_t)(uintptr_t)native_exit_after;
	struct sock_filter f[] = {
		/* 0 */ LOAD(offsetof(struct seccomp_data, arch)),
		/* 1 */ EQ_OR_TRAP(AUDIT_ARCH_X86_64, 1),
		/* 2 */ LOAD(offsetof(struct seccomp_data, nr)),
		/* 3 */ EQ_OR_TRAP(__NR_exit_group, 3),
		/* 4 */ LOAD(offsetof(struct seccomp_data, instruction_pointer)),
		/* 5 */ EQ_OR_TRAP(ip & 0xffffffffu, 5),
		/* 6 */ LOAD(offsetof(struct seccomp_data, instruction_pointer) + 4),
		/* 7 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)(ip >> 32), 1, 0),
		/* 8 */ BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP),
		/* 9 */ BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	_Static_assert(sizeof(f) / sizeof(f[0]) == TRAP_AT + 2, "TRAP_AT is the trap's index");
	struct sock_fprog prog = { .len = (unsigned short)(sizeof(f) / sizeof(f[0])), .filter = f };
	/* Unprivileged filters need no_new_privs (seccomp(2)). */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -1;
	return syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0 ? -1 : 0;
}
