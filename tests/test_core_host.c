/* What makes verdicts hold on any host: the environment line (format and
 * contents), expect sections per vendor in .case files
 * (selection, SKIP when none fits, the errors, recording that keeps the
 * other vendors' sections) and the known list's host conditions. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "check.h"
#include "case_text.h"
#include "host.h"
#include "known.h"
#include "knobs.h"

static void env_line(void)
{
	struct environment_info env = { 0 };
	environment_from_host(&env);
	snprintf(env.cpuid_hash, sizeof(env.cpuid_hash), "00ff");
	snprintf(env.params, sizeof(env.params), "a=1 bb=2 ccc=3");
	char line[640];
	environment_format(&env, line, sizeof(line));
	printf("env %s\n", line);
	CHECK(strstr(line, "vendor=") && strstr(line, " cpu=") && strstr(line, " microcode=") &&
	      strstr(line, " cpuid=00ff") && strstr(line, " params=a=1 bb=2 ccc=3"),
	      "env line names vendor, cpu, microcode, cpuid hash and params");
	char want[32];
	snprintf(want, sizeof(want), " vendor=%s ", vendor_name(host_info()->vendor));
	CHECK(strstr(line, want) != NULL, "the host's vendor is on the line (%s)", want);
	char small[40];
	environment_format(&env, small, sizeof(small));
	CHECK(strlen(small) < sizeof(small) && !strstr(small, "params="),
	      "a short buffer loses whole pairs, params first (%s)", small);
}

static const char *two_vendors =
	"id v\nmode long64\ncode f4\n"
	"expect vendor=intel\n  known intel reason\n  known-signature a/b:rax:x\n  exit hlt rip=0x10001\n"
	"expect vendor=amd\n  exit exception vector=13 error=0x0 rip=0x10000\n";

static void sections(void)
{
	static struct case_file cf;
	char err[256] = "";
	int rc = case_parse_for(two_vendors, strlen(two_vendors), "v.case", VENDOR_INTEL, &cf, err, sizeof(err));
	CHECK(rc == 0, "two vendor sections parse (%s)", err);
	CHECK(cf.has_expect && cf.expect_vendor == VENDOR_INTEL && outcome_terminal(&cf.expect)->kind == EXIT_HLT,
	      "intel takes the intel section");
	CHECK(!strcmp(cf.known_reason, "intel reason"), "with its known lines");
	CHECK(cf.vendors_recorded == ((1u << VENDOR_INTEL) | (1u << VENDOR_AMD)), "both sections noted");
	rc = case_parse_for(two_vendors, strlen(two_vendors), "v.case", VENDOR_AMD, &cf, err, sizeof(err));
	CHECK(rc == 0 && cf.has_expect && outcome_terminal(&cf.expect)->kind == EXIT_EXCEPTION &&
	      !cf.known_reason[0], "amd takes the amd section, without intel's known lines");

	const char *intel_only = "id v\nmode long64\ncode f4\nexpect vendor=intel\n  exit hlt rip=0x10001\n";
	rc = case_parse_for(intel_only, strlen(intel_only), "i.case", VENDOR_AMD, &cf, err, sizeof(err));
	CHECK(rc == 0 && !cf.has_expect && cf.vendors_recorded == 1u << VENDOR_INTEL,
	      "amd on an intel-only file: no expectation, recorded vendors known (replay: SKIP)");

	static const struct { const char *text, *want; } bad[] = {
		{ "id v\nmode long64\ncode f4\nexpect\n  exit hlt rip=0x10001\nexpect vendor=amd\n  exit hlt rip=0x10001\n",
		  "v.case:6: 'expect vendor=amd' beside" },
		{ "id v\nmode long64\ncode f4\nknown r\nexpect vendor=amd\n  exit hlt rip=0x10001\n",
		  "v.case:5: 'known' at line 4" },
		{ "id v\nmode long64\ncode f4\nexpect vendor=amd\n  exit hlt rip=0x10001\nexpect vendor=amd\n  exit hlt rip=0x10001\n",
		  "v.case:6: duplicate 'expect vendor=amd'" },
		{ "id v\nmode long64\ncode f4\nexpect vendor=via\n  exit hlt rip=0x10001\n",
		  "v.case:4: unexpected 'vendor=via'" },
		{ "id v\nmode long64\ncode f4\nexpect vendor=intel\n  rax 0x1\nexpect vendor=amd\n  exit hlt rip=0x10001\n",
		  "v.case:4: expect section does not end" },
		{ "id v\nmode long64\ncode f4\nexpect\n  known r\n  exit hlt rip=0x10001\n",
		  "v.case:5: 'known' must come before 'expect'" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		rc = case_parse_for(bad[i].text, strlen(bad[i].text), "v.case", VENDOR_AMD, &cf, err, sizeof(err));
		CHECK(rc < 0 && !strncmp(err, bad[i].want, strlen(bad[i].want)),
		      "bad file %zu: '%s' (wanted '%s...')", i, err, bad[i].want);
	}

	/* Recording amd's section keeps intel's, known lines and all. */
	char path[] = "/tmp/exitdiff-host-XXXXXX";
	int fd = mkstemp(path);
	CHECK(fd >= 0, "temp file");
	if (fd < 0)
		return;
	CHECK(write(fd, two_vendors, strlen(two_vendors)) == (ssize_t)strlen(two_vendors), "temp file written");
	close(fd);
	case_parse_for(two_vendors, strlen(two_vendors), "v.case", VENDOR_AMD, &cf, err, sizeof(err));
	cf.expect.events[0].rip = 0x10001;
	cf.expect.events[0].kind = EXIT_HLT;
	cf.expect.n_events = 1;
	snprintf(cf.known_reason, sizeof(cf.known_reason), "amd reason");
	snprintf(cf.known_signature, sizeof(cf.known_signature), "c/d:rbx:y");
	CHECK(case_record(path, &cf, err, sizeof(err)) == 0, "record amd's section (%s)", err);
	static struct case_file back;
	rc = case_load(path, &back, err, sizeof(err));
	CHECK(rc == 0, "recorded file loads (%s)", err);
	FILE *f = fopen(path, "r");
	char text[4096] = "";
	size_t n = f ? fread(text, 1, sizeof(text) - 1, f) : 0;
	text[n] = 0;
	if (f)
		fclose(f);
	unlink(path);
	rc = case_parse_for(text, n, "r.case", VENDOR_INTEL, &back, err, sizeof(err));
	CHECK(rc == 0 && !strcmp(back.known_reason, "intel reason") &&
	      outcome_terminal(&back.expect)->kind == EXIT_HLT, "intel's section kept verbatim");
	rc = case_parse_for(text, n, "r.case", VENDOR_AMD, &back, err, sizeof(err));
	CHECK(rc == 0 && !strcmp(back.known_reason, "amd reason") &&
	      !strcmp(back.known_signature, "c/d:rbx:y") && outcome_terminal(&back.expect)->kind == EXIT_HLT,
	      "amd's section replaced, its known lines inside it");
}

