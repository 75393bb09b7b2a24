/*
 * The exported cases.c: each case as readable C data (struct tmk_case of
 * tmk/runtime/tmk.h), preceded by a comment with its disassembly (Capstone,
 * on the host) and both outcomes as `.case` expect sections, then the case
 * table and the name table `exitdiff tmk --list` reads.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include "decode.h"
#include "diff.h"
#include "knobs.h"
#include "layout.h"
#include "mode.h"
#include "tmk_gen.h"
#include "tmk_host.h"

int tmk_gen_expressible(const struct outcome *o)
{
	const struct exit_event *t = outcome_terminal(o);
	return t && (t->kind == EXIT_HLT || t->kind == EXIT_EXCEPTION ||
		     t->kind == EXIT_TIMEOUT || t->kind == EXIT_SHUTDOWN);
}

/* Text inside a C comment: no comment terminator may survive. */
static void comment_text(FILE *f, const char *prefix, const char *s)
{
	fputs(prefix, f);
	for (; *s; s++) {
		/* Neither a terminator nor an opener (-Wcomment) survives. */
		if ((s[0] == '*' && s[1] == '/') || (s[0] == '/' && s[1] == '*')) {
			fputc(s[0], f);
			fputc(' ', f);
			continue;
		}
		fputc(*s, f);
		if (*s == '\n' && s[1])
			fputs(prefix, f);
	}
}

static void disassembly(FILE *f, const struct test_case *c)
{
	struct dec dec;
	char err[160];
	if (dec_open(&dec, err, sizeof(err)) < 0) {
		fprintf(f, " *   (no disassembly: %s)\n", err);
		return;
	}
	unsigned bits = dec_bits((enum cpu_mode)c->mode);
	/* Real mode and v86: offsets in CS (base LAYOUT_CODE), as RIP is reported. */
	uint64_t base = mode_real_segs((enum cpu_mode)c->mode) ? 0 : LAYOUT_CODE;
	for (unsigned at = 0; at < c->code_len;) {
		const cs_insn *insn = dec.insn;
		unsigned len = dec_one(&dec, bits, c->code + at, c->code_len - at, base + at, NULL);
		if (!len) {
			fprintf(f, " *   0x%05" PRIx64 "  %02x%*s(undecodable byte)\n",
				base + at, c->code[at], 28, "");
			at++;
			continue;
		}
		/* The case's bytes: the decoder may have reordered prefixes. */
		char hex[64] = "";
		for (unsigned i = 0; i < len && i < 15; i++)
			snprintf(hex + strlen(hex), sizeof(hex) - strlen(hex), "%02x ", c->code[at + i]);
		fprintf(f, " *   0x%05" PRIx64 "  %-30s", base + at, hex);
		comment_text(f, "", insn->mnemonic);
		fputc(' ', f);
		comment_text(f, "", insn->op_str);
		fputc('\n', f);
		at += len;
	}
	fprintf(f, " *   (then HLT padding to the end of the code page)\n");
	dec_close(&dec);
}

static void outcome_comment(FILE *f, const char *title, const struct outcome *o,
			    const struct test_case *c)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	if (!m)
		return;
	outcome_print(m, o, c);
	fclose(m);
	fprintf(f, " * %s:\n", title);
	comment_text(f, " *   ", buf);
	if (len && buf[len - 1] != '\n')
		fputc('\n', f);
	free(buf);
}

static void bytes_array(FILE *f, const char *name, const uint8_t *b, size_t n)
{
	fprintf(f, "static const uint8_t %s[%zu] = {", name, n ? n : 1);
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%s0x%02x,", i % 12 ? " " : "\n\t", b[i]);
	fprintf(f, "%s};\n", n ? "\n" : "");
}

static void c_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', f);
		if ((unsigned char)*s < 0x20 || (unsigned char)*s >= 0x7f)
			fprintf(f, "\\%03o", (unsigned char)*s);
		else
			fputc(*s, f);
	}
	fputc('"', f);
}

/* Bytes of the compare window the expectation changes, as runs. */
static unsigned mem_runs(FILE *f, unsigned idx, const struct test_case *c,
			 const struct outcome *e)
{
	uint8_t *init = malloc(LAYOUT_CMP_SIZE);
	case_initial_mem(c, init);
	unsigned n = 0;
	char *tab = NULL;
	size_t tablen = 0;
	FILE *t = open_memstream(&tab, &tablen);
	for (uint32_t i = 0; i < LAYOUT_CMP_SIZE;) {
		if (init[i] == e->mem[i]) {
			i++;
			continue;
		}
		uint32_t j = i;
		while (j < LAYOUT_CMP_SIZE && init[j] != e->mem[j])
			j++;
		char name[64];
		snprintf(name, sizeof(name), "case%u_mem%u", idx, n);
		bytes_array(f, name, e->mem + i, j - i);
		fprintf(t, "\t{ 0x%x, %u, %s },\n", LAYOUT_CMP_BASE + i, j - i, name);
		n++;
		i = j;
	}
	fclose(t);
	if (n)
		fprintf(f, "static const struct tmk_mem_run case%u_mem[] = {\n%s};\n", idx, tab);
	free(tab);
	free(init);
	return n;
}

