/* Human-readable views of outcomes and divergences. */
#ifndef EXITDIFF_SHOW_H
#define EXITDIFF_SHOW_H

#include <stdio.h>
#include "case.h"
#include "diff.h"
#include "outcome.h"

/* Prints two outcomes of one case in two columns, marking with '!' the
 * lines that differ. Events are paired by position, state lines by key. */
void show_side_by_side(FILE *f, const char *left_name, const struct outcome *l,
		       const char *right_name, const struct outcome *r,
		       const struct test_case *c);

/* One line, "  instruction #3 at 0x10003: 0f 31  rdtsc", for the step a
 * lockstep run named: its bytes from the stepped side's compared memory
 * (the exception stubs below it are one HLT each) and Capstone's text. */
struct lockstep;
void show_lockstep_insn(FILE *f, const struct lockstep *l);

#endif
