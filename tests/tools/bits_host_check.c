/* Runs every host = 1 row of tests/test_ref_bits_rows.h natively on the
 * host CPU (user level, 64-bit) and reports rows the CPU does not
 * reproduce. This is how those literals were checked; it is not part of
 * the build or of ctest. By hand:
 *   gcc -O1 -o /tmp/bits_host_check tests/tools/bits_host_check.c && /tmp/bits_host_check
 * In user mode RFLAGS.IF is 1, so bit 9 is cleared from what PUSHF rows
 * leave in RCX; SIGSEGV stands for #GP (no row touches unmapped memory)
 * and SIGILL for #UD. */
#define _GNU_SOURCE
#include <inttypes.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>
#include "../test_ref_bits_rows.h"

struct host_state {
	uint64_t rax, rbx, rcx, rdx, rdi, rflags;
	void *code;
};
void host_exec(struct host_state *s);

/* R15 keeps the state pointer across the call: no row touches it. */
__asm__(".text\n.globl host_exec\nhost_exec:\n"
	"push %rbx\npush %rbp\npush %r15\nmov %rdi, %r15\n"
	"mov 0(%r15), %rax\nmov 8(%r15), %rbx\nmov 16(%r15), %rcx\nmov 24(%r15), %rdx\n"
	"mov 32(%r15), %rdi\npushq 40(%r15)\npopfq\n"
	"call *48(%r15)\n"
	"pushfq\ncld\n"
	"mov %rax, 0(%r15)\nmov %rbx, 8(%r15)\nmov %rcx, 16(%r15)\nmov %rdx, 24(%r15)\n"
	"mov %rdi, 32(%r15)\npopq 40(%r15)\n"
	"pop %r15\npop %rbp\npop %rbx\nret\n");

static sigjmp_buf jb;
static volatile int fault_sig;

static void on_fault(int sig, siginfo_t *si, void *uc)
{
	(void)si;
	(void)uc;
	fault_sig = sig;
	siglongjmp(jb, 1);
}

static int hex_bytes(const char *h, uint8_t *out)
{
	int n = 0;
	for (; h[0] && h[1]; h += 2) {
		unsigned v;
		if (sscanf(h, "%2x", &v) != 1)
			return -1;
		out[n++] = (uint8_t)v;
	}
	return n;
}

static uint64_t cell[4] __attribute__((aligned(16)));

int main(void)
{
	uint8_t *code = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC,
			     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (code == MAP_FAILED) {
		perror("mmap");
		return 2;
	}
	struct sigaction sa = { .sa_sigaction = on_fault, .sa_flags = SA_SIGINFO };
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGILL, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);
	int bad = 0, ran = 0;
	for (unsigned i = 0; i < BITS_ROW_COUNT; i++) {
		const struct bits_row *r = &bits_rows[i];
		if (!r->host)
			continue;
		ran++;
		int n = hex_bytes(r->code, code);
		code[n] = 0xc3;
		memcpy(cell, r->mem, sizeof(cell));
		struct host_state s = { r->rax, r->rbx, r->rcx, r->rdx, (uint64_t)&cell[2],
					r->fin | 2, code };
		struct host_state in = s;
		volatile int vec = -1;
		fault_sig = 0;
		if (sigsetjmp(jb, 1) == 0)
			host_exec(&s);
		else {
			vec = fault_sig == SIGILL ? 6 : 13;
			s = in;
		}
		if (!strncmp(r->name, "push", 4))
			s.rcx &= ~0x200ull;
		uint64_t mask = r->def;
		int ok = vec == r->vec && s.rax == r->o_rax && s.rbx == r->o_rbx &&
			 s.rcx == r->o_rcx && s.rdx == r->o_rdx &&
			 !memcmp(cell, r->o_mem, sizeof(cell)) &&
			 (vec >= 0 || (s.rflags & mask) == (r->fout & mask));
		if (!ok) {
			bad++;
			printf("MISMATCH %-26s vec %d/%d rax %" PRIx64 "/%" PRIx64 " rbx %" PRIx64
			       "/%" PRIx64 " rcx %" PRIx64 "/%" PRIx64 " rdx %" PRIx64 "/%" PRIx64
			       " mem %" PRIx64 " %" PRIx64 " %" PRIx64 " %" PRIx64
			       " flags %" PRIx64 "/%x\n", r->name, vec, r->vec, s.rax, r->o_rax,
			       s.rbx, r->o_rbx, s.rcx, r->o_rcx, s.rdx, r->o_rdx, cell[0], cell[1],
			       cell[2], cell[3], s.rflags & mask, (unsigned)(r->fout & mask));
		}
	}
	printf("%d rows run natively, %d mismatches against the host CPU\n", ran, bad);
	return bad ? 1 : 0;
}
