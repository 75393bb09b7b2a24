/* Generators: determinism (same seed -> byte-identical case, different
 * seeds differ), validity of every generated case, the PRNG's spread, and
 * the known-divergence list parser (good lines, malformed ones with
 * FILE:LINE). */
#include <string.h>
#include "check.h"
#include "gen.h"
#include "known.h"
#include "layout.h"

static struct test_case a, b;

static void check_generator(const struct generator *g)
{
	/* Same seed twice into buffers filled with different garbage:
	 * identical, so no generator leaves a byte below the lengths
	 * unwritten. */
	int all_same = 1, differ = 0, valid = 1;
	unsigned long code_total = 0, with_data = 0;
	char why[160] = "";
	for (uint64_t i = 0; i < 2000; i++) {
		uint64_t s = gen_case_seed(7, 0, i);
		memset(&a, 0xaa, sizeof(a));
		memset(&b, 0x55, sizeof(b));
		gen_make(g, s, &a);
		gen_make(g, s, &b);
		if (!case_equal(&a, &b))
			all_same = 0;
		gen_make(g, gen_case_seed(7, 0, i + 1), &b);
		if (!case_equal(&a, &b))
			differ++;
		code_total += a.code_len;
		with_data += a.data_len > 0;
		if (a.code_len > CASE_CODE_MAX || a.data_len > CASE_DATA_MAX ||
		    (a.rflags & ~(uint64_t)(RFLAGS_CASE_SETTABLE | RFLAGS_FIXED1)) ||
		    !(a.rflags & RFLAGS_FIXED1) || a.mode >= MODE_COUNT ||
		    a.knobs & ~KNOBS_KNOWN || a.seed != s ||
		    strnlen(a.id, sizeof(a.id)) == sizeof(a.id)) {
			if (valid)
				snprintf(why, sizeof(why), "seed %#llx: code_len %u data_len %u rflags %#llx mode %u",
					 (unsigned long long)s, a.code_len, a.data_len,
					 (unsigned long long)a.rflags, a.mode);
			valid = 0;
		}
	}
	CHECK(all_same, "%s: same seed gives a byte-identical case (2000 seeds)", g->name);
	CHECK(differ >= 1990, "%s: consecutive seeds give different cases (%d of 2000)", g->name, differ);
	CHECK(valid, "%s: every case valid (lengths, rflags sanitized, seed stored) %s", g->name, why);
	CHECK(code_total > 0, "%s: generates code (%lu bytes over 2000 cases)", g->name, code_total);
	if (strcmp(g->name, "raw"))
		CHECK(with_data > 100 && with_data < 1900, "%s: some cases carry data (%lu of 2000)",
		      g->name, with_data);
}

static void check_insn_shape(void)
{
	const struct generator *g = gen_lookup("insn");
	unsigned hlt_end = 0, ptr_regs = 0, prefixed = 0, multi = 0;
	for (uint64_t i = 0; i < 1000; i++) {
		gen_make(g, gen_case_seed(99, 1, i), &a);
		if (a.code_len && a.code[a.code_len - 1] == 0xf4)
			hlt_end++;
		if (a.code_len > 6)
			multi++;
		for (int r = 0; r < GPR_COUNT; r++)
			if ((a.gpr[r] >= LAYOUT_DATA && a.gpr[r] < LAYOUT_DATA + LAYOUT_DATA_SIZE) ||
			    (a.gpr[r] >= LAYOUT_MMIO && a.gpr[r] < LAYOUT_MMIO + LAYOUT_MMIO_SIZE)) {
				ptr_regs++;
				break;
			}
		for (uint32_t k = 0; k < a.code_len; k++)
			if (a.code[k] == 0x64 || a.code[k] == 0x65 || a.code[k] == 0x67 || a.code[k] == 0xf0) {
				prefixed++;
				break;
			}
	}
	CHECK(hlt_end >= 850 && hlt_end < 1000, "insn: most (not all) cases end in HLT (%u of 1000)", hlt_end);
	CHECK(ptr_regs > 500, "insn: registers aimed at data/MMIO in most cases (%u of 1000)", ptr_regs);
	CHECK(prefixed > 50, "insn: FS/GS/67/LOCK prefixes appear (%u of 1000 cases)", prefixed);
	CHECK(multi > 300, "insn: multi-instruction streams (%u of 1000 longer than 6 bytes)", multi);
}

