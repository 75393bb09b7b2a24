/* The exported cases.c (tmk/tmk_gen.c) for every mode: a case parsed from
 * .case text must come out with its mode and knobs as data, its code
 * disassembled in the mode's width (real mode at CS offsets), its
 * expectation as data. Needs neither KVM nor QEMU. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "check.h"
#include "case_text.h"
#include "tmk_gen.h"

/* Generates case 0 from text with a HLT expectation whose RAX is rax. */
static char *gen(const char *text, uint64_t rax, size_t *len)
{
	static struct case_file cf;
	static struct outcome o;
	char err[256];
	if (case_parse(text, strlen(text), "test.case", &cf, err, sizeof(err)) < 0) {
		CHECK(0, "parse: %s", err);
		return NULL;
	}
	outcome_init(&o);
	struct exit_event e = { .kind = EXIT_HLT, .rip = 4 };
	outcome_push(&o, &e);
	o.state.gpr[RAX] = rax;
	o.state.rip = 4;
	o.state.rflags = 2;
	case_initial_mem(&cf.c, o.mem);
	struct tmk_gen_case g = { .path = "test.case", .cf = &cf, .expect = &o,
				  .expect_source = "test" };
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);
	tmk_gen_case(f, 0, &g);
	tmk_gen_tables(f, &g, 1);
	fclose(f);
	return buf;
}

static void has(const char *buf, const char *what, const char *why)
{
	CHECK(buf && strstr(buf, what), "cases.c has \"%s\" (%s)", what, why);
}

int main(void)
{
	size_t n;
	char *b = gen("id r16\nmode real16\ncode b8 34 12 f4\n", 0x1234, &n);
	has(b, ".mode = 3, /* real16 */", "the mode as data");
	has(b, ".knobs = 0x0,", "no knobs");
	has(b, " * Mode: real16, knobs: none", "the mode in the comment");
	has(b, "mov ax, 0x1234", "16-bit disassembly");
	has(b, "0x00000  b8 34 12", "real-mode offsets from CS base");
	has(b, "0x1234, 0x0, 0x0, 0x0", "the expected AX");
	CHECK(b && !strstr(b, "mov eax, 0xf4001234"), "not disassembled as 32-bit code");
	free(b);

	b = gen("id p32\nmode prot32\nknobs cr0.ts\ncode 40 0f 0b\n", 1, &n);
	has(b, ".mode = 1, /* prot32 */", "prot32");
	has(b, ".knobs = 0x2,", "KNOB_CR0_TS");
	has(b, "Mode: prot32, knobs: cr0.ts", "knob names");
	has(b, "inc eax", "32-bit disassembly (40 is REX in 64-bit code)");
	free(b);

	b = gen("id u\nmode long64\nknobs cpl3 cr4.tsd\ncode 48 ff c0 f4\n", 1, &n);
	has(b, ".mode = 0, /* long64 */", "long64");
	has(b, ".knobs = 0x9,", "KNOB_CPL3 | KNOB_CR4_TSD");
	has(b, "inc rax", "64-bit disassembly");
	free(b);

	b = gen("id pg\nmode prot32-paged\ncode f4\n", 0, &n);
	has(b, ".mode = 2, /* prot32-paged */", "prot32-paged");
	has(b, "\"pg\" \"\\0\"", "the name table");
	free(b);
	return check_done("test_tmk_gen");
}
