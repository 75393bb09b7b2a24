/* The one way exitdiff opens Capstone and decodes x86: the reference, the
 * minimizer, the AFL++ mutator, the code walk of the native and Unicorn
 * executors and the decoding tests go through here, in the case's own
 * mode, so none of them cuts 16- or 32-bit code at 64-bit boundaries, and
 * all of them see the instructions the reference runs.
 *
 *   decode.c         handles per code size, one-instruction decode
 *   decode_fixup.c   what Capstone 4.0.2 gets wrong, put right for all
 *
 * A struct dec is opened once and reused: decoding allocates nothing (the
 * reference decodes every instruction of every case). It is not shared
 * between threads: each worker opens its own. */
#ifndef EXITDIFF_DECODE_H
#define EXITDIFF_DECODE_H

#include <stddef.h>
#include <stdint.h>
#include <capstone/capstone.h>
#include "case.h"
#include "prefix.h"

/* One Capstone handle per code-segment size (SDM Vol. 3A 3.4.5: CS.D and
 * CS.L give the default operand and address size). */
enum { DEC_16, DEC_32, DEC_64, DEC_COUNT };

struct dec {
	csh cs[DEC_COUNT];
	cs_insn *insn;          /* scratch for dec_one(out = NULL) */
};

/* Opens the three handles with details on. Returns 0, or -1 with err
 * filled (file:line and Capstone's words); d is then closed. */
int dec_open(struct dec *d, char *err, size_t errlen);
/* Closes what dec_open opened; a zeroed or already closed d is fine. */
void dec_close(struct dec *d);

/* The default code size of mode m: 16 in real mode, 32 in the protected
 * modes, 64 in long mode (the same as mode_env_init's code_bits). */
unsigned dec_bits(enum cpu_mode m);

/* The Capstone handle for bits-bit code (16, 32 or 64), for the rare caller
 * that needs Capstone itself (cs_reg_name). */
csh dec_handle(const struct dec *d, unsigned bits);

/* An instruction buffer a caller keeps (cs_free it); NULL when out of
 * memory. */
cs_insn *dec_insn_new(struct dec *d);

/* Decodes one instruction from code[0..len) at address addr in bits-bit
 * code into out (NULL: d->insn), with details, and with Capstone 4's slips
 * put right (decode_fixup.c): its bytes may list the legacy prefixes in
 * another order than code. Returns its length, or 0 when code does not
 * start with an instruction Capstone knows; out may then hold anything. */
unsigned dec_one(struct dec *d, unsigned bits, const uint8_t *code, size_t len,
		 uint64_t addr, cs_insn *out);

#endif
