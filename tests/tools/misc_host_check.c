/* Runs every host = 1 row of tests/test_ref_misc_rows.h natively on the
 * host CPU at user level and reports rows the CPU does not reproduce. This
 * is how those literals were checked; it is not part of the build or of
 * ctest. By hand (x86-64 Linux, non-PIE so the return paths sit below
 * 4 GiB):
 *   gcc -O1 -no-pie -o /tmp/misc_host_check tests/tools/misc_host_check.c
 *   /tmp/misc_host_check
 * 64-bit rows run in 64-bit mode. 32-bit rows (BCD, BOUND, 32-bit ENTER)
 * run in compatibility mode: a far jump to the kernel's 32-bit user code
 * selector 0x23 (DS/ES loaded with the flat 0x2b first), back with a far
 * jump to 0x33. The code sits at 0x10000 and the cell at 0x12100, the
 * guest's own addresses (LAYOUT_CODE, LAYOUT_DATA + 0x100), so absolute
 * values in the rows mean the same natively. Signals stand for the
 * exceptions: SIGILL #UD, SIGFPE #DE, SIGSEGV #GP/#PF/#BR. */
#define _GNU_SOURCE
#include <inttypes.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>
#include "../test_ref_misc_rows.h"

#define CODE_VA 0x10000ull
#define MAP_LEN 0x6000ull        /* 0x10000 .. 0x16000 (stack top) */

struct host_state {
	uint64_t rax, rbx, rcx, rdx, rsp, rbp, rdi, rflags; /* 0 .. 56 */
	uint64_t code;                                      /* 64 */
	uint64_t host_rsp;                                  /* 72 */
	uint32_t far_off;                                   /* 80: m16:32 */
	uint16_t far_sel;                                   /* 84 */
};
struct host_state hs;
void host_exec64(void);
void host_exec32(void);

/* 64-bit: load the row's registers (RSP last), jump to the code, which
 * ends with an absolute jump back to host_back64. */
__asm__(".text\n"
	".globl host_exec64\nhost_exec64:\n"
	"push %rbx\npush %rbp\npush %r12\npush %r13\npush %r14\npush %r15\n"
	"lea hs(%rip), %r15\nmov %rsp, 72(%r15)\n"
	"pushq 56(%r15)\npopfq\n"
	"mov 0(%r15), %rax\nmov 8(%r15), %rbx\nmov 16(%r15), %rcx\nmov 24(%r15), %rdx\n"
	"mov 40(%r15), %rbp\nmov 48(%r15), %rdi\nmov 32(%r15), %rsp\n"
	"jmp *64(%r15)\n"
	".globl host_back64\nhost_back64:\n"
	"lea hs(%rip), %r15\n"
	"mov %rax, 0(%r15)\nmov %rbx, 8(%r15)\nmov %rcx, 16(%r15)\nmov %rdx, 24(%r15)\n"
	"mov %rsp, 32(%r15)\nmov %rbp, 40(%r15)\nmov %rdi, 48(%r15)\n"
	"mov 72(%r15), %rsp\npushfq\ncld\npopq 56(%r15)\n"
	"pop %r15\npop %r14\npop %r13\npop %r12\npop %rbp\npop %rbx\nret\n"
	/* 32-bit: the same through a far jump to 0x23:code; the code ends
	 * with a far jump to 0x33:host_back32 (this file is non-PIE, so the
	 * label is below 4 GiB). */
	".globl host_exec32\nhost_exec32:\n"
	"push %rbx\npush %rbp\npush %r12\npush %r13\npush %r14\npush %r15\n"
	"lea hs(%rip), %r15\nmov %rsp, 72(%r15)\n"
	"mov $0x2b, %eax\nmov %eax, %ds\nmov %eax, %es\n"
	"pushq 56(%r15)\npopfq\n"
	"mov 0(%r15), %rax\nmov 8(%r15), %rbx\nmov 16(%r15), %rcx\nmov 24(%r15), %rdx\n"
	"mov 40(%r15), %rbp\nmov 48(%r15), %rdi\nmov 32(%r15), %rsp\n"
	"ljmpl *80(%r15)\n"
	".globl host_back32\nhost_back32:\n"
	"lea hs(%rip), %r15\n"
	"mov %eax, 0(%r15)\nmov %ebx, 8(%r15)\nmov %ecx, 16(%r15)\nmov %edx, 24(%r15)\n"
	"mov %esp, 32(%r15)\nmov %ebp, 40(%r15)\nmov %edi, 48(%r15)\n"
	"mov 72(%r15), %rsp\npushfq\ncld\npopq 56(%r15)\n"
	"xor %eax, %eax\nmov %eax, %ds\nmov %eax, %es\n"
	"pop %r15\npop %r14\npop %r13\npop %r12\npop %rbp\npop %rbx\nret\n");
extern char host_back64[], host_back32[];

static sigjmp_buf jb;
static volatile int fault_sig;
static volatile uint64_t fault_rip;

static void on_fault(int sig, siginfo_t *si, void *ucv)
{
	(void)si;
	ucontext_t *uc = ucv;
	fault_sig = sig;
	fault_rip = (uint64_t)uc->uc_mcontext.gregs[REG_RIP];
	siglongjmp(jb, 1);
}

