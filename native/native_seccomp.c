/* The seccomp filter the child installs right before the case's first
 * instruction. Every system call traps (SECCOMP_RET_TRAP: SIGSYS, which our
 * handler records as the event) except exit_group from our own exit
 * instruction, so nothing the case does reaches the host kernel:
 *   - SYSCALL with any number, the x32 bit or not: trapped;
 *   - INT 0x80 and SYSENTER (32-bit ABIs, seen as AUDIT_ARCH_I386 when the
 *     kernel has IA-32 emulation): trapped on the arch check; without it
 *     they fault (#GP, #UD) before any system call;
 *   - exit_group from anywhere but native_exit_after, rt_sigreturn from
 *     anywhere but native_sigreturn_after: trapped.
 * The handler returns only from a single-step trap while a stepped case
 * runs (through native_sigreturn, which rt_sigreturn restores the case
 * from: it can only load user registers) and calls nothing else.
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
/* At index here: go to index t when the loaded word equals v, else f. */
#define JEQ(v, here, t, f) \
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)(v), (uint8_t)((t) - (here) - 1), \
		 (uint8_t)((f) - (here) - 1))
#define IP_LO offsetof(struct seccomp_data, instruction_pointer)
#define IP_HI (offsetof(struct seccomp_data, instruction_pointer) + 4)

enum { TRAP_AT = 13, ALLOW_AT = 14 };

int native_seccomp_install(void)
{
	uint64_t ex = (uint64_t)(uintptr_t)native_exit_after;
	uint64_t sr = (uint64_t)(uintptr_t)native_sigreturn_after;
	struct sock_filter f[] = {
		/* 0 */ LOAD(offsetof(struct seccomp_data, arch)),
		/* 1 */ JEQ(AUDIT_ARCH_X86_64, 1, 2, TRAP_AT),
		/* 2 */ LOAD(offsetof(struct seccomp_data, nr)),
		/* 3 */ JEQ(__NR_exit_group, 3, 4, 8),
		/* 4 */ LOAD(IP_LO),
		/* 5 */ JEQ(ex & 0xffffffffu, 5, 6, TRAP_AT),
		/* 6 */ LOAD(IP_HI),
		/* 7 */ JEQ(ex >> 32, 7, ALLOW_AT, TRAP_AT),
		/* 8 */ JEQ(__NR_rt_sigreturn, 8, 9, TRAP_AT),
		/* 9 */ LOAD(IP_LO),
		/* 10 */ JEQ(sr & 0xffffffffu, 10, 11, TRAP_AT),
		/* 11 */ LOAD(IP_HI),
		/* 12 */ JEQ(sr >> 32, 12, ALLOW_AT, TRAP_AT),
		/* 13 */ BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP),
		/* 14 */ BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	_Static_assert(sizeof(f) / sizeof(f[0]) == ALLOW_AT + 1, "TRAP_AT, ALLOW_AT index the returns");
	struct sock_fprog prog = { .len = (unsigned short)(sizeof(f) / sizeof(f[0])), .filter = f };
	/* Unprivileged filters need no_new_privs (seccomp(2)). */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -1;
	return syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0 ? -1 : 0;
}
