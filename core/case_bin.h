/* The binary case format: any byte string decodes to a valid case, so
 * fuzzer inputs are always usable (see docs/formats.md). */
#ifndef EXITDIFF_CASE_BIN_H
#define EXITDIFF_CASE_BIN_H

#include <stddef.h>
#include <stdint.h>
#include "case.h"

/* Decodes any bytes (even none) into c. Never fails. */
void case_decode(const uint8_t *buf, size_t len, struct test_case *c);
/* Encodes c; returns the length written, or 0 when cap is too small.
 * case_decode(case_encode(c)) == c for every case the decoder can make. */
size_t case_encode(const struct test_case *c, uint8_t *buf, size_t cap);
/* Largest encoding of any case. */
#define CASE_BIN_MAX (1 + 4 + 3 + 8 * (GPR_COUNT + 2) + 2 + CASE_DATA_MAX + CASE_CODE_MAX)

#endif
