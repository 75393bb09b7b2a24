/* The known list's knob conditions: "[knob,knob] SIGNATURE  reason" holds
 * only for cases with all those knobs; the lookup prefers an exact entry,
 * then the longest pattern, then an unconditional entry over a conditional
 * one of the same rank; bad conditions are errors naming file and line. */
#include <fnmatch.h>
#include <stdio.h>
#include <string.h>
#include "check.h"
#include "knobs.h"
#include "known.h"

static struct known_list k;

static int parse(const char *text, char *err, size_t len)
{
	known_free(&k);
	return known_parse(&k, text, strlen(text), "list.txt", err, len);
}

static const char *reason(const char *sig, uint32_t knobs)
{
	const struct known_entry *e = known_find_for(&k, sig, knobs);
	return e ? e->reason : "(none)";
}

/* The lookup's own matcher and its filters (the literal head, the
 * longest literal run) against fnmatch: random patterns of a b / * ?
 * (and brackets, in a few) over random keys of a b /, each pattern a
 * one-entry list (a pattern holds a '*'; without one the entry is an
 * exact signature). */
static void check_matcher(void)
{
	static const char *const pat_parts[] = { "a", "b", "/", "*", "?", "[ab]", "[!a]/" };
	static const char key_chars[] = "ab/";
	uint64_t x = 0x9e3779b97f4a7c15ull;
	unsigned tried = 0, agree = 0, matched = 0;
	char first_bad[120] = "";
	for (unsigned i = 0; i < 20000; i++) {
		char pat[64] = "", key[14], text[96], err[200];
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		unsigned pl = 1 + (unsigned)(x % 10), kl = 1 + (unsigned)((x >> 8) % 12);
		/* Brackets in one pattern of four. */
		unsigned parts = (x >> 62) ? 5 : 7;
		for (unsigned j = 0; j < pl; j++)
			strcat(pat, pat_parts[(x >> (16 + 4 * j)) % parts]);
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		for (unsigned j = 0; j < kl; j++)
			key[j] = key_chars[(x >> (2 * j)) % 3];
		key[kl] = 0;
		snprintf(text, sizeof(text), "%s  r\n", pat);
		if (parse(text, err, sizeof(err)) < 0)
			continue; /* a lone '*' */
		tried++;
		/* Without a '*' an entry is exact: '?' alone is no wildcard. */
		int want = strchr(pat, '*') ? fnmatch(pat, key, 0) == 0 : !strcmp(pat, key);
		int got = known_find(&k, key) != NULL;
		matched += want;
		agree += want == got;
		if (want != got && !first_bad[0])
			snprintf(first_bad, sizeof(first_bad), "'%s' on '%s': fnmatch %d, lookup %d", pat,
				 key, want, got);
	}
	CHECK(agree == tried && matched > tried / 20,
	      "pattern lookup agrees with fnmatch on %u of %u random pattern/key pairs (%u match) %s",
	      agree, tried, matched, first_bad);
}

