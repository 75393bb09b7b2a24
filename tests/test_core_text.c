/* The .case text format: print -> parse round trips field by field, every
 * error names FILE:LINE, case_record keeps the header, case_load errors. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "case_text.h"
#include "check.h"

static struct case_file cf_a, cf_b;

/* Compares two case files field by field; returns the name of the first
 * differing field, or NULL. */
static const char *cf_diff(const struct case_file *x, const struct case_file *y)
{
	const struct test_case *a = &x->c, *b = &y->c;
	if (strcmp(a->id, b->id)) return "id";
	if (a->mode != b->mode) return "mode";
	if (a->knobs != b->knobs) return "knobs";
	if (a->seed != b->seed) return "seed";
	for (int r = 0; r < GPR_COUNT; r++)
		if (a->gpr[r] != b->gpr[r]) return gpr_name((enum gpr)r);
	if (a->rflags != b->rflags) return "rflags";
	if (memcmp(&a->event, &b->event, sizeof(a->event))) return "event";
	if (a->code_len != b->code_len) return "code_len";
	if (memcmp(a->code, b->code, a->code_len)) return "code";
	if (a->data_len != b->data_len) return "data_len";
	if (memcmp(a->data, b->data, a->data_len)) return "data";
	if (x->has_expect != y->has_expect) return "has_expect";
	if (x->expect_from_kvm != y->expect_from_kvm) return "expect_from_kvm";
	if (strcmp(x->known_reason, y->known_reason)) return "known_reason";
	if (strcmp(x->known_signature, y->known_signature)) return "known_signature";
	if (strcmp(x->expect_env, y->expect_env)) return "expect_env";
	if (!x->has_expect)
		return NULL;
	const struct outcome *o = &x->expect, *p = &y->expect;
	if (o->n_events != p->n_events) return "n_events";
	for (uint32_t i = 0; i < o->n_events; i++) {
		const struct exit_event *e = &o->events[i], *f = &p->events[i];
		if (e->kind != f->kind) return "event.kind";
		if (e->dir != f->dir) return "event.dir";
		if (e->size != f->size) return "event.size";
		if (e->has_error_code != f->has_error_code) return "event.has_error_code";
		if (e->error_code != f->error_code) return "event.error_code";
		if (e->addr != f->addr) return "event.addr";
		if (e->data != f->data) return "event.data";
		if (e->rip != f->rip) return "event.rip";
		if (e->cr2 != f->cr2) return "event.cr2";
	}
	if (memcmp(&o->state, &p->state, sizeof(o->state))) return "state";
	if (o->undefined_flags != p->undefined_flags) return "undefined_flags";
	if (strcmp(o->mnemonic, p->mnemonic)) return "mnemonic";
	if (strcmp(o->prev_mnemonic, p->prev_mnemonic)) return "prev_mnemonic";
	for (int r = 0; r < GPR_COUNT; r++)
		if (strcmp(o->writer_gpr[r], p->writer_gpr[r])) return "writer_gpr";
	if (strcmp(o->writer_flags, p->writer_flags)) return "writer_flags";
	if (strcmp(o->writer_mem, p->writer_mem)) return "writer_mem";
	if (o->steps != p->steps) return "steps";
	if (memcmp(o->mem, p->mem, sizeof(o->mem))) return "mem";
	return NULL;
}

static char *print_to_string(const struct case_file *cf, size_t *len)
{
	char *buf = NULL;
	FILE *m = open_memstream(&buf, len);
	case_print(m, cf);
	fclose(m);
	return buf;
}

static void round_trip(const char *what, const struct case_file *cf)
{
	size_t len;
	char err[512];
	char *text = print_to_string(cf, &len);
	int r = case_parse(text, len, "rt.case", &cf_b, err, sizeof(err));
	CHECK(r == 0, "%s: printed text parses (%s)", what, r ? err : "ok");
	if (r == 0) {
		const char *f = cf_diff(cf, &cf_b);
		CHECK(f == NULL, "%s: print -> parse gives the same case_file (first "
		      "difference: %s)", what, f ? f : "none");
		if (f)
			printf("---- printed text:\n%s----\n", text);
	}
	free(text);
}

