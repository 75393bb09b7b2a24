/*
 * The .case text parser (format: docs/formats.md). It is fed untrusted
 * bytes by libFuzzer, so every path is bounded: lines are copied into a
 * fixed buffer, numbers and hex bytes are parsed by hand with overflow
 * checks, and every error is one "FILE:LINE: message".
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "case_fields.h"
#include "case_text.h"
#include "knobs.h"
#include "mode.h"
#include "file_io.h"
#include "host.h"

struct parser {
	const char *file;
	int line;
	char *err;
	size_t errlen;
	struct case_file *cf;      /* where lines go: real, or scratch */
	struct case_file *real;    /* the caller's */
	struct case_file *scratch; /* another vendor's section, checked only */
	int want_vendor;           /* whose vendor section fills real */
	int in_expect;
	int expect_line;
	int mode_line, knobs_line, event_line;
	int known_line;            /* a 'known' line before any section */
	int section_vendor;        /* of the open section: VENDOR_UNKNOWN = any */
	int neutral_sections;
};

__attribute__((format(printf, 2, 3)))
static int perr(struct parser *p, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (p->err && p->errlen)
		snprintf(p->err, p->errlen, "%s:%d: %s", p->file, p->line, msg);
	return -1;
}

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

/* Next whitespace-delimited token of *s (NUL-terminated in place), or NULL. */
static char *next_tok(char **s)
{
	char *p = *s;
	while (is_space(*p))
		p++;
	if (!*p) {
		*s = p;
		return NULL;
	}
	char *t = p;
	while (*p && !is_space(*p))
		p++;
	if (*p)
		*p++ = 0;
	*s = p;
	return t;
}

static void trim_right(char *s)
{
	size_t n = strlen(s);
	while (n && is_space(s[n - 1]))
		s[--n] = 0;
}

static char *skip_space(char *s)
{
	while (is_space(*s))
		s++;
	return s;
}

/* Cuts a trailing comment: '#' at the start or after whitespace. A '#'
 * inside a word stays (signatures look like "exception#UD/hlt:..."). */
static void cut_comment(char *s)
{
	for (char *p = s; *p; p++)
		if (*p == '#' && (p == s || is_space(p[-1]))) {
			*p = 0;
			return;
		}
}

static int hex_val(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* "0x.." hex, decimal, or negative decimal (two's complement). */
static int parse_num(struct parser *p, const char *t, const char *what, uint64_t *out)
{
	uint64_t v = 0;
	const char *s = t;
	int neg = 0;
	if (!t)
		return perr(p, "missing value for %s", what);
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		s += 2;
		if (!*s)
			return perr(p, "bad number '%s' for %s", t, what);
		for (; *s; s++) {
			int h = hex_val(*s);
			if (h < 0)
				return perr(p, "bad number '%s' for %s", t, what);
			if (v >> 60)
				return perr(p, "value '%s' out of range for %s", t, what);
			v = v << 4 | (uint64_t)h;
		}
		*out = v;
		return 0;
	}
	if (*s == '-') {
		neg = 1;
		s++;
	}
	if (!*s)
		return perr(p, "bad number '%s' for %s", t, what);
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return perr(p, "bad number '%s' for %s", t, what);
		unsigned d = (unsigned)(*s - '0');
		if (v > (UINT64_MAX - d) / 10)
			return perr(p, "value '%s' out of range for %s", t, what);
		v = v * 10 + d;
	}
	if (neg) {
		if (v > (1ull << 63))
			return perr(p, "value '%s' out of range for %s", t, what);
		v = (uint64_t)0 - v;
	}
	*out = v;
	return 0;
}

static int parse_num_max(struct parser *p, const char *t, const char *what,
			 uint64_t max, uint64_t *out)
{
	if (parse_num(p, t, what, out) < 0)
		return -1;
	if (*out > max)
		return perr(p, "value '%s' out of range for %s (max 0x%" PRIx64 ")",
			    t, what, max);
	return 0;
}

/* Hex bytes from the rest of a line: "48 01 d8" or "4801d8". Appends at
 * most cap bytes to out; *n is the count. Returns 1 when there were more
 * than cap (the caller names the limit), -1 on a bad byte. */
