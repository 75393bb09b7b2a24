/*
 * The .case printer and recorder (format: docs/formats.md). Whatever it
 * prints, case_parse() reads back to the same case_file.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "case_fields.h"
#include "case_text.h"
#include "knobs.h"
#include "mode.h"
#include "file_io.h"
#include "vendor.h"

/* Bytes per code/data line and per mem line: short enough to read. */
#define CODE_PER_LINE 16
#define MEM_PER_LINE 32

static void print_bytes(FILE *f, const uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		fprintf(f, " %02x", b[i]);
	fputc('\n', f);
}

static void print_event(FILE *f, const struct exit_event *e)
{
	enum exit_kind k = (enum exit_kind)e->kind;
	int rip_done = 0, cr2_done = 0;
	fprintf(f, "  exit %s", exit_kind_name(k));
	switch (k) {
	case EXIT_IO:
	case EXIT_MMIO:
		fprintf(f, " %s %s=0x%" PRIx64 " size=%u data=0x%" PRIx64,
			case_dir_name(k, e->dir), k == EXIT_IO ? "port" : "gpa",
			e->addr, e->size, e->data);
		break;
	case EXIT_MSR:
		fprintf(f, " %s index=0x%" PRIx64 " data=0x%" PRIx64, case_dir_name(k, e->dir),
			e->addr, e->data);
		break;
	case EXIT_HLT:
	case EXIT_UNSUPPORTED:
	case EXIT_IRQ_WINDOW:
		fprintf(f, " rip=0x%" PRIx64, e->rip);
		rip_done = 1;
		break;
	case EXIT_EXCEPTION:
		fprintf(f, " vector=%" PRIu64, e->addr);
		if (e->has_error_code)
			fprintf(f, " error=0x%" PRIx32, e->error_code);
		fprintf(f, " rip=0x%" PRIx64, e->rip);
		rip_done = 1;
		if (e->addr == 14) {
			fprintf(f, " cr2=0x%" PRIx64, e->cr2);
			cr2_done = 1;
		}
		break;
	case EXIT_INTERNAL_ERROR:
		fprintf(f, " suberror=%" PRIu64 " data=0x%" PRIx64 " ndata=%" PRIu32,
			e->addr, e->data, e->error_code);
		break;
	case EXIT_FAIL_ENTRY:
		fprintf(f, " reason=0x%" PRIx64, e->addr);
		break;
	case EXIT_TIMEOUT:
		if (e->addr <= 1)
			fprintf(f, " budget=%s", e->addr ? "events" : "steps");
		else
			fprintf(f, " budget=%" PRIu64, e->addr);
		break;
	case EXIT_OTHER:
		if (kvm_exit_reason_name(e->addr))
			fprintf(f, " reason=%s", kvm_exit_reason_name(e->addr));
		else
			fprintf(f, " reason=%" PRIu64, e->addr);
		break;
	case EXIT_HYPERCALL:
		fprintf(f, " nr=%" PRIu64 " a0=0x%" PRIx64 " a1=0x%" PRIx64 " a2=0x%" PRIx32,
			e->addr, e->data, e->cr2, e->error_code);
		cr2_done = 1;
		break;
	default:
		break;
	}
	/* Whatever else an executor recorded, so a round trip keeps it. */
	if (!rip_done && e->rip)
		fprintf(f, " rip=0x%" PRIx64, e->rip);
	if (!cr2_done && e->cr2)
		fprintf(f, " cr2=0x%" PRIx64, e->cr2);
	if (e->by[0])
		fprintf(f, " by=%.*s", (int)sizeof(e->by) - 1, e->by);
	fputc('\n', f);
}

/* The "ran" lines in address order: slot order depends on the order the
 * addresses were placed in (linear probing), so printing it would make
 * print(parse(print(x))) differ from print(x) after a collision. */
static void print_ran(FILE *f, const struct outcome *o)
{
	const struct ran_insn *by_rip[RAN_SLOTS];
	unsigned n = 0;
	for (unsigned i = 0; i < RAN_SLOTS; i++) {
		const struct ran_insn *r = &o->ran[i];
		if (!r->mnemonic[0])
			continue;
		unsigned j = n++;
		for (; j > 0 && by_rip[j - 1]->rip > r->rip; j--)
			by_rip[j] = by_rip[j - 1];
		by_rip[j] = r;
	}
	for (unsigned i = 0; i < n; i++)
		fprintf(f, "  ran 0x%" PRIx64 " %.*s\n", by_rip[i]->rip,
			(int)sizeof(by_rip[i]->mnemonic), by_rip[i]->mnemonic);
}

