/* Runs every golden row of tests/test_ref_alu_rows.h natively on the host
 * CPU (user level, 64-bit) and reports rows whose expected values the CPU
 * does not reproduce. This is how the literals in the rows file were
 * checked; it is not part of the build or of ctest (the host CPU is not
 * under test). Build and run by hand:
 *   gcc -O1 -o /tmp/alu_host_check tests/tools/alu_host_check.c && /tmp/alu_host_check
 * Exit status 0 when every row matches. */
#define _GNU_SOURCE
#include <inttypes.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>
#include "../test_ref_alu_rows.h"

struct host_state {
	uint64_t rax, rcx, rdx, rbx, rflags;
	void *code;
};
void host_exec(struct host_state *s);

/* Loads RAX RCX RDX RBX and RFLAGS from the state, calls the code (the
 * row's instruction then RET), stores them back. RDI keeps the state
 * pointer across the call: no row touches RDI. */
__asm__(".text\n.globl host_exec\nhost_exec:\n"
	"push %rbx\npush %rbp\npush %rdi\n"
	"mov 0(%rdi), %rax\nmov 8(%rdi), %rcx\nmov 16(%rdi), %rdx\nmov 24(%rdi), %rbx\n"
	"pushq 32(%rdi)\npopfq\n"
	"call *40(%rdi)\n"
	"pushfq\ncld\n"
	"mov 8(%rsp), %rdi\n"
	"mov %rax, 0(%rdi)\nmov %rcx, 8(%rdi)\nmov %rdx, 16(%rdi)\nmov %rbx, 24(%rdi)\n"
	"popq 32(%rdi)\n"
	"pop %rdi\npop %rbp\npop %rbx\nret\n");

static sigjmp_buf jb;
static volatile int fault_sig;
static struct host_state fault_regs;

static void on_fault(int sig, siginfo_t *si, void *uc_)
{
	(void)si;
	ucontext_t *uc = uc_;
	fault_sig = sig;
	fault_regs.rax = (uint64_t)uc->uc_mcontext.gregs[REG_RAX];
	fault_regs.rcx = (uint64_t)uc->uc_mcontext.gregs[REG_RCX];
	fault_regs.rdx = (uint64_t)uc->uc_mcontext.gregs[REG_RDX];
	fault_regs.rbx = (uint64_t)uc->uc_mcontext.gregs[REG_RBX];
	fault_regs.rflags = (uint64_t)uc->uc_mcontext.gregs[REG_EFL];
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

int main(void)
{
	uint8_t *code = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC,
			     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (code == MAP_FAILED) {
		perror("mmap");
		return 2;
	}
	struct sigaction sa = { .sa_sigaction = on_fault, .sa_flags = SA_SIGINFO };
	sigaction(SIGFPE, &sa, NULL);
	sigaction(SIGSEGV, &sa, NULL);
	int bad = 0;
	for (unsigned i = 0; i < ALU_ROW_COUNT; i++) {
		const struct alu_row *r = &alu_rows[i];
		int n = hex_bytes(r->code, code);
		code[n] = 0xc3;
		static uint64_t cell;
		cell = r->mem;
		struct host_state s = { r->rax, r->rcx, r->rdx, (uint64_t)&cell,
					r->fin | 2, code };
		int vec = -1;
		fault_sig = 0;
		if (sigsetjmp(jb, 1) == 0) {
			host_exec(&s);
		} else {
			vec = fault_sig == SIGFPE ? 0 : 99;
			s = fault_regs;
		}
		uint64_t mask = r->def;
		int ok = vec == r->vec && s.rax == r->o_rax && s.rcx == r->o_rcx &&
			 s.rdx == r->o_rdx && cell == r->o_mem &&
			 (s.rflags & mask) == (r->fout & mask);
		if (!ok) {
			bad++;
			printf("MISMATCH %-22s vec %d/%d rax %" PRIx64 "/%" PRIx64
			       " rcx %" PRIx64 "/%" PRIx64 " rdx %" PRIx64 "/%" PRIx64
			       " mem %" PRIx64 "/%" PRIx64 " flags %" PRIx64 "/%x (def %x)\n",
			       r->name, vec, r->vec, s.rax, r->o_rax, s.rcx, r->o_rcx,
			       s.rdx, r->o_rdx, cell, r->o_mem,
			       s.rflags & mask, (unsigned)(r->fout & mask), (unsigned)r->def);
		}
	}
	printf("%u rows, %d mismatches against the host CPU\n", (unsigned)ALU_ROW_COUNT, bad);
	return bad ? 1 : 0;
}