static int parse_hex_bytes(struct parser *p, char *rest, uint8_t *out,
			   size_t cap, size_t *n)
{
	char *t;
	*n = 0;
	while ((t = next_tok(&rest))) {
		size_t len = strlen(t);
		if (len % 2)
			return perr(p, "odd number of hex digits in '%s'", t);
		for (size_t i = 0; i < len; i += 2) {
			int hi = hex_val(t[i]), lo = hex_val(t[i + 1]);
			if (hi < 0 || lo < 0)
				return perr(p, "bad hex byte '%c%c'", t[i], t[i + 1]);
			if (*n >= cap)
				return 1;
			out[(*n)++] = (uint8_t)(hi << 4 | lo);
		}
	}
	return 0;
}

/* Copies free text (trimmed) into dst, or errors when empty or too long. */
static int take_text(struct parser *p, const char *kw, char *rest, char *dst, size_t cap)
{
	rest = skip_space(rest);
	trim_right(rest);
	if (!*rest)
		return perr(p, "missing value for '%s'", kw);
	if (strlen(rest) >= cap)
		return perr(p, "value of '%s' longer than %zu characters", kw, cap - 1);
	memcpy(dst, rest, strlen(rest) + 1);
	return 0;
}

/* The one value of "KEYWORD VALUE"; extra words are an error. */
static int one_value(struct parser *p, const char *kw, char *rest, char **val)
{
	*val = next_tok(&rest);
	if (!*val)
		return perr(p, "missing value for '%s'", kw);
	char *extra = next_tok(&rest);
	if (extra)
		return perr(p, "unexpected '%s' after '%s %s'", extra, kw, *val);
	return 0;
}

/* ---- case section ---------------------------------------------------- */

static int kw_id(struct parser *p, const char *kw, char *rest)
{
	char *v;
	if (one_value(p, kw, rest, &v) < 0)
		return -1;
	if (strlen(v) >= sizeof(p->cf->c.id))
		return perr(p, "id '%s' longer than %zu characters", v,
			    sizeof(p->cf->c.id) - 1);
	/* Ids name files, TMK tests and QEMU's "-append test=ID". */
	size_t bad = strspn(v, CASE_ID_CHARS);
	if (v[bad])
		return perr(p, "id '%s': character '%c' is not one of A-Z a-z 0-9 . _ -", v, v[bad]);
	strcpy(p->cf->c.id, v);
	return 0;
}

static int kw_mode(struct parser *p, const char *kw, char *rest)
{
	char *v;
	if (one_value(p, kw, rest, &v) < 0)
		return -1;
	for (int m = 0; m < MODE_COUNT; m++)
		if (strcmp(v, mode_name((enum cpu_mode)m)) == 0) {
			p->cf->c.mode = (uint8_t)m;
			p->mode_line = p->line;
			return 0;
		}
	return perr(p, "unknown mode '%s'", v);
}

static int kw_seed(struct parser *p, const char *kw, char *rest)
{
	char *v;
	if (one_value(p, kw, rest, &v) < 0)
		return -1;
	return parse_num(p, v, "seed", &p->cf->c.seed);
}

/* "knobs cpl3 cr4.tsd" by name, or one number (older files). */
static int kw_knobs(struct parser *p, const char *kw, char *rest)
{
	uint64_t k = 0;
	char *save = NULL;
	(void)kw;
	for (char *t = strtok_r(rest, " \t", &save); t; t = strtok_r(NULL, " \t", &save)) {
		const struct knob_def *d = knob_by_name(t);
		uint64_t num;
		if (d)
			k |= d->bit;
		else if (t[0] >= '0' && t[0] <= '9' && parse_num(p, t, "knobs", &num) == 0)
			k |= num;
		else
			return perr(p, "unknown knob '%s'", t);
	}
	if (k & ~(uint64_t)KNOBS_KNOWN)
		return perr(p, "knobs have unknown bits 0x%" PRIx64, k & ~(uint64_t)KNOBS_KNOWN);
	p->cf->c.knobs = (uint32_t)k;
	p->knobs_line = p->line;
	return 0;
}

/* "event nmi [shadow=mov-ss|sti]", "event exception V [error=E] [shadow=..]"
 * or "event intr V"; nmi and intr may carry "after=N" or "at=handler". Up to
 * CASE_EVENTS_MAX lines; how they go together is checked with the whole
 * case (check_mode). */
