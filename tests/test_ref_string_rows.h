/* Golden rows for MOVS STOS LODS SCAS CMPS (SDM Vol. 2B; REP/REPE/REPNE,
 * DF, 67h). Expected values are literals; every row with host = 1 was
 * checked natively on the host CPU with tests/tools/string_host_check.c.
 *
 * Each row runs its code then HLT with RAX and RCX from the row, RSI/RDI =
 * buffer + si/di (a 64-byte buffer holding mem), RFLAGS = fin. After it
 * RAX RCX, RSI/RDI (as offsets), the buffer and the flags in `def` must
 * match; the status flags outside `def` must be the undefined set. abs = 1:
 * si/di are absolute guest addresses (rows that fault on unmapped pages;
 * not runnable natively). vec: -1 or the exception vector. */
#ifndef EXITDIFF_TEST_REF_STRING_ROWS_H
#define EXITDIFF_TEST_REF_STRING_ROWS_H

#include <stdint.h>

#define C_ 0x001u
#define P_ 0x004u
#define A_ 0x010u
#define Z_ 0x040u
#define S_ 0x080u
#define D_ 0x400u
#define O_ 0x800u
#define ALL_ (C_ | P_ | A_ | Z_ | S_ | O_)

struct str_row {
	const char *name;
	const char *code;
	uint64_t rax, rcx;
	int64_t si, di;
	uint64_t mem[8];
	uint32_t fin;
	uint64_t o_rax, o_rcx;
	int64_t o_si, o_di;
	uint64_t o_mem[8];
	uint32_t fout, def;
	int vec;
	uint8_t abs, host;
};

#define M1 0xffffffffffffffffull
#define B0 0x1122334455667788ull  /* bytes 88 77 66 55 44 33 22 11 */

static const struct str_row str_rows[] = {
/* ---- MOVS ---- */
{ "movsb", "a4", 0, 0, 0, 8, { B0 }, 0,
  0, 0, 1, 9, { B0, 0x88 }, 0, ALL_, -1, 0, 1 },
{ "rep movsb", "f3a4", 0, 5, 0, 16, { B0 }, C_,
  0, 0, 5, 21, { B0, 0, 0x0000004455667788ull }, C_, ALL_, -1, 0, 1 },
{ "rep movsb rcx=0", "f3a4", 0, 0, 0, 16, { B0 }, 0,
  0, 0, 0, 16, { B0 }, 0, ALL_, -1, 0, 1 },
{ "rep movsq down", "f348a5", 0, 2, 8, 56, { B0, 2 }, D_,
  0, 0, -8, 40, { B0, 2, 0, 0, 0, 0, B0, 2 }, D_, ALL_ | D_, -1, 0, 1 },
{ "rep movsw (66 f3)", "66f3a5", 0, 3, 0, 32, { B0 }, 0,
  0, 0, 6, 38, { B0, 0, 0, 0, 0x0000334455667788ull }, 0, ALL_, -1, 0, 1 },
{ "rep movsd", "f3a5", 0, 2, 0, 40, { B0 }, 0,
  0, 0, 8, 48, { B0, 0, 0, 0, 0, B0 }, 0, ALL_, -1, 0, 1 },
{ "a32 rep movsb", "67f3a4", 0, 0xffffffff00000002ull, 0, 8, { B0 }, 0,
  0, 0, 2, 10, { B0, 0x7788 }, 0, ALL_, -1, 0, 1 },
/* ---- STOS ---- */
{ "stosd", "ab", 0xaabbccdd11223344ull, 0, 0, 0, { M1 }, 0,
  0xaabbccdd11223344ull, 0, 0, 4, { 0xffffffff11223344ull }, 0, ALL_, -1, 0, 1 },
{ "rep stosq", "f348ab", M1, 3, 0, 8, { 0 }, 0,
  M1, 0, 0, 32, { 0, M1, M1, M1 }, 0, ALL_, -1, 0, 1 },
{ "rep stosw down", "66f3ab", 0x1234, 2, 0, 62, { 0 }, D_,
  0x1234, 0, 0, 58, { 0, 0, 0, 0, 0, 0, 0, 0x1234123400000000ull }, D_, ALL_ | D_, -1, 0, 1 },
{ "rep stosb fault", "f3aa", 0x5a, 4, 0, 0x13ffe, { 0 }, 0,
  0x5a, 2, 0, 0x14000, { 0 }, 0, ALL_, 14, 1, 0 },
/* ---- LODS ---- */
{ "lodsb", "ac", M1, 0, 0, 0, { B0 }, 0,
  0xffffffffffffff88ull, 0, 1, 0, { B0 }, 0, ALL_, -1, 0, 1 },
{ "lodsd zero-extends", "ad", M1, 0, 0, 0, { B0 }, 0,
  0x55667788ull, 0, 4, 0, { B0 }, 0, ALL_, -1, 0, 1 },
{ "rep lodsw", "66f3ad", M1, 3, 0, 0, { B0 }, 0,
  0xffffffffffff3344ull, 0, 6, 0, { B0 }, 0, ALL_, -1, 0, 1 },
/* ---- SCAS ---- */
{ "scasb equal", "ae", 0x88, 0, 0, 0, { B0 }, C_,
  0x88, 0, 0, 1, { B0 }, P_ | Z_, ALL_, -1, 0, 1 },
{ "repne scasb finds", "f2ae", 0x55, 8, 0, 0, { B0 }, 0,
  0x55, 4, 0, 4, { B0 }, P_ | Z_, ALL_, -1, 0, 1 },
{ "repe scasb stops", "f3ae", 0x88, 8, 0, 0, { B0 }, 0,
  0x88, 6, 0, 2, { B0 }, P_ | O_, ALL_, -1, 0, 1 },
{ "rep scasq rcx=0 no flags", "f348af", 0, 0, 0, 0, { B0 }, S_ | O_,
  0, 0, 0, 0, { B0 }, S_ | O_, ALL_, -1, 0, 1 },
/* ---- CMPS ---- */
{ "repe cmpsb equal", "f3a6", 0, 4, 0, 8, { B0, B0 }, 0,
  0, 0, 4, 12, { B0, B0 }, P_ | Z_, ALL_, -1, 0, 1 },
{ "cmpsq", "48a7", 0, 0, 0, 8, { 1, 2 }, 0,
  0, 0, 8, 16, { 1, 2 }, C_ | P_ | A_ | S_, ALL_, -1, 0, 1 },
{ "repne cmpsd down", "f2a7", 0, 3, 8, 24,
  { 0x0000007700000000ull, 0x0000000300000002ull, 0x0000007700000000ull, 0x0000000900000003ull }, D_,
  0, 1, 0, 16,
  { 0x0000007700000000ull, 0x0000000300000002ull, 0x0000007700000000ull, 0x0000000900000003ull },
  D_ | P_ | Z_, ALL_ | D_, -1, 0, 1 },
};

#define STR_ROW_COUNT (sizeof(str_rows) / sizeof(str_rows[0]))

#endif
