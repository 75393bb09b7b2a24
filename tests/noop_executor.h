/* The init and fini of a test executor that holds no state of its own:
 * the fakes of the campaign tests (fake_executor.h) and the wrapping
 * executors of the minimizer tests need nothing else. */
#ifndef EXITDIFF_TEST_NOOP_EXECUTOR_H
#define EXITDIFF_TEST_NOOP_EXECUTOR_H

#include <stddef.h>
#include "executor.h"

static inline int fake_init(struct executor *ex, char *err, size_t len)
{
	(void)ex, (void)err, (void)len;
	return 0;
}

static inline void fake_fini(struct executor *ex) { (void)ex; }

#endif