static int kw_event(struct parser *p, const char *kw, char *rest)
{
	struct case_event e = { 0 };
	char *save = NULL, *t = strtok_r(rest, " \t", &save);
	(void)kw;
	int k = t ? case_event_kind_from_name(t) : -1;
	if (k < 0)
		return perr(p, "event: want nmi, exception or intr, got '%s'", t ? t : "");
	e.kind = (uint8_t)k;
	if (k == CASE_EVENT_EXCEPTION) {
		uint64_t v;
		if (parse_num(p, strtok_r(NULL, " \t", &save), "exception vector", &v) < 0)
			return -1;
		if (v > 31)
			return perr(p, "event exception %" PRIu64 ": a vector is below 32", v);
		e.vector = (uint8_t)v;
	} else if (k == CASE_EVENT_INTR) {
		uint64_t v;
		if (parse_num(p, strtok_r(NULL, " \t", &save), "interrupt vector", &v) < 0)
			return -1;
		if (v < 32 || v > 255)
			return perr(p, "event intr %" PRIu64 ": a vector is 32-255", v);
		e.vector = (uint8_t)v;
	}
	while ((t = strtok_r(NULL, " \t", &save))) {
		uint64_t v;
		if (!strncmp(t, "error=", 6) && parse_num(p, t + 6, "error", &v) == 0) {
			e.has_error = 1;
			e.error = (uint32_t)v;
		} else if (!strncmp(t, "shadow=", 7) && case_event_shadow_from_name(t + 7) >= 0) {
			e.shadow = (uint8_t)case_event_shadow_from_name(t + 7);
		} else if (!strncmp(t, "after=", 6)) {
			if (parse_num(p, t + 6, "after", &v) < 0)
				return -1;
			if (v == 0 || v > CASE_EVENT_AFTER_MAX)
				return perr(p, "event: after=%" PRIu64 " is not 1-%u", v,
					    CASE_EVENT_AFTER_MAX);
			e.after = (uint16_t)v;
		} else if (!strcmp(t, "at=handler")) {
			e.in_handler = 1;
		} else {
			return perr(p, "event: unknown field '%s' (error=N, shadow=mov-ss|sti, "
				    "after=N, at=handler)", t);
		}
	}
	const char *why = case_event_invalid(&e);
	if (why)
		return perr(p, "event: %s", why);
	unsigned n = case_events_count(p->cf->c.event);
	if (n >= CASE_EVENTS_MAX)
		return perr(p, "event: at most %d events per case", CASE_EVENTS_MAX);
	p->cf->c.event[n] = e;
	p->event_line = p->line;
	return 0;
}

/* Checks that need the whole case: knobs and register widths by mode. */
static int check_mode(struct parser *p)
{
	const struct test_case *c = &p->cf->c;
	enum cpu_mode m = (enum cpu_mode)c->mode;
	if (!knobs_valid_for(c->knobs, m)) {
		char names[128];
		p->line = p->knobs_line;
		return perr(p, "knobs '%s' do not apply to mode %s",
			    knobs_format(c->knobs & ~knobs_for_mode(m), names, sizeof(names)),
			    mode_name(m));
	}
	if (c->event[0].kind && m != MODE_LONG64) {
		p->line = p->event_line;
		return perr(p, "event: only long64 cases carry events (mode %s)", mode_name(m));
	}
	const char *why = case_events_invalid(c->event, (c->knobs & KNOB_CPL3) != 0);
	if (why) {
		p->line = p->event_line;
		return perr(p, "event: %s", why);
	}
	uint64_t mask = mode_reg_mask(m);
	for (int r = 0; r < GPR_COUNT; r++) {
		if (c->gpr[r] & ~mask) {
			p->line = p->mode_line;
			return perr(p, "%s 0x%" PRIx64 " is wider than mode %s allows (32 bits)",
				    gpr_name((enum gpr)r), c->gpr[r], mode_name(m));
		}
	}
	return 0;
}

static int kw_rflags(struct parser *p, const char *kw, char *rest)
{
	char *v;
	uint64_t f;
	if (one_value(p, kw, rest, &v) < 0 || parse_num(p, v, "rflags", &f) < 0)
		return -1;
	uint64_t bad = f & ~(uint64_t)(RFLAGS_CASE_SETTABLE | RFLAGS_FIXED1);
	if (bad) {
		int bit = __builtin_ctzll(bad);
		const char *name = rflags_bit_name((unsigned)bit);
		return perr(p, "rflags bit %d (%s) cannot be set by a case "
			    "(settable: CF PF AF ZF SF TF DF OF)", bit, name ? name : "reserved");
	}
	p->cf->c.rflags = f | RFLAGS_FIXED1;
	return 0;
}

