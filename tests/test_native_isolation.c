/* The native executor keeps the host out of the case's reach: SYSCALL (with
 * exit, and with unlink on a real file), SYSENTER and INT 0x80 end the case
 * with a recorded event and change nothing; an access to the MMIO window is
 * reported as MMIO; a case may write its own code page and run what it
 * wrote; a case that never ends is a timeout; and the per-case cost of a
 * fork is measured. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "knobs.h"
#include "native.h"
#include "outcome_check.h"

static struct executor ex = { .ops = &native_executor_ops };
static struct test_case tc;
static struct outcome o;

static void go(const char *name, const uint8_t *code, unsigned n)
{
	oc_start(&tc, MODE_LONG64, KNOB_CPL3);
	oc_run_code(&ex, &tc, &o, name, code, n);
}

/* The case ended on a system call the filter trapped: not comparable,
 * the call named, RIP at the instruction. */
static void want_syscall(const char *what, const char *prefix, uint64_t rip)
{
	CHECK_EQ_U64(oc_term(&o)->kind, EXIT_UNSUPPORTED, "system call: not comparable");
	CHECK(!strncmp(o.mnemonic, prefix, strlen(prefix)), "%s recorded as '%s' (want '%s...')",
	      what, o.mnemonic, prefix);
	CHECK_EQ_U64(oc_term(&o)->rip, rip, "system call rip");
}