static int hexb(const char *h, uint8_t *out)
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

static int sig_of(int vec)
{
	return vec == 6 ? SIGILL : vec == 0 ? SIGFPE : SIGSEGV;
}

int main(void)
{
	uint8_t *page = mmap((void *)CODE_VA, MAP_LEN, PROT_READ | PROT_WRITE | PROT_EXEC,
			     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if (page != (uint8_t *)CODE_VA) {
		perror("mmap 0x10000");
		return 2;
	}
	/* 0x11000 is not present in the guest's page tables either. */
	if (mprotect((void *)(CODE_VA + 0x1000), 0x1000, PROT_NONE) != 0) {
		perror("mprotect 0x11000");
		return 2;
	}
	static uint8_t altstack[65536];
	stack_t ss = { .ss_sp = altstack, .ss_size = sizeof(altstack) };
	sigaltstack(&ss, NULL);
	struct sigaction sa = { .sa_sigaction = on_fault, .sa_flags = SA_SIGINFO | SA_ONSTACK };
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGILL, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);
	sigaction(SIGFPE, &sa, NULL);
	uint64_t *cell = (uint64_t *)MISC_CELL;
	int bad = 0, ran = 0;
	for (unsigned i = 0; i < MISC_ROW_COUNT; i++) {
		const struct misc_row *r = &misc_rows[i];
		if (!r->host)
			continue;
		ran++;
		uint8_t *code = page;
		int n = hexb(r->code, code);
		if (r->bits == 64) {
			/* jmp *0(%rip); .quad host_back64 */
			memcpy(code + n, "\xff\x25\x00\x00\x00\x00", 6);
			uint64_t back = (uint64_t)host_back64;
			memcpy(code + n + 6, &back, 8);
		} else {
			/* ljmp $0x33, $host_back32 */
			uint32_t back = (uint32_t)(uint64_t)host_back32;
			code[n] = 0xea;
			memcpy(code + n + 1, &back, 4);
			code[n + 5] = 0x33;
			code[n + 6] = 0;
		}
		memcpy(cell, r->mem, sizeof(r->mem));
		hs = (struct host_state){ .rax = r->rax, .rbx = r->rbx, .rcx = r->rcx,
					  .rdx = r->rdx, .rsp = r->rsp, .rbp = r->rbp,
					  .rdi = r->rdi, .rflags = r->fin | 0x202,
					  .code = CODE_VA, .far_off = (uint32_t)CODE_VA,
					  .far_sel = 0x23 };
		fault_sig = 0;
		if (sigsetjmp(jb, 1) == 0) {
			if (r->bits == 64)
				host_exec64();
			else
				host_exec32();
		}
		__asm__ volatile("xor %%eax, %%eax; mov %%eax, %%ds; mov %%eax, %%es" ::: "eax");
		char why[400] = "";
		size_t w = 0;
#define WHY(...) (w += (size_t)snprintf(why + w, w < sizeof(why) ? sizeof(why) - w : 0, __VA_ARGS__))
		if (r->vec >= 0) {
			if (fault_sig != sig_of(r->vec) || fault_rip != CODE_VA)
				WHY(" wanted signal %d at 0x%" PRIx64 ", got %d at 0x%" PRIx64 ";",
				    sig_of(r->vec), (uint64_t)CODE_VA, fault_sig, fault_rip);
			for (int k = 0; k < 8; k++)
				if (cell[k] != r->o_mem[k])
					WHY(" mem[%d] 0x%" PRIx64 " want 0x%" PRIx64 ";", k, cell[k],
					    r->o_mem[k]);
		} else {
			uint64_t m = r->bits == 64 ? ~0ull : 0xffffffffull;
			if (fault_sig)
				WHY(" signal %d at 0x%" PRIx64 ";", fault_sig, fault_rip);
			const uint64_t got[7] = { hs.rax, hs.rbx, hs.rcx, hs.rdx, hs.rsp, hs.rbp, hs.rdi };
			const uint64_t want[7] = { r->o_rax, r->o_rbx, r->o_rcx, r->o_rdx,
						   r->o_rsp, r->o_rbp, r->o_rdi };
			static const char *names[7] = { "rax", "rbx", "rcx", "rdx", "rsp", "rbp", "rdi" };
			for (int k = 0; !fault_sig && k < 7; k++)
				if ((got[k] & m) != (want[k] & m))
					WHY(" %s 0x%" PRIx64 " want 0x%" PRIx64 ";", names[k],
					    got[k] & m, want[k] & m);
			if (!fault_sig && (hs.rflags & r->def) != (r->fout & r->def))
				WHY(" flags 0x%" PRIx64 " want 0x%x;", hs.rflags & r->def,
				    r->fout & r->def);
			for (int k = 0; k < 8; k++)
				if (cell[k] != r->o_mem[k])
					WHY(" mem[%d] 0x%" PRIx64 " want 0x%" PRIx64 ";", k, cell[k],
					    r->o_mem[k]);
		}
#undef WHY
		printf("%s %-32s %s\n", w ? "MISMATCH" : "ok      ", r->name, why);
		bad += w != 0;
	}
	printf("%d rows run natively, %d mismatches\n", ran, bad);
	return bad ? 1 : 0;
}