static int kw_code(struct parser *p, const char *kw, char *rest)
{
	struct test_case *c = &p->cf->c;
	size_t n;
	(void)kw;
	int r = parse_hex_bytes(p, rest, c->code + c->code_len,
				CASE_CODE_MAX - c->code_len, &n);
	if (r < 0)
		return -1;
	if (r > 0)
		return perr(p, "code longer than %d bytes", CASE_CODE_MAX);
	c->code_len += (uint32_t)n;
	return 0;
}

static int kw_data(struct parser *p, const char *kw, char *rest)
{
	struct test_case *c = &p->cf->c;
	uint64_t addr;
	uint8_t bytes[CASE_DATA_MAX];
	size_t n;
	if (parse_num(p, next_tok(&rest), "data address", &addr) < 0)
		return -1;
	if (addr < LAYOUT_DATA || addr >= LAYOUT_DATA + LAYOUT_DATA_SIZE)
		return perr(p, "data address 0x%" PRIx64 " outside the data pages "
			    "[0x%x, 0x%x)", addr, LAYOUT_DATA, LAYOUT_DATA + LAYOUT_DATA_SIZE);
	size_t off = (size_t)(addr - LAYOUT_DATA);
	int r = parse_hex_bytes(p, rest, bytes, CASE_DATA_MAX - off, &n);
	if (r < 0)
		return -1;
	if (r > 0)
		return perr(p, "data at 0x%" PRIx64 " runs past the data pages (end 0x%x)",
			    addr, LAYOUT_DATA + LAYOUT_DATA_SIZE);
	if (n == 0)
		return perr(p, "missing bytes for '%s'", kw);
	memcpy(c->data + off, bytes, n);
	if (off + n > c->data_len)
		c->data_len = (uint32_t)(off + n);
	return 0;
}

static int kw_known(struct parser *p, const char *kw, char *rest)
{
	if (!p->in_expect)
		p->known_line = p->line;
	rest = skip_space(rest);
	trim_right(rest);
	if (!*rest)
		return perr(p, "'known' needs a reason");
	return take_text(p, kw, rest, p->cf->known_reason, sizeof(p->cf->known_reason));
}

static int kw_known_sig(struct parser *p, const char *kw, char *rest)
{
	if (!p->in_expect)
		p->known_line = p->line;
	cut_comment(rest);
	return take_text(p, kw, rest, p->cf->known_signature,
			 sizeof(p->cf->known_signature));
}

/* An expect section must end with a terminal event. */
static int close_section(struct parser *p)
{
	if (!p->in_expect)
		return 0;
	const struct exit_event *t = outcome_terminal(&p->cf->expect);
	if (t && exit_kind_is_terminal((enum exit_kind)t->kind))
		return 0;
	p->line = p->expect_line;
	return perr(p, "expect section does not end with a terminal "
		    "exit event (hlt, exception, shutdown, ...)");
}

static int kw_expect(struct parser *p, const char *kw, char *rest)
{
	int from_kvm = 0, vendor = VENDOR_UNKNOWN;
	char *v;
	while ((v = next_tok(&rest))) {
		if (!strcmp(v, "kvm") && !from_kvm)
			from_kvm = 1;
		else if (!strncmp(v, "vendor=", 7) && vendor == VENDOR_UNKNOWN &&
			 (vendor = vendor_from_name(v + 7)) > 0)
			;
		else
			return perr(p, "unexpected '%s' after '%s' (want 'kvm' and/or "
				    "'vendor=intel|amd')", v, kw);
	}
	struct case_file *real = p->real;
	int line = p->line;
	if (close_section(p) < 0)
		return -1;
	p->line = line;
	if (vendor == VENDOR_UNKNOWN) {
		if (p->neutral_sections++)
			return perr(p, "duplicate 'expect' (the first is at line %d)", p->expect_line);
		if (real->vendors_recorded)
			return perr(p, "'expect' without a vendor beside 'expect vendor=' sections");
	} else {
		if (p->neutral_sections)
			return perr(p, "'expect vendor=%s' beside an 'expect' for any vendor",
				    vendor_name((enum cpu_vendor)vendor));
		if (real->vendors_recorded & (1u << vendor))
			return perr(p, "duplicate 'expect vendor=%s'", vendor_name((enum cpu_vendor)vendor));
		if (p->known_line)
			return perr(p, "'known' at line %d: with vendor sections, known lines go "
				    "inside their 'expect vendor=' section", p->known_line);
		real->vendors_recorded |= (uint8_t)(1u << vendor);
	}
	p->section_vendor = vendor;
	p->cf = real;
	if (vendor != VENDOR_UNKNOWN && vendor != p->want_vendor) {
		if (!p->scratch && !(p->scratch = malloc(sizeof(*p->scratch))))
			return perr(p, "out of memory");
		memset(p->scratch, 0, sizeof(*p->scratch));
		p->scratch->c = real->c;
		p->cf = p->scratch;
	}
	struct case_file *cf = p->cf;
	cf->has_expect = 1;
	cf->expect_from_kvm = from_kvm;
	cf->expect_vendor = (uint8_t)vendor;
	p->in_expect = 1;
	p->expect_line = p->line;
	outcome_init(&cf->expect);
	case_initial_mem(&cf->c, cf->expect.mem);
	return 0;
}

