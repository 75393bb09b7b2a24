/* Rule citations for findings (rule.h). */
#include <stdio.h>
#include <string.h>
#include "cluster.h"
#include "config.h"
#include "finding.h"
#include "rule.h"

/* The reference's terminal (the signature's first part) or the field that
 * differs names the rule; the first matching row wins. %s is the
 * instruction. Intel's SDM and AMD's APM put the same rules in these
 * places (Vol. 2/Vol. 3 instruction pages; exceptions Vol. 3A chapter 6 /
 * APM Vol. 2 chapter 8; debug Vol. 3B chapter 18 / APM Vol. 2 chapter 13). */
static const struct {
	const char *ref_prefix;  /* start of the reference's end, or NULL */
	const char *field_class; /* cluster_field_class(), or NULL */
	const char *intel, *amd;
} rows[] = {
	{ "exception#DB", NULL, "SDM Vol. 3B 18.3.1 (debug exceptions: single-step, breakpoints), %s",
	  "APM Vol. 2 13.1 (debug exceptions), %s" },
	{ "exception#NMI", NULL, "SDM Vol. 3A 6.7 and 6.8.3 (NMI delivery, blocking by MOV SS)",
	  "APM Vol. 2 8.2.2 and 8.5 (NMI, interrupt shadow)" },
	{ "exception#", "exception", "SDM Vol. 2 (%s): Exceptions; Vol. 3A 6.15 (the vector's conditions)",
	  "APM Vol. 3 (%s): Exceptions; APM Vol. 2 8.2 (the vector's conditions)" },
	{ "exception#", "terminal", "SDM Vol. 2 (%s): Exceptions (the fault it must raise)",
	  "APM Vol. 3 (%s): Exceptions (the fault it must raise)" },
	{ NULL, "trace", "SDM Vol. 2 (%s): Operation (the accesses it makes, in order)",
	  "APM Vol. 3 (%s): the accesses it makes, in order" },
	{ NULL, "terminal", "SDM Vol. 2 (%s): Operation (it completes)",
	  "APM Vol. 3 (%s): it completes" },
	{ NULL, "flags", "SDM Vol. 2 (%s): Flags Affected", "APM Vol. 3 (%s): rFLAGS Affected" },
	{ NULL, "sysreg", "SDM Vol. 3A 2.5 and Vol. 2 (%s): control and segment registers",
	  "APM Vol. 2 3.1 and Vol. 3 (%s): control and segment registers" },
	{ NULL, NULL, "SDM Vol. 2 (%s): Operation", "APM Vol. 3 (%s): Operation" },
};

char *rule_citation(const char *signature, enum cpu_vendor v, char *buf, size_t len)
{
	char sig[SIGNATURE_MAX];
	finding_key_base(sig, signature);
	char *slash = strchr(sig, '/'), *c1 = strchr(sig, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
	buf[0] = 0;
	if (!slash || !c1 || !c2 || slash > c1)
		return buf;
	*slash = *c1 = *c2 = 0;
	const char *ref = sig, *cls = cluster_field_class(c1 + 1), *insn = c2 + 1;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		if (rows[i].ref_prefix && strncmp(ref, rows[i].ref_prefix, strlen(rows[i].ref_prefix)))
			continue;
		if (rows[i].field_class && strcmp(cls, rows[i].field_class))
			continue;
		snprintf(buf, len, v == VENDOR_AMD ? rows[i].amd : rows[i].intel, insn);
		break;
	}
	return buf;
}