static void base_expect(struct case_file *cf, uint8_t term)
{
	struct outcome *o = &cf->expect;
	memset(o, 0, sizeof(*o));
	cf->has_expect = 1;
	case_initial_mem(&cf->c, o->mem);
	o->events[0] = (struct exit_event){ .kind = EXIT_IO, .dir = DIR_OUT, .size = 1,
					    .addr = 0x80, .data = 0x5 };
	o->events[1] = (struct exit_event){ .kind = EXIT_MMIO, .dir = DIR_IN, .size = 4,
					    .addr = LAYOUT_MMIO, .data = 0xffffffff };
	o->events[2] = (struct exit_event){ .kind = EXIT_IO, .dir = DIR_IN, .size = 2,
					    .addr = 0x71, .data = 0xffff, .rip = 0x10004 };
	o->events[3] = (struct exit_event){ .kind = EXIT_MMIO, .dir = DIR_OUT, .size = 8,
					    .addr = LAYOUT_MMIO + 8, .data = 0x1122334455667788 };
	struct exit_event *t = &o->events[4];
	memset(t, 0, sizeof(*t));
	t->kind = term;
	switch (term) {
	case EXIT_HLT: t->rip = 0x10005; break;
	case EXIT_EXCEPTION: t->addr = 14; t->has_error_code = 1; t->error_code = 2;
		t->rip = 0x10003; t->cr2 = 0x14000; break;
	case EXIT_INTERNAL_ERROR: t->addr = 1; t->data = 0x1234; t->error_code = 2; break;
	case EXIT_FAIL_ENTRY: t->addr = 0x80000021; break;
	case EXIT_TIMEOUT: t->addr = 1; break;
	case EXIT_UNSUPPORTED: t->rip = 0x10000; break;
	case EXIT_OTHER: t->addr = 37; break;
	default: break;
	}
	o->n_events = 5;
}

static void build_full(struct case_file *cf)
{
	memset(cf, 0, sizeof(*cf));
	case_init(&cf->c);
	struct test_case *c = &cf->c;
	strcpy(c->id, "full-case");
	c->seed = 0x1234;
	c->gpr[RAX] = 0x1122334455667788ull;
	c->gpr[RBX] = (uint64_t)-5;
	c->gpr[R15] = 7;
	c->gpr[RSP] = 0x15800;
	c->rflags = RFLAGS_CF | RFLAGS_DF | RFLAGS_OF | RFLAGS_FIXED1;
	c->event[0] = (struct case_event){ .kind = CASE_EVENT_EXCEPTION, .vector = 14,
					.has_error = 1, .error = 0x1b, .shadow = CASE_SHADOW_MOV_SS };
	c->code_len = 40;
	for (uint32_t i = 0; i < c->code_len; i++)
		c->code[i] = (uint8_t)(i * 7 + 1);
	c->code[3] = 0;
	c->data_len = 300;
	c->data[0] = 1; c->data[1] = 2; c->data[17] = 0xaa;
	for (int i = 100; i < 140; i++)
		c->data[i] = (uint8_t)i;
	/* data[299] stays zero: data_len must survive anyway */
	strcpy(cf->known_reason, "KVM raises #UD for lzcnt # not really");
	strcpy(cf->known_signature, "exception#UD/hlt:terminal:lzcnt");
	strcpy(cf->expect_env, "kernel=6.18 backend=kvm_pvm params=x=1");
	base_expect(cf, EXIT_EXCEPTION);
	struct outcome *o = &cf->expect;
	for (int r = 0; r < GPR_COUNT; r++)
		o->state.gpr[r] = 0x100u * (unsigned)r + 3;
	o->state.rip = 0x10003;
	o->state.rflags = 0x246;
	o->undefined_flags = RFLAGS_AF | RFLAGS_PF;
	o->state.cr0 = LM_CR0; o->state.cr2 = 0x14000; o->state.cr3 = LM_CR3;
	o->state.cr4 = LM_CR4; o->state.cr8 = 0; o->state.efer = LM_EFER;
	o->state.cs = SEL_CODE64; o->state.ss = SEL_DATA; o->state.ds = SEL_DATA;
	o->state.es = SEL_DATA; o->state.fs = 0; o->state.gs = SEL_UDATA;
	strcpy(o->mnemonic, "rep movsb");
	strcpy(o->prev_mnemonic, "cld");
	strcpy(o->writer_gpr[RAX], "add");
	strcpy(o->writer_gpr[R12], "imul");
	strcpy(o->writer_flags, "imul");
	strcpy(o->writer_mem, "mov");
	o->steps = 42;
	/* 70 changed bytes in a row (three mem lines), a lone one, a change
	 * of the HLT padding, and one at the very end of the window. */
	for (int i = 0; i < 70; i++)
		o->mem[LAYOUT_DATA - LAYOUT_CMP_BASE + 8 + i] = (uint8_t)(0x80 + i);
	o->mem[LAYOUT_STACK_TOP - 8 - LAYOUT_CMP_BASE] = 0x42;
	o->mem[0x800] = 0x00;
	o->mem[LAYOUT_CMP_SIZE - 1] = 0xee;
}