struct keyword {
	const char *name;
	int (*fn)(struct parser *p, const char *kw, char *rest);
	int free_text;  /* rest of line taken verbatim: no comment stripping */
};

static const struct keyword case_keywords[] = {
	{ "id", kw_id, 0 },
	{ "mode", kw_mode, 0 },
	{ "seed", kw_seed, 0 },
	{ "knobs", kw_knobs, 0 },
	{ "event", kw_event, 0 },
	{ "rflags", kw_rflags, 0 },
	{ "code", kw_code, 0 },
	{ "data", kw_data, 0 },
	/* A reason may well say "#UD": it is taken verbatim. */
	{ "known", kw_known, 1 },
	{ "known-signature", kw_known_sig, 1 },
	{ "expect", kw_expect, 0 },
};

/* ---- expect section -------------------------------------------------- */

static int ev_field(struct parser *p, struct exit_event *e, char *tok)
{
	char *eq = strchr(tok, '=');
	if (!eq)
		return perr(p, "bad event field '%s' (want key=value)", tok);
	*eq = 0;
	const char *key = tok, *val = eq + 1;
	const struct case_ev_key *k = NULL;
	for (size_t i = 0; i < case_ev_key_count; i++)
		if (strcmp(case_ev_keys[i].key, key) == 0)
			k = &case_ev_keys[i];
	if (!k)
		return perr(p, "unknown event field '%s'", key);
	if (!(k->kinds & (1u << e->kind)))
		return perr(p, "field '%s' does not apply to %s exits", key,
			    exit_kind_name((enum exit_kind)e->kind));
	uint64_t v;
	if (!*val)
		return perr(p, "missing value for '%s'", key);
	if (k->field == EVF_BY) {
		if (strlen(val) >= sizeof(e->by))
			return perr(p, "'by' longer than %zu characters", sizeof(e->by) - 1);
		strcpy(e->by, val);
		return 0;
	}
	switch (k->field) {
	case EVF_BUDGET:
		if (strcmp(val, "steps") == 0)
			v = 0;
		else if (strcmp(val, "events") == 0)
			v = 1;
		else if (parse_num(p, val, key, &v) < 0)
			return -1;
		e->addr = v;
		return 0;
	case EVF_SIZE:
		if (parse_num_max(p, val, key, 8, &v) < 0)
			return -1;
		e->size = (uint8_t)v;
		return 0;
	case EVF_ERROR:
	case EVF_NDATA:
		if (parse_num_max(p, val, key, UINT32_MAX, &v) < 0)
			return -1;
		e->error_code = (uint32_t)v;
		e->has_error_code |= k->field == EVF_ERROR;
		return 0;
	default:
		break;
	}
	/* A KVM exit reason by name ("reason=debug"), or by number. */
	if (e->kind == EXIT_OTHER && k->field == EVF_ADDR && kvm_exit_reason_from_name(val) >= 0) {
		e->addr = (uint64_t)kvm_exit_reason_from_name(val);
		return 0;
	}
	if (parse_num_max(p, val, key, e->kind == EXIT_EXCEPTION &&
			  k->field == EVF_ADDR ? 255 : UINT64_MAX, &v) < 0)
		return -1;
	switch (k->field) {
	case EVF_ADDR: e->addr = v; break;
	case EVF_DATA: e->data = v; break;
	case EVF_RIP:  e->rip = v; break;
	case EVF_CR2:  e->cr2 = v; break;
	default: break;
	}
	return 0;
}