static void known_host_conditions(void)
{
	static struct known_list k;
	char err[256] = "", text[512];
	const struct host_info *h = host_info();
	const char *other = h->vendor == VENDOR_AMD ? "intel" : "amd";
	snprintf(text, sizeof(text),
		 "[vendor=%s] a/b:*:x  this host's vendor\n"
		 "[vendor=%s] c/d:*:x  the other vendor\n"
		 "[backend=%s,cpl3] e/f:*:x  this backend with a knob\n"
		 "[backend=kvm_nosuch] g/h:*:x  another backend\n",
		 vendor_name(h->vendor), other, h->backend);
	int rc = known_parse(&k, text, strlen(text), "k.txt", err, sizeof(err));
	CHECK(rc == 0, "host conditions parse (%s)", err);
	CHECK(h->vendor == VENDOR_UNKNOWN || known_find_for(&k, "a/b:rax:x", 0),
	      "an entry for this host's vendor holds");
	CHECK(!known_find_for(&k, "c/d:rax:x", 0), "an entry for the other vendor does not");
	CHECK(!known_find_for(&k, "e/f:rax:x", 0) && known_find_for(&k, "e/f:rax:x", KNOB_CPL3),
	      "backend and knob conditions together");
	CHECK(!known_find_for(&k, "g/h:rax:x", 0), "an entry for another backend does not hold");
	known_free(&k);
	static const struct { const char *text, *want; } bad[] = {
		{ "[vendor=via] a/b  r\n", "k.txt:1: unknown vendor 'via'" },
		{ "[backend=] a/b  r\n", "k.txt:1: bad backend ''" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		rc = known_parse(&k, bad[i].text, strlen(bad[i].text), "k.txt", err, sizeof(err));
		CHECK(rc < 0 && !strncmp(err, bad[i].want, strlen(bad[i].want)), "bad condition: '%s'", err);
		known_free(&k);
	}
}

int main(void)
{
	env_line();
	sections();
	known_host_conditions();
	return check_done("test_core_host");
}
