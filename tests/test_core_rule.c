/* Rule citations (core/rule.h): the manual's section a finding's reference
 * side rests on, chosen by what differs, for Intel and AMD profiles. */
#include <string.h>
#include "check.h"
#include "rule.h"

static const struct {
	const char *sig;
	enum cpu_vendor v;
	const char *want; /* a substring the citation must hold; "" = none at all */
} rows[] = {
	{ "exception#DB/hlt:terminal:mov", VENDOR_INTEL, "SDM Vol. 3B 18.3.1" },
	{ "exception#DB/hlt:terminal:mov", VENDOR_AMD, "APM Vol. 2 13.1" },
	{ "exception#NMI/hlt:terminal:(nmi)", VENDOR_INTEL, "6.8.3" },
	{ "exception#GP/hlt:terminal:wrmsr@prot32", VENDOR_INTEL, "SDM Vol. 2 (wrmsr): Exceptions" },
	{ "exception#PF/exception#PF:exception.error:mov", VENDOR_INTEL, "Vol. 3A 6.15" },
	{ "hlt/internal_error:terminal:lar", VENDOR_INTEL, "SDM Vol. 2 (lar): Operation (it completes)" },
	{ "hlt/hlt:rflags.CF:add", VENDOR_AMD, "APM Vol. 3 (add): rFLAGS Affected" },
	{ "hlt/hlt:event.count:rep movsb", VENDOR_INTEL, "(rep movsb): Operation (the accesses" },
	{ "hlt/hlt:cr0:mov", VENDOR_INTEL, "Vol. 3A 2.5" },
	{ "hlt/hlt:rax:xadd@real16", VENDOR_INTEL, "SDM Vol. 2 (xadd): Operation" },
	{ "kmsg/kvm-pvm: INTERNAL_ERROR", VENDOR_INTEL, "" },
	{ "not a signature", VENDOR_INTEL, "" },
};

int main(void)
{
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		char buf[256];
		rule_citation(rows[i].sig, rows[i].v, buf, sizeof(buf));
		if (!rows[i].want[0])
			CHECK(buf[0] == 0, "%s: no rule ('%s')", rows[i].sig, buf);
		else
			CHECK(strstr(buf, rows[i].want) != NULL, "%s [%s]: '%s' holds '%s'", rows[i].sig,
			      vendor_name(rows[i].v), buf, rows[i].want);
	}
	return check_done("test_core_rule");
}