void outcome_print(FILE *f, const struct outcome *o, const struct test_case *c)
{
	uint32_t n = o->n_events > TRACE_MAX ? TRACE_MAX : o->n_events;
	for (uint32_t i = 0; i < n; i++)
		print_event(f, &o->events[i]);
	if (o->mnemonic[0])
		fprintf(f, "  mnemonic %.*s\n", (int)sizeof(o->mnemonic), o->mnemonic);
	if (o->prev_mnemonic[0])
		fprintf(f, "  prev %.*s\n", (int)sizeof(o->prev_mnemonic), o->prev_mnemonic);
	for (uint32_t i = 0; i < o->n_undefined_mem && i < UNDEF_MEM_SLOTS; i++)
		fprintf(f, "  undefined-mem 0x%" PRIx32 " 0x%" PRIx32 "\n",
			o->undefined_mem[i].addr, o->undefined_mem[i].mask);
	print_ran(f, o);
	/* CR0..EFER and the selectors, which an executor that cannot see
	 * them (a VMM's guest, vmm/) leaves out rather than print zeros. */
	const size_t sys_lo = offsetof(struct outcome, state.cr0),
		     sys_hi = offsetof(struct outcome, state.ss) + sizeof(o->state.ss);
	for (size_t i = 0; i < case_state_field_count; i++) {
		const struct case_state_field *sf = &case_state_fields[i];
		if ((o->unobserved & OUTCOME_NO_SYSREGS) && sf->off >= sys_lo && sf->off < sys_hi)
			continue;
		uint64_t v = case_field_get(o, sf);
		if (v || !sf->only_nonzero)
			fprintf(f, "  %s 0x%" PRIx64 "\n", sf->name, v);
	}
	for (int r = 0; r < GPR_COUNT; r++)
		if (o->writer_gpr[r][0])
			fprintf(f, "  writer %s %.*s\n", gpr_name((enum gpr)r),
				(int)sizeof(o->writer_gpr[r]), o->writer_gpr[r]);
	if (o->writer_flags[0])
		fprintf(f, "  writer rflags %.*s\n", (int)sizeof(o->writer_flags),
			o->writer_flags);
	if (o->writer_mem[0])
		fprintf(f, "  writer mem %.*s\n", (int)sizeof(o->writer_mem), o->writer_mem);
	if (o->writer_xmm[0])
		fprintf(f, "  writer xmm %.*s\n", (int)sizeof(o->writer_xmm), o->writer_xmm);

	/* Memory: only the runs of bytes that differ from the initial image. */
	uint8_t *init = malloc(LAYOUT_CMP_SIZE);
	if (!init)
		return;
	case_initial_mem(c, init);
	for (size_t i = 0; i < LAYOUT_CMP_SIZE;) {
		if (o->mem[i] == init[i]) {
			i++;
			continue;
		}
		size_t j = i;
		while (j < LAYOUT_CMP_SIZE && j - i < MEM_PER_LINE && o->mem[j] != init[j])
			j++;
		fprintf(f, "  mem 0x%zx", (size_t)LAYOUT_CMP_BASE + i);
		print_bytes(f, o->mem + i, j - i);
		i = j;
	}
	free(init);
}

static void print_known_and_expect(FILE *f, const struct case_file *cf)
{
	/* A vendor section carries its own known lines (indented inside it). */
	const char *in = cf->expect_vendor ? "  " : "";
	if (cf->expect_vendor && cf->has_expect)
		fprintf(f, "expect%s vendor=%s\n", cf->expect_from_kvm ? " kvm" : "",
			vendor_name((enum cpu_vendor)cf->expect_vendor));
	if (cf->known_reason[0])
		fprintf(f, "%sknown %s\n", in, cf->known_reason);
	if (cf->known_signature[0])
		fprintf(f, "%sknown-signature %s\n", in, cf->known_signature);
	if (!cf->has_expect)
		return;
	if (!cf->expect_vendor)
		fprintf(f, "expect%s\n", cf->expect_from_kvm ? " kvm" : "");
	if (cf->expect_env[0])
		fprintf(f, "  env %s\n", cf->expect_env);
	outcome_print(f, &cf->expect, &cf->c);
}

