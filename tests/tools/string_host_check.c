/* Runs every host = 1 row of tests/test_ref_string_rows.h natively on the
 * host CPU (user level, 64-bit; the buffer below 4 GiB so the 67h rows
 * work) and reports rows the CPU does not reproduce. Not part of the build
 * or of ctest. By hand:
 *   gcc -O1 -o /tmp/string_host_check tests/tools/string_host_check.c && /tmp/string_host_check */
#define _GNU_SOURCE
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include "../test_ref_string_rows.h"

struct host_state {
	uint64_t rax, rcx, rsi, rdi, rflags;
	void *code;
};
void host_exec(struct host_state *s);

__asm__(".text\n.globl host_exec\nhost_exec:\n"
	"push %rbx\npush %rbp\npush %r15\nmov %rdi, %r15\n"
	"mov 0(%r15), %rax\nmov 8(%r15), %rcx\nmov 16(%r15), %rsi\nmov 24(%r15), %rdi\n"
	"pushq 32(%r15)\npopfq\n"
	"call *40(%r15)\n"
	"pushfq\ncld\n"
	"mov %rax, 0(%r15)\nmov %rcx, 8(%r15)\nmov %rsi, 16(%r15)\nmov %rdi, 24(%r15)\n"
	"popq 32(%r15)\n"
	"pop %r15\npop %rbp\npop %rbx\nret\n");

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
	uint8_t *page = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
	if (code == MAP_FAILED || page == MAP_FAILED) {
		perror("mmap");
		return 2;
	}
	uint64_t *buf = (uint64_t *)(page + 256);
	const uint64_t base = (uint64_t)buf;
	int bad = 0, ran = 0;
	for (unsigned i = 0; i < STR_ROW_COUNT; i++) {
		const struct str_row *r = &str_rows[i];
		if (!r->host)
			continue;
		ran++;
		int n = hex_bytes(r->code, code);
		code[n] = 0xc3;
		memcpy(buf, r->mem, sizeof(r->mem));
		struct host_state s = { r->rax, r->rcx, base + (uint64_t)r->si,
					base + (uint64_t)r->di, r->fin | 2, code };
		host_exec(&s);
		int ok = s.rax == r->o_rax && s.rcx == r->o_rcx &&
			 s.rsi == base + (uint64_t)r->o_si && s.rdi == base + (uint64_t)r->o_di &&
			 !memcmp(buf, r->o_mem, sizeof(r->o_mem)) &&
			 (s.rflags & r->def) == (r->fout & r->def);
		if (!ok) {
			bad++;
			printf("MISMATCH %-24s rax %" PRIx64 " rcx %" PRIx64 " si %" PRId64
			       " di %" PRId64 " flags %" PRIx64 "\n", r->name, s.rax, s.rcx,
			       (int64_t)(s.rsi - base), (int64_t)(s.rdi - base), s.rflags & r->def);
		}
	}
	printf("%d rows run natively, %d mismatches against the host CPU\n", ran, bad);
	return bad ? 1 : 0;
}
