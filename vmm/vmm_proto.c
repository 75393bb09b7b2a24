/* The wire between exitdiff and the batch image: case frames out, each
 * case's record of lines back into an outcome. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "layout.h"
#include "outcome.h"
#include "vmm_proto.h"

/* The O line's fields (tmk/batch/rt_batch.c). */
enum { O_KIND, O_VEC, O_HAS_EC, O_EC, O_EXC_RIP, O_CR2, O_RIP, O_RFLAGS, O_RSP_MASK,
       O_NMI_FRAME, O_NMI_LEN, O_RF_BYTE, O_COUNT };

/* The PIT's input clock, Hz (an 8254 at 1.193182 MHz). */
#define PIT_HZ 1193182ull

uint16_t vmm_pit_count(uint32_t budget_us)
{
	uint64_t n = (uint64_t)budget_us * PIT_HZ / 1000000ull;
	return (uint16_t)(n < 1 ? 1 : n > 0xffff ? 0xffff : n);
}

/* Zero runs as 00 k (k + 1 zeros): a case's data is mostly zeros between
 * a few bytes, and the serial line moves some 16 KB/s under QEMU
 * (measured: 8 KiB of data made a case cost 450 ms). */
static size_t zero_rle(const uint8_t *in, size_t n, uint8_t *out, size_t cap)
{
	size_t o = 0;
	for (size_t i = 0; i < n;) {
		if (o + 2 > cap)
			return 0;
		if (in[i]) {
			out[o++] = in[i++];
			continue;
		}
		size_t run = 1;
		while (i + run < n && !in[i + run] && run < 256)
			run++;
		out[o++] = 0;
		out[o++] = (uint8_t)(run - 1);
		i += run;
	}
	return o;
}

size_t vmm_frame(const struct test_case *c, uint16_t pit, uint8_t *buf, size_t cap)
{
	static _Thread_local uint8_t raw[CASE_BIN_MAX];
	size_t n = case_encode(c, raw, sizeof(raw));
	if (!n || cap < 7)
		return 0;
	n = zero_rle(raw, n, buf + 6, cap - 7);
	if (!n)
		return 0;
	uint8_t sum = 0;
	for (size_t i = 0; i < n; i++)
		sum = (uint8_t)(sum + buf[6 + i]);
	buf[0] = 0xa5;
	buf[1] = 0x5a;
	buf[2] = (uint8_t)pit;
	buf[3] = (uint8_t)(pit >> 8);
	buf[4] = (uint8_t)n;
	buf[5] = (uint8_t)(n >> 8);
	buf[6 + n] = sum;
	return n + 7;
}

void vmm_rec_init(struct vmm_rec *r)
{
	r->have_o = 0;
	r->gpr_set = 0;
	memset(r->xmm, 0, sizeof(r->xmm));
	memset(r->mem_set, 0, sizeof(r->mem_set));
	r->refused[0] = r->fault[0] = 0;
}

/* Hex numbers of a line after its letter into v (at most max). Returns
 * how many, or -1 on anything else. */
