/* Unicorn 2 as an optional third oracle: the same case in the same guest
 * environment (layout.h), run by QEMU's TCG as packaged in libunicorn. Used
 * to tell which side of a reference/KVM divergence an independent
 * emulator takes. Only built when libunicorn is found (EXITDIFF_HAVE_UNICORN
 * is then defined for the exitdiff binary). See docs/unicorn.md. */
#ifndef EXITDIFF_UC_ORACLE_H
#define EXITDIFF_UC_ORACLE_H

#include "executor.h"

extern const struct executor_ops unicorn_executor_ops;

#endif
