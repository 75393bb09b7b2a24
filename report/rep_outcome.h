/* A bucket's two outcomes side by side: the reference's (case.case's
 * expect block) and KVM's (kvm-outcome.txt), exit events in order and the
 * end state field by field, the differing fields marked. */
#ifndef EXITDIFF_REP_OUTCOME_H
#define EXITDIFF_REP_OUTCOME_H

#include <stdio.h>

/* An HTML table for OUT/buckets/NAME; a line saying what is missing when
 * a file cannot be read. */
void rep_outcomes_html(FILE *f, const char *out, const char *name, const char *hv);
/* The bucket's "divergence ..." line from kvm-outcome.txt into buf ("" when none). */
void rep_divergence_line(const char *out, const char *name, char *buf, size_t len);

#endif