static int ex_exit(struct parser *p, const char *kw, char *rest)
{
	struct outcome *o = &p->cf->expect;
	struct exit_event e;
	char *t = next_tok(&rest);
	(void)kw;
	if (!t)
		return perr(p, "missing exit kind after 'exit'");
	int k = exit_kind_from_name(t);
	if (k < 0)
		return perr(p, "unknown exit kind '%s'", t);
	/* An exception may be followed by what happened in its handler (an
	 * event made pending there: docs/formats.md "Events"). */
	const struct exit_event *last = outcome_terminal(o);
	if (last && exit_kind_is_terminal((enum exit_kind)last->kind) && last->kind != EXIT_EXCEPTION)
		return perr(p, "exit event after the terminal event");
	if (o->n_events >= TRACE_MAX)
		return perr(p, "more than %d exit events", TRACE_MAX);
	memset(&e, 0, sizeof(e));
	e.kind = (uint8_t)k;
	if (k == EXIT_IO || k == EXIT_MMIO || k == EXIT_MSR) {
		const char *in = case_dir_name((enum exit_kind)k, DIR_IN);
		const char *out = case_dir_name((enum exit_kind)k, DIR_OUT);
		t = next_tok(&rest);
		if (t && strcmp(t, in) == 0)
			e.dir = DIR_IN;
		else if (t && strcmp(t, out) == 0)
			e.dir = DIR_OUT;
		else
			return perr(p, "%s exit needs a direction (%s|%s), got '%s'",
				    exit_kind_name((enum exit_kind)k), in, out, t ? t : "");
	}
	while ((t = next_tok(&rest)))
		if (ev_field(p, &e, t) < 0)
			return -1;
	o->events[o->n_events++] = e;
	return 0;
}

static int ex_env(struct parser *p, const char *kw, char *rest)
{
	return take_text(p, kw, rest, p->cf->expect_env, sizeof(p->cf->expect_env));
}

static int ex_mnemonic(struct parser *p, const char *kw, char *rest)
{
	cut_comment(rest);
	return take_text(p, kw, rest, p->cf->expect.mnemonic,
			 sizeof(p->cf->expect.mnemonic));
}

static int ex_prev(struct parser *p, const char *kw, char *rest)
{
	cut_comment(rest);
	return take_text(p, kw, rest, p->cf->expect.prev_mnemonic,
			 sizeof(p->cf->expect.prev_mnemonic));
}

static int ex_writer(struct parser *p, const char *kw, char *rest)
{
	struct outcome *o = &p->cf->expect;
	cut_comment(rest);
	char *target = next_tok(&rest);
	if (!target)
		return perr(p, "missing target for 'writer' (a register, rflags, mem or xmm)");
	char *dst;
	int r = gpr_from_name(target);
	if (r >= 0)
		dst = o->writer_gpr[r];
	else if (strcmp(target, "rflags") == 0)
		dst = o->writer_flags;
	else if (strcmp(target, "mem") == 0)
		dst = o->writer_mem;
	else if (strcmp(target, "xmm") == 0)
		dst = o->writer_xmm;
	else
		return perr(p, "unknown writer target '%s'", target);
	return take_text(p, kw, rest, dst, sizeof(o->writer_flags));
}

/* "ran 0xRIP MNEMONIC": what the reference executed there. */
static int ex_ran(struct parser *p, const char *kw, char *rest)
{
	uint64_t rip;
	if (parse_num(p, next_tok(&rest), "ran address", &rip) < 0)
		return -1;
	struct ran_insn *r = ran_place(&p->cf->expect, rip);
	if (!r)
		return perr(p, "more than %d 'ran' lines", RAN_SLOTS);
	r->rip = rip;
	return take_text(p, kw, rest, r->mnemonic, sizeof(r->mnemonic));
}