static void check_rng(void)
{
	struct gen_rng r;
	gen_rng_seed(&r, 0);
	unsigned buckets[10] = { 0 };
	for (int i = 0; i < 100000; i++)
		buckets[gen_rng_below(&r, 10)]++;
	int flat = 1;
	for (int i = 0; i < 10; i++)
		if (buckets[i] < 9500 || buckets[i] > 10500)
			flat = 0;
	CHECK(flat, "rng: below(10) is flat within 5%% over 100000 draws (bucket 0: %u)", buckets[0]);
	CHECK(gen_case_seed(1, 0, 0) != gen_case_seed(1, 1, 0) &&
	      gen_case_seed(1, 0, 1) != gen_case_seed(1, 1, 0) &&
	      gen_case_seed(1, 0, 0) != gen_case_seed(2, 0, 0),
	      "rng: case seeds differ by base, worker and index");
	CHECK(gen_lookup("insn") && gen_lookup("regs") && gen_lookup("raw") && !gen_lookup("nope"),
	      "generator table: insn, regs, raw found; unknown name not");
}

static void check_known(void)
{
	struct known_list k = { 0 };
	char err[256] = "";
	const char *good =
		"# known divergences\n"
		"\n"
		"hlt/exception#PF:rip:mov   KVM emulates mov wrongly\n"
		"  exception#GP/hlt:terminal:*\tprefix entry, tab separated  \n"
		"exception#GP/hlt:terminal:wrmsr  exact beats prefix\n";
	int rc = known_parse(&k, good, strlen(good), "good.txt", err, sizeof(err));
	CHECK(rc == 0 && k.n == 3, "known: good file parses, 3 entries (rc %d, n %zu, err '%s')", rc, k.n, err);
	const struct known_entry *e = known_find(&k, "hlt/exception#PF:rip:mov");
	CHECK(e && !strcmp(e->reason, "KVM emulates mov wrongly"), "known: exact match with its reason");
	e = known_find(&k, "exception#GP/hlt:terminal:rdmsr");
	CHECK(e && e->prefix && !strcmp(e->reason, "prefix entry, tab separated"),
	      "known: prefix entry matches, reason trimmed");
	e = known_find(&k, "exception#GP/hlt:terminal:wrmsr");
	CHECK(e && !e->prefix && e->line == 5, "known: exact entry beats a prefix entry");
	CHECK(!known_find(&k, "hlt/exception#PF:rip:movx"), "known: no match for another signature");
	known_free(&k);
	/* A '*' may stand anywhere in a pattern. */
	const char *mid = "hlt/hlt:*:tzcnt  TZCNT run as BSF\n";
	CHECK(known_parse(&k, mid, strlen(mid), "mid.txt", err, sizeof(err)) == 0, "known: mid-pattern parses");
	CHECK(known_find(&k, "hlt/hlt:rax:tzcnt") && known_find(&k, "hlt/hlt:rflags.ZF:tzcnt"),
	      "known: mid pattern matches any field");
	CHECK(!known_find(&k, "hlt/hlt:rax:bsf") && !known_find(&k, "exception#PF/hlt:rax:tzcnt"),
	      "known: mid pattern matches nothing else");
	known_free(&k);

	static const struct { const char *text; const char *want; } bad[] = {
		{ "# ok\nlonely-signature\n", "bad.txt:2: " },
		{ "a  one\nb  two\na  three\n", "bad.txt:3: " },
		{ "*  everything\n", "bad.txt:1: " },
		{ "ok  fine\n\n\nx\x01y  ctrl char\n", "bad.txt:4: " },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct known_list kb = { 0 };
		err[0] = 0;
		rc = known_parse(&kb, bad[i].text, strlen(bad[i].text), "bad.txt", err, sizeof(err));
		CHECK(rc == -1 && !strncmp(err, bad[i].want, strlen(bad[i].want)) && !strchr(err, '\n'),
		      "known: malformed input %zu rejected with one line '%s' (got '%s')", i, bad[i].want, err);
		known_free(&kb);
	}
	char path[] = "/nonexistent/known.txt";
	rc = known_load(&k, path, err, sizeof(err));
	CHECK(rc == -1 && strstr(err, path), "known: missing file names the path (%s)", err);
}

int main(void)
{
	for (size_t i = 0; i < gen_table_n; i++)
		check_generator(&gen_table[i]);
	check_insn_shape();
	check_rng();
	check_known();
	return check_done("test_gen_basic");
}
