/* Tables of the AFL++ custom mutator (afl_mutator.c): instruction
 * encodings worth inserting, register values worth trying. */
#ifndef EXITDIFF_FUZZ_MUT_H
#define EXITDIFF_FUZZ_MUT_H

#include <stddef.h>
#include <stdint.h>

struct mut_insn {
	const char *name;      /* assembly, for humans and the self-test */
	uint8_t len;
	uint8_t bytes[15];
};
extern const struct mut_insn mut_insns[];
extern const size_t mut_insns_n;

extern const uint64_t mut_values[];
extern const size_t mut_values_n;

#endif