static int ex_undefined_mem(struct parser *p, const char *kw, char *rest)
{
	uint64_t addr, mask;
	struct outcome *o = &p->cf->expect;
	if (o->n_undefined_mem >= UNDEF_MEM_SLOTS)
		return perr(p, "more than %d '%s' lines", UNDEF_MEM_SLOTS, kw);
	if (parse_num_max(p, next_tok(&rest), "undefined-mem address", 0xffffffffu, &addr) < 0 ||
	    parse_num_max(p, next_tok(&rest), "undefined-mem mask", 0xffffffffu, &mask) < 0)
		return -1;
	o->undefined_mem[o->n_undefined_mem].addr = (uint32_t)addr;
	o->undefined_mem[o->n_undefined_mem].mask = (uint32_t)mask;
	o->n_undefined_mem++;
	return 0;
}

static int ex_mem(struct parser *p, const char *kw, char *rest)
{
	uint64_t addr;
	uint8_t bytes[LAYOUT_CMP_SIZE];
	size_t n;
	if (parse_num(p, next_tok(&rest), "mem address", &addr) < 0)
		return -1;
	if (addr < LAYOUT_CMP_BASE || addr >= LAYOUT_CMP_BASE + LAYOUT_CMP_SIZE)
		return perr(p, "mem address 0x%" PRIx64 " outside the compared window "
			    "[0x%x, 0x%x)", addr, LAYOUT_CMP_BASE,
			    LAYOUT_CMP_BASE + LAYOUT_CMP_SIZE);
	size_t off = (size_t)(addr - LAYOUT_CMP_BASE);
	int r = parse_hex_bytes(p, rest, bytes, LAYOUT_CMP_SIZE - off, &n);
	if (r < 0)
		return -1;
	if (r > 0)
		return perr(p, "mem at 0x%" PRIx64 " runs past the compared window", addr);
	if (n == 0)
		return perr(p, "missing bytes for '%s'", kw);
	memcpy(p->cf->expect.mem + off, bytes, n);
	return 0;
}

/* "NAME VALUE [NAME VALUE ...]" of end-state fields. */
static int ex_state(struct parser *p, const char *kw, char *rest)
{
	const char *name = kw;
	for (;;) {
		const struct case_state_field *f = case_state_field_find(name);
		uint64_t v;
		if (!f)
			return perr(p, "unknown keyword '%s' in the expect section", name);
		uint64_t max = f->size == 8 ? UINT64_MAX :
			       ((uint64_t)1 << (8 * f->size)) - 1;
		if (parse_num_max(p, next_tok(&rest), name, max, &v) < 0)
			return -1;
		case_field_set(&p->cf->expect, f, v);
		if (!(name = next_tok(&rest)))
			return 0;
	}
}

/* Known lines inside a section belong to that vendor's expectation. */
static int ex_known(struct parser *p, const char *kw, char *rest)
{
	if (p->section_vendor == VENDOR_UNKNOWN)
		return perr(p, "'%s' must come before 'expect'", kw);
	return strcmp(kw, "known") ? kw_known_sig(p, kw, rest) : kw_known(p, kw, rest);
}

static const struct keyword expect_keywords[] = {
	{ "exit", ex_exit, 0 },
	{ "env", ex_env, 1 },
	{ "mnemonic", ex_mnemonic, 1 },
	{ "prev", ex_prev, 1 },
	{ "writer", ex_writer, 1 },
	{ "ran", ex_ran, 0 },
	{ "undefined-mem", ex_undefined_mem, 0 },
	{ "mem", ex_mem, 0 },
	{ "expect", kw_expect, 0 },
	{ "known", ex_known, 1 },
	{ "known-signature", ex_known, 1 },
};

/* ---- driver ---------------------------------------------------------- */

static int looks_like_register(const char *w)
{
	size_t n = strlen(w);
	/* "rxx", "r16", "eax": what a mistyped register looks like. */
	return (w[0] == 'r' && n >= 2 && n <= 4) || (w[0] == 'e' && n == 3);
}