static void test_round_trips(void)
{
	static struct case_file cf;
	memset(&cf, 0, sizeof(cf));
	case_init(&cf.c);
	strcpy(cf.c.id, "minimal");
	round_trip("minimal case (no code, no expect)", &cf);

	cf.c.code_len = CASE_CODE_MAX;
	for (int i = 0; i < CASE_CODE_MAX; i++)
		cf.c.code[i] = (uint8_t)(i ^ 0x5a);
	cf.c.data_len = CASE_DATA_MAX;
	memset(cf.c.data, 0xcc, CASE_DATA_MAX);
	round_trip("largest code and data", &cf);

	cf.c.data_len = 5;
	memset(cf.c.data, 0, CASE_DATA_MAX);
	round_trip("all-zero data (data_len 5)", &cf);

	build_full(&cf_a);
	round_trip("full case: every field, known lines, env, writers, mem runs", &cf_a);
	static const uint8_t terms[] = { EXIT_HLT, EXIT_EXCEPTION, EXIT_SHUTDOWN,
		EXIT_INTERNAL_ERROR, EXIT_FAIL_ENTRY, EXIT_TIMEOUT, EXIT_UNSUPPORTED,
		EXIT_OTHER, EXIT_HANG };
	for (size_t i = 0; i < sizeof(terms); i++) {
		char what[96];
		build_full(&cf);
		base_expect(&cf, terms[i]);
		cf.expect_from_kvm = i & 1;
		snprintf(what, sizeof(what), "expect ending in %s (expect%s)",
			 exit_kind_name((enum exit_kind)terms[i]), i & 1 ? " kvm" : "");
		round_trip(what, &cf);
	}
	/* An exception without error code and a vector other than 14. */
	build_full(&cf);
	cf.expect.events[4] = (struct exit_event){ .kind = EXIT_EXCEPTION, .addr = 6,
						    .rip = 0x10000 };
	round_trip("exception #UD without error code", &cf);
	/* An external interrupt: the event line, and its window before the
	 * delivery in the expect section. */
	build_full(&cf);
	cf.c.event[0] = (struct case_event){ .kind = CASE_EVENT_INTR, .vector = 200 };
	cf.expect.events[3] = (struct exit_event){ .kind = EXIT_IRQ_WINDOW, .rip = 0x10002,
						    .by = "(intr)" };
	cf.expect.events[4] = (struct exit_event){ .kind = EXIT_EXCEPTION, .addr = 200,
						    .rip = 0x10002 };
	round_trip("event intr 200, irq_window then its delivery", &cf);
}