void case_print(FILE *f, const struct case_file *cf)
{
	const struct test_case *c = &cf->c;
	struct test_case def;
	case_init(&def);
	fprintf(f, "# exitdiff case (text format: docs/formats.md)\n");
	fprintf(f, "id %s\n", c->id[0] ? c->id : "case");
	fprintf(f, "mode %s\n", mode_name((enum cpu_mode)c->mode));
	if (c->seed)
		fprintf(f, "seed 0x%" PRIx64 "\n", c->seed);
	if (c->knobs) {
		char names[256];
		fprintf(f, "knobs %s\n", knobs_format(c->knobs, names, sizeof(names)));
	}
	for (unsigned i = 0; i < case_events_count(c->event); i++) {
		char ev[96];
		fprintf(f, "event %s\n", case_event_format(&c->event[i], ev, sizeof(ev)));
	}
	for (int r = 0; r < GPR_COUNT; r++)
		if (c->gpr[r] != def.gpr[r])
			fprintf(f, "%s 0x%" PRIx64 "\n", gpr_name((enum gpr)r), c->gpr[r]);
	if (c->rflags != def.rflags)
		fprintf(f, "rflags 0x%" PRIx64 "\n", c->rflags);
	uint32_t cl = c->code_len > CASE_CODE_MAX ? CASE_CODE_MAX : c->code_len;
	for (uint32_t i = 0; i < cl; i += CODE_PER_LINE) {
		fputs("code", f);
		print_bytes(f, c->code + i, cl - i < CODE_PER_LINE ? cl - i : CODE_PER_LINE);
	}
	/* Data: the non-zero runs; a zero last byte is printed on its own so
	 * data_len survives the round trip. */
	uint32_t dl = c->data_len > CASE_DATA_MAX ? CASE_DATA_MAX : c->data_len;
	for (uint32_t i = 0; i < dl;) {
		if (!c->data[i] && i != dl - 1) {
			i++;
			continue;
		}
		uint32_t j = i + 1;
		while (j < dl && c->data[j] && j - i < CODE_PER_LINE)
			j++;
		fprintf(f, "data 0x%x", LAYOUT_DATA + i);
		print_bytes(f, c->data + i, j - i);
		i = j;
	}
	print_known_and_expect(f, cf);
}

/* The vendor an "expect ... vendor=NAME" line names, VENDOR_UNKNOWN for
 * none; -1 when the line is not an expect line. */
static int section_vendor(const char *line, size_t n)
{
	char buf[128];
	if (n >= sizeof(buf))
		n = sizeof(buf) - 1;
	memcpy(buf, line, n);
	buf[n] = 0;
	buf[strcspn(buf, "#\r\n")] = 0;
	char *save, *w = strtok_r(buf, " \t", &save);
	if (!w || strcmp(w, "expect"))
		return -1;
	while ((w = strtok_r(NULL, " \t", &save)))
		if (!strncmp(w, "vendor=", 7)) {
			int v = vendor_from_name(w + 7);
			return v < 0 ? VENDOR_UNKNOWN : v;
		}
	return VENDOR_UNKNOWN;
}

static int starts_section(const char *line, size_t n)
{
	size_t i = 0;
	while (i < n && (line[i] == ' ' || line[i] == '\t'))
		i++;
	const char *w = line + i;
	size_t wl = 0;
	while (i + wl < n && w[wl] != ' ' && w[wl] != '\t' && w[wl] != '\r' && w[wl] != '\n' &&
	       w[wl] != '#')
		wl++;
	return (wl == 5 && !memcmp(w, "known", 5)) ||
	       (wl == 15 && !memcmp(w, "known-signature", 15)) ||
	       (wl == 6 && !memcmp(w, "expect", 6));
}

int case_record(const char *path, const struct case_file *cf, char *err, size_t errlen)
{
	char *text;
	size_t len;
	if (file_read_all(path, 0, &text, &len, err, errlen) < 0)
		return -1;
	/* The header: everything before the first known/expect line. */
	size_t keep = 0;
	while (keep < len) {
		const char *nl = memchr(text + keep, '\n', len - keep);
		size_t end = nl ? (size_t)(nl - text) + 1 : len;
		if (starts_section(text + keep, end - keep))
			break;
		keep = end;
	}
	char *out_text = NULL;
	size_t out_len = 0;
	FILE *out = open_memstream(&out_text, &out_len);
	if (!out) {
		free(text);
		snprintf(err, errlen, "%s: out of memory", path);
		return -1;
	}
	fwrite(text, 1, keep, out);
	if (keep && text[keep - 1] != '\n')
		fputc('\n', out);
	/* Other vendors' sections stay as they are (a host records its own). */
	int keeping = 0;
	for (size_t pos = keep; cf->expect_vendor && pos < len;) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t end = nl ? (size_t)(nl - text) + 1 : len;
		int v = section_vendor(text + pos, end - pos);
		if (v >= 0)
			keeping = v != VENDOR_UNKNOWN && v != cf->expect_vendor;
		if (keeping) {
			fwrite(text + pos, 1, end - pos, out);
			if (text[end - 1] != '\n')
				fputc('\n', out);
		}
		pos = end;
	}
	free(text);
	print_known_and_expect(out, cf);
	fclose(out);
	int rc = file_write_atomic(path, out_text, out_len, err, errlen);
	free(out_text);
	return rc;
}