static double now_us(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

int main(void)
{
	if (ex.ops->init(&ex, ex.err, sizeof(ex.err)) < 0) {
		printf("FAILED: native init: %s\n", ex.err);
		return 1;
	}

	/* mov eax, 60 (exit); xor edi, edi; syscall: the child must not
	 * just exit: the filter traps the call and it is recorded. */
	go("syscall-exit", B(0xb8, 60, 0, 0, 0, 0x31, 0xff, 0x0f, 0x05, 0xf4));
	want_syscall("SYSCALL exit", "native:syscall 60", LAYOUT_CODE + 7);
	CHECK_EQ_U64(o.state.gpr[RAX], 60, "rax holds the call number");

	/* exit_group (231), the one call the filter knows: from the case it
	 * is trapped like any other. */
	go("syscall-exit-group", B(0xb8, 231, 0, 0, 0, 0x0f, 0x05, 0xf4));
	want_syscall("SYSCALL exit_group", "native:syscall 231", LAYOUT_CODE + 5);

	/* unlink(path) on a real file: the file must still be there. The
	 * path is in the case's data page. */
	char path[] = "/tmp/exitdiff-native-XXXXXX";
	int fd = mkstemp(path);
	CHECK(fd >= 0, "temporary file %s", path);
	close(fd);
	oc_start(&tc, MODE_LONG64, KNOB_CPL3);
	memcpy(tc.data, path, sizeof(path));
	tc.data_len = sizeof(path);
	tc.gpr[RDI] = LAYOUT_DATA;
	static const uint8_t unlink_code[] = { 0xb8, 87, 0, 0, 0, 0x0f, 0x05, 0xf4 };
	oc_run_code(&ex, &tc, &o, "syscall-unlink", unlink_code, sizeof(unlink_code));
	want_syscall("SYSCALL unlink", "native:syscall 87", LAYOUT_CODE + 5);
	struct stat st;
	CHECK(stat(path, &st) == 0, "%s still exists after the case's unlink", path);
	unlink(path);

	/* INT 0x80 (the 32-bit ABI): trapped as a 32-bit call when the
	 * kernel has IA-32 emulation, else #GP(0x80*8+2) (a DPL0 gate). */
	go("int80", B(0xb8, 1, 0, 0, 0, 0xcd, 0x80, 0xf4));
	printf("checked: INT 0x80 ended as %s %s\n", exit_kind_name((enum exit_kind)oc_term(&o)->kind), o.mnemonic);
	if (oc_term(&o)->kind == EXIT_UNSUPPORTED)
		want_syscall("INT 0x80", "native:syscall32 1", LAYOUT_CODE + 5);
	else
		oc_want_exc(&o, 13, 1, 0x80 * 8 + 2, LAYOUT_CODE + 5);

	/* SYSENTER: #UD in 64-bit mode on AMD (APM Vol. 3 SYSENTER); on
	 * Intel the kernel's 32-bit entry, trapped as a 32-bit call. */
	go("sysenter", B(0x0f, 0x34, 0xf4));
	printf("checked: SYSENTER ended as %s %s\n", exit_kind_name((enum exit_kind)oc_term(&o)->kind), o.mnemonic);
	if (oc_term(&o)->kind == EXIT_UNSUPPORTED)
		CHECK(!strncmp(o.mnemonic, "native:syscall32", 16), "SYSENTER trapped: '%s'", o.mnemonic);
	else
		oc_want_exc(&o, 6, 0, 0, LAYOUT_CODE);

	/* mov eax, 0xc0000010; mov ebx, [rax]: the MMIO window, a read (a
	 * disp32 would sign-extend to 0xffffffffc0000010). */
	go("mmio-read", B(0xb8, 0x10, 0x00, 0x00, 0xc0, 0x8b, 0x18, 0xf4));
	CHECK_EQ_U64(o.n_events, 2, "mmio: one access, then the end");
	CHECK_EQ_U64(o.events[0].kind, EXIT_MMIO, "mmio: event kind");
	CHECK_EQ_U64(o.events[0].addr, 0xc0000010, "mmio: address");
	CHECK_EQ_U64(o.events[0].dir, DIR_IN, "mmio: a read");
	CHECK(oc_term(&o)->kind == EXIT_UNSUPPORTED && !strcmp(o.mnemonic, "native:mmio"),
	      "mmio: the run ends there ('%s')", o.mnemonic);

	/* mov eax, 0xc0000008; mov [rax], ebx: a write. */
	go("mmio-write", B(0xb8, 0x08, 0x00, 0x00, 0xc0, 0x89, 0x18, 0xf4));
	CHECK_EQ_U64(o.events[0].kind, EXIT_MMIO, "mmio write: event kind");
	CHECK_EQ_U64(o.events[0].dir, DIR_OUT, "mmio write: a write");

	/* mov byte [rip+1], 0x90... : overwrite the following UD2 (0f 0b)
	 * with two NOPs, then run on to the HLT. A case owns its code page. */
	go("self-modify", B(0x66, 0xc7, 0x05, 0x02, 0x00, 0x00, 0x00, 0x90, 0x90, /* mov word [rip+2], 0x9090 */
			    0x90, 0x90, 0x0f, 0x0b, 0xf4));
	oc_want_exc(&o, 13, 1, 0, LAYOUT_CODE + 13);
	CHECK_EQ_U64(oc_mem(&o, LAYOUT_CODE + 11, 2), 0x9090, "code page holds what the case wrote");

	/* jmp $: the budget ends it. */
	double t0 = now_us();
	go("jmp-self", B(0xeb, 0xfe));
	CHECK_EQ_U64(oc_term(&o)->kind, EXIT_TIMEOUT, "jmp $: timeout");
	CHECK_EQ_U64(o.state.rip, LAYOUT_CODE, "jmp $: state taken at the loop");
	printf("checked: a timeout takes %.1f ms (budget %u us of user time)\n",
	       (now_us() - t0) / 1e3, KVM_TIME_BUDGET_US);

	/* The cost of one case: a fork, the set-up, a HLT. */
	enum { N = 200 };
	oc_start(&tc, MODE_LONG64, KNOB_CPL3);
	tc.code[0] = 0xf4;
	tc.code_len = 1;
	t0 = now_us();
	for (int i = 0; i < N; i++)
		ex.ops->run(&ex, &tc, &o);
	printf("checked: %.1f us per case (fork per case, %d cases)\n", (now_us() - t0) / N, N);
	CHECK_EQ_U64(oc_term(&o)->kind, EXIT_EXCEPTION, "the last of them ended at its HLT");

	ex.ops->fini(&ex);
	return check_done("test_native_isolation");
}