static int numbers(const char *s, uint64_t *v, int max)
{
	int n = 0;
	for (;;) {
		while (*s == ' ')
			s++;
		if (!*s)
			return n;
		char *end;
		if (n == max || !((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
			return -1;
		v[n++] = strtoull(s, &end, 16);
		if (*end && *end != ' ')
			return -1;
		s = end;
	}
}

static int hexval(char ch)
{
	return ch >= '0' && ch <= '9' ? ch - '0' : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10 : -1;
}

static int mem_line(struct vmm_rec *r, const char *s)
{
	char *end;
	unsigned long off = strtoul(s, &end, 16);
	if (end == s || *end != ' ')
		return -1;
	for (s = end + 1; s[0] && s[1]; s += 2, off++) {
		int hi = hexval(s[0]), lo = hexval(s[1]);
		if (hi < 0 || lo < 0 || off >= LAYOUT_CMP_SIZE)
			return -1;
		r->mem[off] = (uint8_t)(hi << 4 | lo);
		r->mem_set[off] = 1;
	}
	return *s ? -1 : 0;
}

int vmm_rec_line(struct vmm_rec *r, const char *line, char *err, size_t errlen)
{
	uint64_t v[48];
	int n;
	const char *rest = line[0] && (line[1] == ' ' || !line[1]) ? line + 1 : NULL;
	switch (rest ? line[0] : 0) {
	case 'O':
		if (numbers(rest, r->o, O_COUNT) != O_COUNT)
			break;
		r->have_o = 1;
		return VMM_REC_MORE;
	case 'G':
		if ((n = numbers(rest, v, 32)) < 0 || n % 2)
			break;
		for (int i = 0; i < n; i += 2) {
			if (v[i] >= 16)
				goto bad;
			r->gpr[v[i]] = v[i + 1];
			r->gpr_set |= (uint16_t)(1u << v[i]);
		}
		return VMM_REC_MORE;
	case 'X':
		if ((n = numbers(rest, v, 3)) != 3 || v[0] >= 16)
			break;
		r->xmm[v[0]][0] = v[1];
		r->xmm[v[0]][1] = v[2];
		return VMM_REC_MORE;
	case 'M':
		if (mem_line(r, rest + (*rest == ' ')) < 0)
			break;
		return VMM_REC_MORE;
	case 'E':
		if (!r->have_o)
			break;
		return VMM_REC_DONE;
	case 'S':
		snprintf(r->refused, sizeof(r->refused), "%s", rest + (*rest == ' '));
		return VMM_REC_DONE;
	case 'F':
		snprintf(r->fault, sizeof(r->fault), "%s", rest + (*rest == ' '));
		return VMM_REC_DONE;
	}
bad:
	snprintf(err, errlen, "not a line of a case record: '%.80s'", line);
	return -1;
}

/* The bytes from addr (len of them) that no executor can predict: the
 * guest's own frame on the case's stack. */
static void unpredictable(struct outcome *out, uint64_t addr, uint64_t len, uint32_t mask)
{
	for (uint64_t a = addr; a < addr + len && out->n_undefined_mem < UNDEF_MEM_SLOTS; a += 4)
		out->undefined_mem[out->n_undefined_mem++] =
			(struct undefined_mem){ .addr = (uint32_t)a, .mask = mask };
}

void vmm_rec_outcome(const struct vmm_rec *r, const struct test_case *c, uint32_t unobserved,
		     struct outcome *out)
{
	outcome_init(out);
	out->unobserved = unobserved;
	struct exit_event e = { .kind = EXIT_UNSUPPORTED, .rip = LAYOUT_CODE };
	if (r->refused[0] || !r->have_o) {
		/* The mnemonic holds the start of the reason: the signature
		 * of an unsupported case names it. */
		snprintf(out->mnemonic, sizeof(out->mnemonic), "vmm:%.27s",
			 r->refused[0] ? r->refused : "no record");
		out->state.rip = LAYOUT_CODE;
		outcome_push(out, &e);
		return;
	}
	const uint64_t *o = r->o;
	struct end_state *st = &out->state;
	for (int i = 0; i < 16; i++)
		st->gpr[i] = r->gpr_set & (1u << i) ? r->gpr[i] : c->gpr[i];
	st->rip = o[O_RIP];
	st->rflags = o[O_RFLAGS];
	/* RF as the guest reads it is the runtime's frame's (faults push 1
	 * on hardware and KVM, 0 under QEMU TCG in prot32), not the case's:
	 * never compared, as in a TMK (docs/tmk.md). */
	out->undefined_flags = RFLAGS_RF;
	memcpy(st->xmm, r->xmm, sizeof(st->xmm));
	layout_case_window(out->mem, c->code, c->code_len, c->data, c->data_len);
	for (size_t i = 0; i < LAYOUT_CMP_SIZE; i++)
		if (r->mem_set[i])
			out->mem[i] = r->mem[i];
	if (o[O_NMI_LEN])
		unpredictable(out, o[O_NMI_FRAME], o[O_NMI_LEN], 0xffffffffu);
	if (o[O_RF_BYTE])
		unpredictable(out, o[O_RF_BYTE], 1, 0x01);
	e = (struct exit_event){ .kind = (uint8_t)o[O_KIND] };
	switch (o[O_KIND]) {
	case EXIT_HLT:
		e.rip = o[O_RIP];
		break;
	case EXIT_EXCEPTION:
		e.addr = o[O_VEC];
		e.has_error_code = (uint8_t)o[O_HAS_EC];
		e.error_code = (uint32_t)o[O_EC];
		e.rip = o[O_EXC_RIP];
		e.cr2 = o[O_VEC] == 14 ? o[O_CR2] : 0;
		st->cr2 = e.cr2;
		break;
	case EXIT_TIMEOUT:
		break;
	default:
		e.kind = EXIT_OTHER;
		e.addr = o[O_KIND];
	}
	outcome_push(out, &e);
}

int vmm_cpuid_line(const char *line, struct cpuid_table *t)
{
	uint64_t v[6];
	if (line[0] != 'C' || line[1] != ' ' || numbers(line + 1, v, 6) != 6)
		return 0;
	if (t->n < CPUID_TABLE_MAX)
		t->e[t->n++] = (struct cpuid_entry){ (uint32_t)v[0], (uint32_t)v[1], (uint32_t)v[2],
						     (uint32_t)v[3], (uint32_t)v[4], (uint32_t)v[5] };
	return 1;
}
