/* native_outcome.c: the child's report turned into an outcome. */
#ifndef EXITDIFF_NATIVE_OUTCOME_H
#define EXITDIFF_NATIVE_OUTCOME_H

#include "native_internal.h"
#include "outcome.h"

/* o must be outcome_init()ed; r->done must be set. */
void native_outcome(const struct native_report *r, const struct test_case *c,
		    struct outcome *o);

#endif