static void gpr_list(FILE *f, const uint64_t *g)
{
	fprintf(f, "{");
	for (int i = 0; i < GPR_COUNT; i++)
		fprintf(f, "%s0x%" PRIx64 ",", i % 4 ? " " : "\n\t\t", g[i]);
	fprintf(f, "\n\t}");
}

/* Why the runtime cannot reproduce an expectation, or NULL. Without
 * paging a legacy-mode case reaches physical memory directly, and above
 * the layout's RAM the runtime's guest has its own RAM (the image at
 * 1 MiB): it answers reads like MMIO only up to TMK_LEGACY_MMIO_END and
 * keeps what is written. */
static const char *unreproducible(const struct test_case *c, const struct outcome *e)
{
	if (case_arms_breakpoints(c))
		return "the case arms debug breakpoints (MOV DR7), which would go on firing in "
		       "the runtime after the case (docs/tmk.md)";
	if (c->event[0].kind)
		return "an event the hypervisor makes pending (event line): a TMK cannot ask its "
		       "VMM for one";
	if (c->rflags & RFLAGS_TF)
		return "TF set: the runtime enters a case with POPF, which would single-step "
		       "the runtime's own next instruction (docs/tmk.md)";
	for (uint32_t i = 0; i < e->n_events; i++) {
		if (e->events[i].kind == EXIT_MSR)
			return "an MSR access answered by exitdiff (knob msr-exit): a plain VMM "
			       "handles the MSR itself (docs/formats.md)";
		if (e->events[i].kind == EXIT_HYPERCALL)
			return "a hypercall answered by exitdiff (KVM_CAP_EXIT_HYPERCALL): a plain "
			       "VMM does not enable its exit (docs/harness.md)";
	}
	if (c->mode != MODE_PROT32 && c->mode != MODE_REAL16 && c->mode != MODE_V86)
		return NULL;
	for (uint32_t i = 0; i < e->n_events; i++) {
		const struct exit_event *ev = &e->events[i];
		if (ev->kind == EXIT_MMIO &&
		    (ev->dir == DIR_OUT || ev->addr + ev->size > TMK_LEGACY_MMIO_END))
			return "MMIO without paging above the runtime's answered range: "
			       "the guest has RAM there (docs/tmk.md)";
	}
	return NULL;
}