/* A hand-written file parses to the values it says. */
static void test_parse_values(void)
{
	static const char text[] =
		"# a comment line\n"
		"id hand   # trailing comment\n"
		"mode long64\n"
		"rax -1\n"
		"rcx 10\n"
		"rflags 0x8c3\n"
		"code 48 01\n"
		"code d8f4  # two lines append\n"
		"data 0x12004 aa bb\n"
		"known-signature hlt/hlt:rax:add  # comment\n"
		"expect kvm\n"
		"  exit io out port=0xe9 size=1 data=0x41\n"
		"exit hlt rip=0x10004\n"
		"rip 0x10004 rax 0x5   # pairs on one line\n"
		"mem 0x12004 cc\n";
	static struct case_file cf;
	char err[512];
	int r = case_parse(text, strlen(text), "hand.case", &cf, err, sizeof(err));
	CHECK(r == 0, "hand-written case parses (%s)", r ? err : "ok");
	CHECK(!strcmp(cf.c.id, "hand"), "id is 'hand' (got '%s')", cf.c.id);
	CHECK_EQ_U64(cf.c.gpr[RAX], UINT64_MAX, "rax -1 is all ones");
	CHECK_EQ_U64(cf.c.gpr[RCX], 10, "rcx 10 is decimal");
	CHECK_EQ_U64(cf.c.gpr[RSP], LAYOUT_STACK_TOP, "rsp keeps its default");
	CHECK_EQ_U64(cf.c.rflags, 0x8c3, "rflags");
	CHECK_EQ_U64(cf.c.code_len, 4, "code_len of two code lines");
	CHECK_EQ_U64(cf.c.code[2], 0xd8, "third code byte from the unspaced form");
	CHECK_EQ_U64(cf.c.data_len, 6, "data_len = highest offset written + 1");
	CHECK_EQ_U64(cf.c.data[5], 0xbb, "data byte at 0x12005");
	CHECK(!strcmp(cf.known_signature, "hlt/hlt:rax:add"),
	      "known-signature without its comment (got '%s')", cf.known_signature);
	CHECK(cf.has_expect && cf.expect_from_kvm, "expect kvm sets expect_from_kvm");
	CHECK_EQ_U64(cf.expect.n_events, 2, "two exit events");
	CHECK_EQ_U64(cf.expect.events[0].data, 0x41, "io event data");
	CHECK_EQ_U64(cf.expect.state.gpr[RAX], 5, "rax from a pair line");
	CHECK_EQ_U64(cf.expect.mem[LAYOUT_DATA + 4 - LAYOUT_CMP_BASE], 0xcc,
		     "mem line overrides the initial data byte");
	CHECK_EQ_U64(cf.expect.mem[LAYOUT_DATA + 5 - LAYOUT_CMP_BASE], 0xbb,
		     "unchanged bytes start from the case's initial memory");
	CHECK_EQ_U64(cf.expect.mem[4], 0xf4, "code page padding is HLT");

	r = case_parse("code f4\n", 8, "x.case", &cf, err, sizeof(err));
	CHECK(r == 0 && !strcmp(cf.c.id, "case"), "case_parse default id is 'case' (got '%s')",
	      cf.c.id);

	/* A KVM exit reason by name or by number; printed by name. */
	static const char other[] = "expect\nexit hypercall nr=12 a0=0x12000 a1=2 a2=0x10\n"
				    "exit other reason=debug\n";
	r = case_parse(other, strlen(other), "other.case", &cf, err, sizeof(err));
	CHECK(r == 0 && cf.expect.n_events == 2 && cf.expect.events[1].addr == 4,
	      "'exit other reason=debug' is reason 4 (%s)", r ? err : "parsed");
	CHECK(cf.expect.events[0].addr == 12 && cf.expect.events[0].data == 0x12000 &&
	      cf.expect.events[0].cr2 == 2 && cf.expect.events[0].error_code == 0x10,
	      "'exit hypercall nr= a0= a1= a2=' fills number and arguments");
	char *txt = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&txt, &len);
	outcome_print(f, &cf.expect, &cf.c);
	fclose(f);
	CHECK(txt && strstr(txt, "exit other reason=debug") &&
	      strstr(txt, "exit hypercall nr=12 a0=0x12000 a1=0x2 a2=0x10"),
	      "printed by name and with its arguments:\n%s", txt ? txt : "");
	free(txt);
	r = case_parse("expect\nexit other reason=99\n", 28, "o.case", &cf, err, sizeof(err));
	CHECK(r == 0 && cf.expect.events[0].addr == 99, "an unnamed reason by number (%s)",
	      r ? err : "parsed");
}

struct bad {
	const char *text;
	int line;
	const char *msg;
};

