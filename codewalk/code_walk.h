/* Walking a case's 64-bit code with Capstone: what an executor that cannot
 * model everything (native/, oracle-unicorn/) looks at before it runs a
 * case. A linear sweep from the first byte, then a descent from every
 * direct branch target (JMP, Jcc, CALL, LOOP, JRCXZ rel) inside the code,
 * so that code a jump lands in the middle of is decoded where it lands.
 * The code is decoded with the code page's HLT padding after it, as the CPU
 * fetches it: an instruction cut short by the case's last byte ends there.
 * Indirect branches and code the case writes itself are not followed. */
#ifndef EXITDIFF_CODE_WALK_H
#define EXITDIFF_CODE_WALK_H

#include <stdint.h>
#include "decode.h"

/* Called once per decoded instruction (an address may be seen twice: by
 * the sweep and a descent); returns non-zero to stop the walk. */
typedef int (*code_walk_fn)(const cs_insn *in, void *ctx);

/* Walks code (len bytes at LAYOUT_CODE) in 64-bit mode through decode.h
 * (details on, Capstone's slips put right). Returns what fn last returned
 * (0 when it never stopped the walk), or -1 when Capstone cannot be opened
 * or memory runs out. */
int code_walk64(const uint8_t *code, uint32_t len, code_walk_fn fn, void *ctx);

#endif