void tmk_gen_case(FILE *f, unsigned idx, const struct tmk_gen_case *g)
{
	const struct test_case *c = &g->cf->c;
	const struct outcome *e = g->expect;
	const struct exit_event *t = outcome_terminal(e);

	fprintf(f, "\n/* ------------------------------------------------------------------\n");
	fprintf(f, " * Case %u: ", idx);
	comment_text(f, "", c->id);
	fprintf(f, "\n * From: ");
	/* The file's name only: where it lay on the exporting machine is
	 * nobody's business in a reproducer. */
	const char *base = strrchr(g->path, '/');
	comment_text(f, "", base ? base + 1 : g->path);
	char kn[256];
	fprintf(f, "\n * Mode: %s, knobs: %s\n", mode_name((enum cpu_mode)c->mode),
		c->knobs ? knobs_format(c->knobs, kn, sizeof(kn)) : "none");
	fprintf(f, " *\n * Code at 0x%x (%u bytes):\n", LAYOUT_CODE, c->code_len);
	disassembly(f, c);
	fprintf(f, " * Initial registers (others zero): rflags=0x%" PRIx64, c->rflags);
	for (int i = 0; i < GPR_COUNT; i++)
		if (c->gpr[i])
			fprintf(f, " %s=0x%" PRIx64, gpr_name((enum gpr)i), c->gpr[i]);
	fprintf(f, "\n * Initial data: %u bytes at 0x%x\n *\n", c->data_len, LAYOUT_DATA);
	if (g->cf->known_reason[0]) {
		fprintf(f, " * KNOWN DIVERGENCE: ");
		comment_text(f, "", g->cf->known_reason);
		fprintf(f, " (");
		comment_text(f, "", g->cf->known_signature);
		fprintf(f, ")\n *\n");
	}
	fprintf(f, " * Embedded expectation: ");
	comment_text(f, "", g->expect_source);
	fprintf(f, "\n");
	if (g->ref)
		outcome_comment(f, "Reference outcome (exitdiff's emulator)", g->ref, c);
	if (g->kvm)
		outcome_comment(f, "KVM outcome (exitdiff's harness)", g->kvm, c);
	if (g->ref && g->kvm) {
		struct divergence d;
		enum verdict v = outcome_diff(g->ref, g->kvm, &d);
		char line[256];
		divergence_describe(&d, line, sizeof(line));
		fprintf(f, " * Verdict: %s", v == VERDICT_AGREE ? "AGREE" :
			v == VERDICT_DIVERGE ? "DIVERGENCE " : "NOT COMPARED");
		if (v == VERDICT_DIVERGE) {
			comment_text(f, "", d.signature);
			fprintf(f, "\n *   ");
			comment_text(f, "", line);
		}
		fprintf(f, "\n");
	}
	fprintf(f, " */\n");

	char name[64];
	snprintf(name, sizeof(name), "case%u_code", idx);
	bytes_array(f, name, c->code, c->code_len);
	snprintf(name, sizeof(name), "case%u_data", idx);
	bytes_array(f, name, c->data, c->data_len);
	unsigned nmem = mem_runs(f, idx, c, e);

	fprintf(f, "static const struct tmk_case case%u = {\n", idx);
	fprintf(f, "\t.id = ");
	c_string(f, c->id);
	fprintf(f, ",\n\t.mode = %u, /* %s */\n\t.knobs = 0x%x,", c->mode,
		mode_name((enum cpu_mode)c->mode), c->knobs);
	fprintf(f, "\n\t.gpr = ");
	gpr_list(f, c->gpr);
	fprintf(f, ",\n\t.rflags = 0x%" PRIx64 ",\n", c->rflags);
	fprintf(f, "\t.code_len = %u, .code = case%u_code,\n", c->code_len, idx);
	fprintf(f, "\t.data_len = %u, .data = case%u_data,\n", c->data_len, idx);
	const char *skip = unreproducible(c, e);
	if (skip) {
		fprintf(f, "\t.skip = ");
		c_string(f, skip);
		fprintf(f, ",\n");
	}
	fprintf(f, "\t.expect = {\n\t\t.kind = %u, /* %s */\n", t->kind,
		exit_kind_name((enum exit_kind)t->kind));
	if (t->kind == EXIT_EXCEPTION) {
		fprintf(f, "\t\t.vector = %" PRIu64 ", .has_error_code = %u, .error_code = 0x%x,\n",
			t->addr, t->has_error_code, t->error_code);
		fprintf(f, "\t\t.exc_rip = 0x%" PRIx64 ", .cr2 = 0x%" PRIx64 ",\n", t->rip, t->cr2);
	}
	fprintf(f, "\t\t.gpr = ");
	gpr_list(f, e->state.gpr);
	fprintf(f, ",\n\t\t.rip = 0x%" PRIx64 ", .rflags = 0x%" PRIx64
		", .undefined_flags = 0x%" PRIx64 ",\n", e->state.rip, e->state.rflags,
		e->undefined_flags);
	/* A recorded expectation does not keep host_gprs: this run of the
	 * reference says which registers CPUID wrote. */
	uint32_t masked = e->undefined_gprs | e->host_gprs | (g->ref ? g->ref->host_gprs : 0);
	if (masked)
		fprintf(f, "\t\t.masked_gprs = 0x%x, /* unpredictable or host-decided */\n", masked);
	for (int i = 0; i < 16; i++)
		if (e->state.xmm[i][0] || e->state.xmm[i][1])
			fprintf(f, "\t\t.xmm[%d] = { 0x%" PRIx64 ", 0x%" PRIx64 " },\n", i,
				e->state.xmm[i][0], e->state.xmm[i][1]);
	if (nmem)
		fprintf(f, "\t\t.n_mem = %u, .mem = case%u_mem,\n", nmem, idx);
	fprintf(f, "\t},\n};\n");
}

void tmk_gen_tables(FILE *f, const struct tmk_gen_case *g, unsigned n)
{
	fprintf(f, "\nconst struct tmk_case *const tmk_cases[] = {\n");
	for (unsigned i = 0; i < n; i++)
		fprintf(f, "\t&case%u,\n", i);
	fprintf(f, "};\nconst unsigned tmk_ncases = %u;\n\n", n);
	fprintf(f, "/* The names `exitdiff tmk --list` reads from the image (the header in\n"
		" * boot.S points here): NUL-separated, an empty name ends the list. */\n");
	fprintf(f, "__attribute__((section(\".tmknames\"), used))\nconst char tmk_names[] =\n");
	for (unsigned i = 0; i < n; i++) {
		fprintf(f, "\t");
		c_string(f, g[i].cf->c.id);
		fprintf(f, " \"\\0\"\n");
	}
	fprintf(f, "\t\"\";\n");
}