static int parse_line(struct parser *p, char *line)
{
	char *s = skip_space(line);
	if (!*s || *s == '#')
		return 0;
	/* The keyword ends at whitespace or at a comment. */
	char *kw = s;
	while (*s && !is_space(*s) && *s != '#')
		s++;
	char kwbuf[48];
	size_t kwlen = (size_t)(s - kw);
	if (kwlen >= sizeof(kwbuf))
		return perr(p, "unknown keyword '%.40s...'", kw);
	memcpy(kwbuf, kw, kwlen);
	kwbuf[kwlen] = 0;
	char *rest = s;

	const struct keyword *tab = p->in_expect ? expect_keywords : case_keywords;
	size_t ntab = p->in_expect ? sizeof(expect_keywords) / sizeof(expect_keywords[0])
				   : sizeof(case_keywords) / sizeof(case_keywords[0]);
	for (size_t i = 0; i < ntab; i++)
		if (strcmp(tab[i].name, kwbuf) == 0) {
			if (!tab[i].free_text)
				cut_comment(rest);
			return tab[i].fn(p, kwbuf, rest);
		}
	cut_comment(rest);
	if (p->in_expect)
		return ex_state(p, kwbuf, rest);
	int r = gpr_from_name(kwbuf);
	if (r >= 0) {
		char *v;
		if (one_value(p, kwbuf, rest, &v) < 0)
			return -1;
		return parse_num(p, v, kwbuf, &p->cf->c.gpr[r]);
	}
	if (looks_like_register(kwbuf))
		return perr(p, "unknown register '%s'", kwbuf);
	return perr(p, "unknown keyword '%s'", kwbuf);
}

static int parse_lines(struct parser *p, const char *text, size_t len);

static int parse_text(const char *text, size_t len, const char *filename,
		      const char *default_id, int vendor, struct case_file *cf,
		      char *err, size_t errlen)
{
	struct parser p = {
		.file = filename ? filename : "<input>", .err = err,
		.errlen = errlen, .cf = cf, .real = cf, .want_vendor = vendor,
	};
	memset(cf, 0, sizeof(*cf));
	case_init(&cf->c);
	snprintf(cf->c.id, sizeof(cf->c.id), "%s", default_id);
	if (err && errlen)
		err[0] = 0;
	int rc = parse_lines(&p, text, len);
	free(p.scratch);
	if (rc == 0 && cf->vendors_recorded && !(cf->vendors_recorded & (1u << vendor)))
		cf->has_expect = 0; /* recorded on other vendors only */
	return rc;
}

static int parse_lines(struct parser *p, const char *text, size_t len)
{
	char line[CASE_LINE_MAX + 1];
	size_t pos = 0;
	while (pos < len) {
		p->line++;
		size_t end = pos;
		while (end < len && text[end] != '\n')
			end++;
		size_t n = end - pos;
		if (n > CASE_LINE_MAX)
			return perr(p, "line longer than %d bytes", CASE_LINE_MAX);
		if (memchr(text + pos, 0, n))
			return perr(p, "NUL byte in line");
		memcpy(line, text + pos, n);
		line[n] = 0;
		if (parse_line(p, line) < 0)
			return -1;
		pos = end + 1;
	}
	if (check_mode(p) < 0)
		return -1;
	return close_section(p);
}

int case_parse_for(const char *text, size_t len, const char *filename, int vendor,
		   struct case_file *cf, char *err, size_t errlen)
{
	return parse_text(text, len, filename, "case", vendor, cf, err, errlen);
}

int case_parse(const char *text, size_t len, const char *filename,
	       struct case_file *cf, char *err, size_t errlen)
{
	return case_parse_for(text, len, filename, host_info()->vendor, cf, err, errlen);
}

/* Files larger than this are not cases: a full case with a full expect
 * section is well under 100 KiB. */
#define CASE_FILE_MAX (4u << 20)

int case_load(const char *path, struct case_file *cf, char *err, size_t errlen)
{
	char *buf;
	size_t n;
	if (file_read_all(path, CASE_FILE_MAX, &buf, &n, err, errlen) < 0)
		return -1;
	/* The stem: the last path component without its extension. */
	char stem[sizeof(cf->c.id)];
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	const char *dot = strrchr(base, '.');
	size_t sl = dot && dot != base ? (size_t)(dot - base) : strlen(base);
	if (sl >= sizeof(stem))
		sl = sizeof(stem) - 1;
	memcpy(stem, base, sl);
	stem[sl] = 0;
	for (size_t i = 0; i < sl; i++)
		if (!strchr(CASE_ID_CHARS, stem[i]))
			stem[i] = '_';
	int r = parse_text(buf, n, path, sl ? stem : "case", host_info()->vendor, cf, err, errlen);
	free(buf);
	return r;
}

void case_initial_mem(const struct test_case *c, uint8_t *mem)
{
	layout_case_window(mem, c->code, c->code_len, c->data, c->data_len);
}