int main(void)
{
	char err[256] = "";
	const char *list =
		"# a comment\n"
		"[cr4.smap] */exception#PF:*  smap fetch fault\n"
		"exception#UD/exception#PF:exception.vector:ud2  plain exact\n"
		"[cpl3,cr4.tsd] exception#GP/hlt:*  cpl3 and tsd\n"
		"[cpl3] hlt/hlt:rax:*  cpl3 pattern\n"
		"hlt/hlt:rax:*  plain pattern\n";
	int rc = parse(list, err, sizeof(err));
	CHECK(rc == 0, "a list with knob conditions parses (%s)", err);
	CHECK_EQ_U64(k.n, 5, "entries");
	CHECK_EQ_U64(k.knob_entries, 3, "entries with a knob condition");
	const struct knob_def *smap = knob_by_name("cr4.smap"), *cpl3 = knob_by_name("cpl3");
	const struct knob_def *tsd = knob_by_name("cr4.tsd");
	CHECK(smap && cpl3 && tsd, "knob names known");
	if (!smap || !cpl3 || !tsd)
		return check_done("test_core_known");

	CHECK(!strcmp(reason("hlt/exception#PF:terminal:mov", smap->bit), "smap fetch fault"),
	      "a conditional entry holds for a case with its knob");
	CHECK(!strcmp(reason("hlt/exception#PF:terminal:mov", smap->bit | cpl3->bit), "smap fetch fault"),
	      "and for a case with more knobs");
	CHECK(!strcmp(reason("hlt/exception#PF:terminal:mov", 0), "(none)"),
	      "not for a case without it");
	CHECK(known_find(&k, "hlt/exception#PF:terminal:mov") == NULL,
	      "known_find looks at unconditional entries only");
	CHECK(!strcmp(reason("exception#UD/exception#PF:exception.vector:ud2", smap->bit), "plain exact"),
	      "an exact entry beats a conditional pattern");
	CHECK(!strcmp(reason("exception#GP/hlt:terminal:rdtsc", cpl3->bit), "(none)"),
	      "an entry needing two knobs does not hold with one");
	CHECK(!strcmp(reason("exception#GP/hlt:terminal:rdtsc", cpl3->bit | tsd->bit), "cpl3 and tsd"),
	      "it holds with both");
	CHECK(!strcmp(reason("hlt/hlt:rax:add", cpl3->bit), "plain pattern"),
	      "same pattern with and without a condition: the unconditional one wins");
	CHECK(!strcmp(reason("hlt/hlt:rax:add", 0), "plain pattern"), "without knobs too");

	static const struct { const char *text, *want; } bad[] = {
		{ "[cr4.nosuch] hlt/hlt:rax:*  r\n", "list.txt:1: unknown knob 'cr4.nosuch'" },
		{ "\n[] hlt/hlt:rax:*  r\n", "list.txt:2: empty []" },
		{ "[cpl3 hlt/hlt:rax:*  r\n", "list.txt:1: unclosed '['" },
		{ "[cpl3]\n", "list.txt:1: no signature after the knobs" },
		{ "[cpl3] a/b:c:d  r\n[cpl3] a/b:c:d  r2\n", "list.txt:2: signature 'a/b:c:d' already listed at line 1" },
	};
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = 0;
		rc = parse(bad[i].text, err, sizeof(err));
		CHECK(rc < 0 && !strncmp(err, bad[i].want, strlen(bad[i].want)),
		      "rejected with '%s' (got '%s')", bad[i].want, err);
	}
	/* Cluster entries: one line for every bucket of one cause. */
	const char *clist =
		"{exception#NM/missed exception fpu long64 [cpl3,cr0.ts]}  host FPU bits at CPL3\n"
		"{hlt/hlt   trace * real16}  real-mode trace\n"
		"hlt/hlt:event.count:inc@real16  the signature entry\n";
	err[0] = 0;
	rc = parse(clist, err, sizeof(err));
	CHECK(rc == 0 && k.n == 3, "a list with cluster entries parses (%s)", err);
	CHECK(k.knob_entries == 1, "a cluster key's knobs are a knob condition (%u entries)",
	      k.knob_entries);
	CHECK(k.n == 3 && !strcmp(k.e[1].sig, "hlt/hlt trace * real16"),
	      "the fields are stored single-spaced: '%s'", k.n == 3 ? k.e[1].sig : "");
	uint32_t ts = knob_by_name("cr0.ts")->bit;
	static const char *const nm[] = {
		"exception#NM/exception#PF:exception.vector:movups",
		"exception#NM/exception#UD:exception.vector:fld1",
		"exception#NM/exception#GP:event.count:pxor",
	};
	for (unsigned i = 0; i < sizeof(nm) / sizeof(nm[0]); i++)
		CHECK(!strcmp(reason(nm[i], cpl3->bit | ts), "host FPU bits at CPL3"),
		      "the cluster entry accepts %s", nm[i]);
	CHECK(!strcmp(reason(nm[0], ts), "(none)"), "not without the cluster's knobs (cpl3)");
	CHECK(!strcmp(reason("exception#NM/exception#PF:exception.vector:movups@prot32", cpl3->bit | ts),
		      "(none)"), "not in another mode");
	CHECK(!strcmp(reason("exception#NM/internal_error:terminal:fld1", cpl3->bit | ts), "(none)"),
	      "not another cluster");
	CHECK(!strcmp(reason("hlt/hlt:event.count:dec@real16", 0), "real-mode trace"),
	      "a cluster pattern with '*' matches");
	CHECK(!strcmp(reason("hlt/hlt:event.count:inc@real16", 0), "the signature entry"),
	      "a signature entry is taken before a cluster entry");
	CHECK(!strcmp(reason("kmsg/kvm: something", 0), "(none)"), "a key that is no signature matches no cluster");
	static const struct { const char *text, *want; } cbad[] = {
		{ "{a/b c d}  r\n", "list.txt:1: a cluster key has 4 fields" },
		{ "{a/b c d e [cr9.x]}  r\n", "list.txt:1: unknown knob 'cr9.x'" },
		{ "{* * * *}  r\n", "list.txt:1: a cluster key of '*' alone" },
		{ "{a/b c d e  r\n", "list.txt:1: unclosed '{'" },
		{ "{a/b c d e}\n", "list.txt:1: cluster '{a/b c d e}' has no reason" },
	};
	for (unsigned i = 0; i < sizeof(cbad) / sizeof(cbad[0]); i++) {
		err[0] = 0;
		rc = parse(cbad[i].text, err, sizeof(err));
		CHECK(rc < 0 && !strncmp(err, cbad[i].want, strlen(cbad[i].want)),
		      "rejected with '%s' (got '%s')", cbad[i].want, err);
	}

	rc = parse("[cpl3] a/b:c:d  r\na/b:c:d  r2\n", err, sizeof(err));
	CHECK(rc == 0, "one signature with and without a condition: two entries (%s)", err);
	known_free(&k);
	/* The project's own list loads as campaigns load it: a duplicate or
	 * malformed line there stops every campaign at start. */
	struct known_list proj = { 0 };
	char perr[256] = "";
	int prc = known_load(&proj, EXITDIFF_SOURCE_DIR "/corpus/known-divergences.txt", perr, sizeof(perr));
	CHECK(prc == 0 && proj.n > 100, "corpus/known-divergences.txt loads: %zu entries (%s)", proj.n,
	      prc ? perr : "ok");
	known_free(&proj);
	check_matcher();
	return check_done("test_core_known");
}