static void test_errors(void)
{
	static char big[16384];
	char *p = big;
	for (int i = 0; i < 253; i++)
		p += sprintf(p, "code 00112233445566778899aabbccddeeff\n");
	static const struct bad bad[] = {
		{ "id a\nrxx 5\n", 2, "unknown register 'rxx'" },
		{ "code 48 zz\n", 1, "bad hex byte 'zz'" },
		{ NULL, 253, "code longer than 4032 bytes" },
		{ "\n\nfrob 1\n", 3, "unknown keyword 'frob'" },
		{ "rax\n", 1, "missing value" },
		{ "rax 0x10000000000000000\n", 1, "out of range" },
		{ "rbx 18446744073709551616\n", 1, "out of range" },
		{ "data 0x11000 01\n", 1, "outside the data pages" },
		{ "data 0x13fff 01 02\n", 1, "runs past the data pages" },
		{ "code f4\nexpect\n  rip 0x10001\n", 2, "terminal" },
		{ "known\n", 1, "'known' needs a reason" },
		{ "expect\nexit hlt rip=1\nexpect\n", 3, "duplicate 'expect'" },
		{ "rflags 0x200\n", 1, "rflags bit 9 (IF)" },
		{ "knobs 0x1000\n", 1, "unknown bits" },
		{ "knobs cpl3 frob\n", 1, "unknown knob 'frob'" },
		{ "event irq\n", 1, "want nmi, exception or intr" },
		{ "event exception 2\n", 1, "vector 2 is the NMI" },
		{ "event exception 13\n", 1, "this vector needs error=" },
		{ "event exception 6 error=1\n", 1, "this vector has no error code" },
		{ "event nmi shadow=wide\n", 1, "unknown field 'shadow=wide'" },
		{ "event intr 31\n", 1, "a vector is 32-255" },
		{ "event intr 48 shadow=sti\n", 1, "the case's STI makes the shadow" },
		{ "event intr 48 error=1\n", 1, "has no error code" },
		{ "mode prot32\nevent nmi\n", 2, "only long64 cases carry events" },
		{ "mode prot32\nknobs cpl3 cr0.ts\n", 2, "knobs 'cpl3' do not apply to mode prot32" },
		{ "rdx 0x100000000\nmode real16\n", 2, "rdx 0x100000000 is wider than mode real16" },
		{ "mode real64\n", 1, "unknown mode 'real64'" },
		{ "expect\nexit io sideways port=1\n", 2, "direction" },
		{ "expect\nexit hlt\nexit hlt\n", 3, "after the terminal" },
		{ "code 4\n", 1, "odd number of hex digits" },
		{ "expect\n exit hlt\n mem 0x20000 01\n", 3, "outside the compared window" },
		{ "# c\n\nexit hlt\n", 3, "unknown keyword 'exit'" },
		{ "expect\nexit exception vector=256\n", 2, "out of range" },
		{ "expect\nexit hlt port=1\n", 2, "does not apply" },
		{ "expect\nexit hlt\nknown x\n", 3, "must come before 'expect'" },
		{ "expect\nexit hlt\ncs 0x10000\n", 3, "out of range" },
		{ "id a b\n", 1, "unexpected 'b'" },
		{ "seed 12x\n", 1, "bad number '12x'" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		static struct case_file cf;
		char err[512], want[64];
		const char *text = bad[i].text ? bad[i].text : big;
		int r = case_parse(text, strlen(text), "bad.case", &cf, err, sizeof(err));
		snprintf(want, sizeof(want), "bad.case:%d: ", bad[i].line);
		CHECK(r == -1 && !strncmp(err, want, strlen(want)) && strstr(err, bad[i].msg),
		      "malformed input %zu gives '%s...%s' (got: %s)", i, want, bad[i].msg,
		      r ? err : "no error");
	}
}

/* Mutated texts never crash the parser, and failures always name FILE:LINE. */
static void test_mutations(void)
{
	size_t len;
	char *text = print_to_string(&cf_a, &len);
	char *buf = malloc(len + 64);
	uint64_t s = 0x9e3779b97f4a7c15ull;
	int fails = 0, bad_msgs = 0;
	static struct case_file cf;
	for (int iter = 0; iter < 3000; iter++) {
		memcpy(buf, text, len);
		for (int k = 0; k < 4; k++) {
			s ^= s << 13; s ^= s >> 7; s ^= s << 17;
			buf[s % len] = (char)(s >> 32);
		}
		char err[512];
		if (case_parse(buf, len, "m.case", &cf, err, sizeof(err)) < 0) {
			fails++;
			bad_msgs += strncmp(err, "m.case:", 7) != 0;
		}
	}
	CHECK(bad_msgs == 0, "3000 mutated texts: %d rejected, every error starts with "
	      "'m.case:' (%d did not)", fails, bad_msgs);
	free(buf);
	free(text);
}

static int write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	if (!f)
		return -1;
	fputs(text, f);
	return fclose(f);
}

static char *read_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	char *buf = calloc(1, 1 << 20);
	size_t n = fread(buf, 1, (1 << 20) - 1, f);
	buf[n] = 0;
	fclose(f);
	return buf;
}

