/* The documented rule behind the reference's side of a finding: when no
 * executor can judge a case (triage: the CPU cannot run CPL0 or legacy-mode
 * code, Unicorn refuses the knob), what remains is the manual's rule the
 * reference follows, cited by section. One table keyed by what differs
 * (the signature's field class and the reference's end), with the
 * instruction's own reference page where the rule is the instruction's:
 * Intel's SDM, or AMD's APM for an AMD profile. */
#ifndef EXITDIFF_RULE_H
#define EXITDIFF_RULE_H

#include <stddef.h>
#include "vendor.h"

/* "SDM Vol. 2 (ADD): Operation, Flags Affected" for the signature
 * REF/KVM:FIELD:MNEMONIC[@MODE]. Returns buf; "" when the signature does
 * not parse. */
char *rule_citation(const char *signature, enum cpu_vendor v, char *buf, size_t len);

#endif
