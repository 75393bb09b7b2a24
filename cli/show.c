#include <stdlib.h>
#include <string.h>
#include "case_text.h"
#include "decode.h"
#include "layout.h"
#include "lockstep.h"
#include "mode.h"
#include "show.h"

#define COLUMN 58

struct lines {
	char *buf;
	char **v;
	int n;
};

/* Splits outcome_print's text into lines (in place). */
static void render(struct lines *ls, const struct outcome *o, const struct test_case *c)
{
	size_t size = 0;
	FILE *m = open_memstream(&ls->buf, &size);
	ls->n = 0;
	ls->v = NULL;
	if (!m)
		return;
	outcome_print(m, o, c);
	fclose(m);
	int cap = 1;
	for (char *p = ls->buf; *p; p++)
		cap += *p == '\n';
	ls->v = calloc(cap, sizeof(char *));
	for (char *line = strtok(ls->buf, "\n"); line && ls->v; line = strtok(NULL, "\n")) {
		while (*line == ' ' || *line == '\t')
			line++;
		if (*line)
			ls->v[ls->n++] = line;
	}
}

static int is_event(const char *line)
{
	return !strncmp(line, "exit ", 5);
}

/* The key a state line is paired by: its first word, or "mem ADDR". */
static size_t key_len(const char *line)
{
	const char *sp = strchr(line, ' ');
	if (!sp)
		return strlen(line);
	if (!strncmp(line, "mem ", 4) || !strncmp(line, "writer ", 7)) {
		const char *sp2 = strchr(sp + 1, ' ');
		return sp2 ? (size_t)(sp2 - line) : strlen(line);
	}
	return (size_t)(sp - line);
}

static const char *find_key(const struct lines *ls, const char *line, int *used)
{
	size_t k = key_len(line);
	for (int i = 0; i < ls->n; i++)
		if (!used[i] && !is_event(ls->v[i]) && key_len(ls->v[i]) == k &&
		    !strncmp(ls->v[i], line, k)) {
			used[i] = 1;
			return ls->v[i];
		}
	return NULL;
}

/* Lines only the reference can fill (which instruction wrote what): shown,
 * never marked as a difference. */
static int is_metadata(const char *line)
{
	static const char *const keys[] = { "mnemonic ", "steps ", "writer ", "env " };
	for (size_t i = 0; line && i < sizeof(keys) / sizeof(keys[0]); i++)
		if (!strncmp(line, keys[i], strlen(keys[i])))
			return 1;
	return 0;
}

static void row(FILE *f, const char *a, const char *b)
{
	int differ = !(is_metadata(a) || is_metadata(b)) && (!a || !b || strcmp(a, b));
	fprintf(f, "%c %-*.*s | %s\n", differ ? '!' : ' ', COLUMN, COLUMN,
		a ? a : "", b ? b : "");
}

void show_side_by_side(FILE *f, const char *left_name, const struct outcome *l,
		       const char *right_name, const struct outcome *r,
		       const struct test_case *c)
{
	struct lines a, b;
	render(&a, l, c);
	render(&b, r, c);
	int *used = calloc(b.n + 1, sizeof(int));
	fprintf(f, "  %-*s | %s\n", COLUMN, left_name, right_name);
	int ea = 0, eb = 0;
	while (ea < a.n && is_event(a.v[ea]))
		ea++;
	while (eb < b.n && is_event(b.v[eb]))
		eb++;
	for (int i = 0; i < ea || i < eb; i++) {
		if (i < eb)
			used[i] = 1;
		row(f, i < ea ? a.v[i] : NULL, i < eb ? b.v[i] : NULL);
	}
	for (int i = ea; i < a.n; i++)
		row(f, a.v[i], used ? find_key(&b, a.v[i], used) : NULL);
	for (int i = eb; used && i < b.n; i++)
		if (!used[i])
			row(f, NULL, b.v[i]);
	free(used);
	free(a.v);
	free(b.v);
	free(a.buf);
	free(b.buf);
}

void show_lockstep_insn(FILE *f, const struct lockstep *l)
{
	uint8_t b[15];
	unsigned n = 0;
	uint64_t la = l->la;
	/* The first instruction as the case has it: the step may have
	 * written over its own bytes (the memory is from after it). */
	uint8_t window[LAYOUT_CMP_SIZE];
	const uint8_t *mem = l->mine->mem;
	if (l->step == 1) {
		layout_case_window(window, l->c->code, l->c->code_len, l->c->data, l->c->data_len);
		mem = window;
	}
	while (n < sizeof(b)) {
		uint64_t a = la + n;
		if (a >= LAYOUT_CMP_BASE && a < LAYOUT_CMP_BASE + LAYOUT_CMP_SIZE)
			b[n++] = mem[a - LAYOUT_CMP_BASE];
		else if (a >= LAYOUT_STUBS && a < LAYOUT_STUBS + 256)
			b[n++] = 0xf4;
		else
			break;
	}
	struct dec dec;
	char err[160];
	int have_dec = dec_open(&dec, err, sizeof(err)) == 0;
	const cs_insn *insn = dec.insn;
	unsigned got = have_dec && n ?
		dec_one(&dec, dec_bits((enum cpu_mode)l->c->mode), b, n, l->rip, NULL) : 0;
	fprintf(f, "  instruction #%u at 0x%llx:", l->step, (unsigned long long)l->rip);
	unsigned len = got ? got : (n < 4 ? n : 4);
	for (unsigned i = 0; i < len; i++)
		fprintf(f, " %02x", b[i]);
	if (got)
		fprintf(f, "  %s%s%s\n", insn->mnemonic, insn->op_str[0] ? " " : "", insn->op_str);
	else
		fprintf(f, "  (%s)\n", n ? "undecodable" : "not in the compared memory");
	if (have_dec)
		dec_close(&dec);
}