static void test_files(void)
{
	char dir[] = "/tmp/exitdiff-text-XXXXXX";
	char path[256], err[512];
	static struct case_file cf, cf2;
	CHECK(mkdtemp(dir) != NULL, "temporary directory %s", dir);
	snprintf(path, sizeof(path), "%s/stem-name.case", dir);
	static const char header[] =
		"# Header comment kept verbatim\n"
		"mode long64   # odd spacing kept\n"
		"rax 0x5\n"
		"code 48 01 d8 # add rax, rbx\n"
		"code f4\n";
	write_file(path, header);
	int r = case_load(path, &cf, err, sizeof(err));
	CHECK(r == 0, "case_load %s (%s)", path, r ? err : "ok");
	CHECK(!strcmp(cf.c.id, "stem-name"), "id defaults to the file stem (got '%s')",
	      cf.c.id);

	base_expect(&cf, EXIT_HLT);
	cf.expect.state.gpr[RAX] = 5;
	strcpy(cf.known_reason, "first reason");
	strcpy(cf.expect_env, "kernel=test");
	r = case_record(path, &cf, err, sizeof(err));
	CHECK(r == 0, "case_record (%s)", r ? err : "ok");
	char *text = read_file(path);
	CHECK(text && !strncmp(text, header, strlen(header)),
	      "recorded file starts with the original header verbatim");
	r = case_load(path, &cf2, err, sizeof(err));
	const char *d = r ? "parse" : cf_diff(&cf, &cf2);
	CHECK(d == NULL, "recorded file loads back to the same case_file (%s)",
	      r ? err : d ? d : "same");
	free(text);

	/* Recording again replaces known/expect instead of appending. */
	strcpy(cf.known_reason, "second reason");
	cf.known_signature[0] = 0;
	cf.expect.state.gpr[RAX] = 6;
	r = case_record(path, &cf, err, sizeof(err));
	text = read_file(path);
	CHECK(r == 0 && text && !strncmp(text, header, strlen(header)) &&
	      !strstr(text, "first reason") && strstr(text, "second reason"),
	      "second case_record keeps the header and replaces the known/expect part");
	r = case_load(path, &cf2, err, sizeof(err));
	CHECK(r == 0 && cf2.expect.state.gpr[RAX] == 6 && cf2.has_expect,
	      "second recording loads with the new expectation");
	free(text);

	snprintf(path, sizeof(path), "%s/missing.case", dir);
	r = case_load(path, &cf, err, sizeof(err));
	char want[300];
	snprintf(want, sizeof(want), "cannot open %s: %s", path, strerror(ENOENT));
	CHECK(r == -1 && !strcmp(err, want), "case_load of a missing file says '%s' (got '%s')",
	      want, r ? err : "no error");
	r = case_record(path, &cf, err, sizeof(err));
	CHECK(r == -1 && strstr(err, "cannot open"), "case_record of a missing file fails (%s)",
	      r ? err : "no error");

	snprintf(path, sizeof(path), "%s/bad.case", dir);
	write_file(path, "id x\ncode 0g\n");
	r = case_load(path, &cf, err, sizeof(err));
	snprintf(want, sizeof(want), "%s:2: ", path);
	CHECK(r == -1 && !strncmp(err, want, strlen(want)), "case_load errors name the path "
	      "and line (got '%s')", err);
	snprintf(path, sizeof(path), "rm -rf '%s'", dir);
	CHECK(system(path) == 0, "removed %s", dir);
}

/* "ran" lines whose addresses collide in outcome.ran (both hash to slot
 * 15, so the second placed wraps to slot 0) print in address order, and
 * the print survives parse -> print unchanged (the parser fuzz target
 * found slot order flipping on each round). */
static void test_ran_order(void)
{
	static const char text[] = "id ran-collide\nmode long64\ncode f4\nexpect\n"
				   "  exit hlt rip=0x10001 by=hlt\n"
				   "  ran 0x1015a lea\n  ran 0x1000f xchg\n";
	char err[512];
	size_t l1 = 0, l2 = 0;
	int r = case_parse(text, sizeof(text) - 1, "ran.case", &cf_a, err, sizeof(err));
	CHECK(r == 0, "two colliding ran lines parse (%s)", r ? err : "ok");
	if (r)
		return;
	char *t1 = print_to_string(&cf_a, &l1);
	const char *lo = strstr(t1, "ran 0x1000f"), *hi = strstr(t1, "ran 0x1015a");
	CHECK(lo && hi && lo < hi, "ran lines print in address order (0x1000f before 0x1015a)");
	r = case_parse(t1, l1, "printed.case", &cf_b, err, sizeof(err));
	CHECK(r == 0, "the printed text parses (%s)", r ? err : "ok");
	char *t2 = r ? NULL : print_to_string(&cf_b, &l2);
	CHECK(t2 && l1 == l2 && !memcmp(t1, t2, l1), "print(parse(print(x))) == print(x)");
	free(t1);
	free(t2);
}

int main(void)
{
	test_round_trips();
	test_parse_values();
	test_errors();
	test_mutations();
	test_files();
	test_ran_order();
	return check_done("test_core_text");
}
