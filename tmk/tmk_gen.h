/* Generation of the exported cases.c (tmk_gen.c), used by tmk_export.c. */
#ifndef EXITDIFF_TMK_GEN_H
#define EXITDIFF_TMK_GEN_H

#include <stdio.h>
#include "case_text.h"
#include "outcome.h"

struct tmk_gen_case {
	const char *path;
	const struct case_file *cf;
	const struct outcome *expect;   /* what the TMK checks */
	const char *expect_source;      /* where it came from, for the comment */
	const struct outcome *ref;      /* NULL when not run */
	const struct outcome *kvm;      /* NULL when not run */
};

/* Can the runtime check this terminal kind? (HLT, EXCEPTION, TIMEOUT,
 * SHUTDOWN; the rest cannot be observed from inside a guest.) */
int tmk_gen_expressible(const struct outcome *o);
/* One case: comments (disassembly, outcomes) and its data. */
void tmk_gen_case(FILE *f, unsigned idx, const struct tmk_gen_case *g);
/* The case table and the name table after all cases. */
void tmk_gen_tables(FILE *f, const struct tmk_gen_case *g, unsigned n);

#endif
