/* Golden rows for the bit, exchange and flag-register semantics (BT*,
 * BSF/BSR, LZCNT/TZCNT/POPCNT, BSWAP, SHLD/SHRD, XADD, CMPXCHG*, LAHF/SAHF,
 * PUSHF/POPF, CLI). Expected values are literals derived from the SDM and,
 * for every row with host = 1, checked once natively on the host CPU
 * (Intel Xeon) with tests/tools/bits_host_check.c. Nothing here is computed
 * by the code under test.
 *
 * Each row runs its code then HLT with RAX RBX RCX RDX from the row, RDI =
 * the middle of a 32-byte, 16-aligned cell (mem[0..1] below RDI, mem[2..3]
 * at and above it) and RFLAGS = fin. After it RAX RBX RCX RDX, the cell and
 * the flags in `def` must match, every other register must be unchanged,
 * and the status flags outside `def` must be exactly those the reference
 * marks undefined. vec: -1 (ends at the HLT), an exception vector (raised
 * at the first instruction, nothing changed), or -2 (the form is not
 * modeled: the case must end UNSUPPORTED). feat 0 runs with a CPUID table
 * that has POPCNT, CX16, BMI1, ABM and LAHF-SAHF; feat 1 with none. */
#ifndef EXITDIFF_TEST_REF_BITS_ROWS_H
#define EXITDIFF_TEST_REF_BITS_ROWS_H

#include <stdint.h>

#define C_ 0x001u
#define P_ 0x004u
#define A_ 0x010u
#define Z_ 0x040u
#define S_ 0x080u
#define D_ 0x400u
#define O_ 0x800u
#define ALL_ (C_ | P_ | A_ | Z_ | S_ | O_)
#define BT_  (C_ | Z_)            /* BT*: OF SF AF PF undefined, ZF kept */
#define BSX_ (Z_)                 /* BSF/BSR: all but ZF undefined */
#define CNT_ (C_ | Z_)            /* LZCNT/TZCNT */
#define SD1_ (ALL_ & ~A_)         /* SHLD/SHRD count 1 */
#define SDN_ (C_ | P_ | Z_ | S_)  /* SHLD/SHRD count > 1 */

struct bits_row {
	const char *name;
	const char *code;
	uint64_t rax, rbx, rcx, rdx, mem[4];
	uint32_t fin;
	uint64_t o_rax, o_rbx, o_rcx, o_rdx, o_mem[4];
	uint32_t fout, def;
	int vec;
	uint8_t feat, host;
};

#define M1 0xffffffffffffffffull
#define Z4 { 0, 0, 0, 0 }
#define ME(a, b, c, d) { a, b, c, d }

static const struct bits_row bits_rows[] = {
/* name, code, rax rbx rcx rdx, mem, fin, o_rax o_rbx o_rcx o_rdx, o_mem, fout, def, vec, feat, host */
/* ---- BT BTS BTR BTC ---- */
{ "bt eax,ecx mod 32", "0fa3c8", 0x80000000ull, 0, 63, 0, Z4, Z_,
  0x80000000ull, 0, 63, 0, Z4, C_ | Z_, BT_, -1, 0, 1 },
{ "bt rax,rcx", "480fa3c8", 1ull << 40, 0, 40, 0, Z4, 0,
  1ull << 40, 0, 40, 0, Z4, C_, BT_, -1, 0, 1 },
{ "bt ax,cx mod 16", "660fa3c8", 0x8000, 0, 0x1f, 0, Z4, C_,
  0x8000, 0, 0x1f, 0, Z4, C_, BT_, -1, 0, 1 },
{ "bt [rdi],ecx -1", "0fa30f", 0, 0, M1, 0, ME(0, 1ull << 63, 0, 0), 0,
  0, 0, M1, 0, ME(0, 1ull << 63, 0, 0), C_, BT_, -1, 0, 1 },
{ "bt [rdi],ecx 40", "0fa30f", 0, 0, 40, 0, ME(0, 0, 1ull << 40, 0), 0,
  0, 0, 40, 0, ME(0, 0, 1ull << 40, 0), C_, BT_, -1, 0, 1 },
{ "bt [rdi],ecx 39 clear", "0fa30f", 0, 0, 39, 0, ME(0, 0, 1ull << 40, 0), C_ | Z_,
  0, 0, 39, 0, ME(0, 0, 1ull << 40, 0), Z_, BT_, -1, 0, 1 },
{ "bts [rdi],rcx 67", "480fab0f", 0, 0, 67, 0, Z4, 0,
  0, 0, 67, 0, ME(0, 0, 0, 8), 0, BT_, -1, 0, 1 },
{ "bts [rdi],rcx -65", "480fab0f", 0, 0, (uint64_t)-65, 0, Z4, 0,
  0, 0, (uint64_t)-65, 0, ME(1ull << 63, 0, 0, 0), 0, BT_, -1, 0, 1 },
{ "btr [rdi],cx -16", "660fb30f", 0, 0, 0xfff0, 0, ME(0, 0x0001000000000000ull, 0, 0), 0,
  0, 0, 0xfff0, 0, Z4, C_, BT_, -1, 0, 1 },
{ "btc dword [rdi],5", "0fba3f05", 0, 0, 0, 0, ME(0, 0, 0x20, 0), 0,
  0, 0, 0, 0, Z4, C_, BT_, -1, 0, 1 },
{ "bts dword [rdi],33", "0fba2f21", 0, 0, 0, 0, Z4, C_,
  0, 0, 0, 0, ME(0, 0, 2, 0), 0, BT_, -1, 0, 1 },
{ "lock bts [rdi],ecx", "f00fab0f", 0, 0, 2, 0, ME(0, 0, 4, 0), 0,
  0, 0, 2, 0, ME(0, 0, 4, 0), C_, BT_, -1, 0, 1 },
{ "btr eax,ecx", "0fb3c8", M1, 0, 0, 0, Z4, 0,
  0xfffffffeull, 0, 0, 0, Z4, C_, BT_, -1, 0, 1 },
{ "btc rax,63", "480fbaf83f", 0, 0, 0, 0, Z4, 0,
  1ull << 63, 0, 0, 0, Z4, 0, BT_, -1, 0, 1 },
{ "lock bt [rdi],ecx #UD", "f00fa30f", 0, 0, 0, 0, Z4, 0,
  0, 0, 0, 0, Z4, 0, ALL_, 6, 0, 1 },
/* ---- BSF BSR ---- */
{ "bsf eax,ecx", "0fbcc1", M1, 0, 0x80, 0, Z4, Z_,
  7, 0, 0x80, 0, Z4, 0, BSX_, -1, 0, 1 },
{ "bsr rax,rcx", "480fbdc1", 0, 0, 0x8000000000000001ull, 0, Z4, Z_,
  63, 0, 0x8000000000000001ull, 0, Z4, 0, BSX_, -1, 0, 1 },
{ "bsf eax,ecx zero", "0fbcc1", 0x1122334455667788ull, 0, 0xffffffff00000000ull, 0, Z4, 0,
  0x1122334455667788ull, 0, 0xffffffff00000000ull, 0, Z4, Z_, BSX_, -1, 0, 1 },
{ "bsr ax,cx zero", "660fbdc1", 0x1234, 0, 0x10000, 0, Z4, 0,
  0x1234, 0, 0x10000, 0, Z4, Z_, BSX_, -1, 0, 1 },
{ "bsf eax,[rdi]", "0fbc07", 0, 0, 0, 0, ME(0, 0, 0x0000000100001000ull, 0), 0,
  12, 0, 0, 0, ME(0, 0, 0x0000000100001000ull, 0), 0, BSX_, -1, 0, 1 },
/* ---- LZCNT TZCNT POPCNT ---- */
{ "lzcnt eax,ecx", "f30fbdc1", M1, 0, 0x10000, 0, Z4, C_ | Z_,
  15, 0, 0x10000, 0, Z4, 0, CNT_, -1, 0, 1 },
{ "lzcnt eax,ecx zero", "f30fbdc1", M1, 0, 0, 0, Z4, Z_,
  32, 0, 0, 0, Z4, C_, CNT_, -1, 0, 1 },
{ "lzcnt rax,rcx all", "f3480fbdc1", 5, 0, M1, 0, Z4, C_,
  0, 0, M1, 0, Z4, Z_, CNT_, -1, 0, 1 },
{ "tzcnt ax,cx zero", "66f30fbcc1", 0xffff0000ffff0000ull, 0, 0, 0, Z4, 0,
  0xffff0000ffff0010ull, 0, 0, 0, Z4, C_, CNT_, -1, 0, 1 },
{ "tzcnt rax,rcx", "f3480fbcc1", 0, 0, 1ull << 63, 0, Z4, 0,
  63, 0, 1ull << 63, 0, Z4, 0, CNT_, -1, 0, 1 },
{ "popcnt eax,ecx", "f30fb8c1", M1, 0, 0xff00ff, 0, Z4, ALL_,
  16, 0, 0xff00ff, 0, Z4, 0, ALL_, -1, 0, 1 },
{ "popcnt rax,[rdi] zero", "f3480fb807", 7, 0, 0, 0, Z4, C_ | O_,
  0, 0, 0, 0, Z4, Z_, ALL_, -1, 0, 1 },
{ "lzcnt as bsr (no ABM)", "f30fbdc1", M1, 0, 0x10000, 0, Z4, 0,
  16, 0, 0x10000, 0, Z4, 0, BSX_, -1, 1, 0 },
{ "tzcnt as bsf zero", "f30fbcc1", 0x55, 0, 0, 0, Z4, 0,
  0x55, 0, 0, 0, Z4, Z_, BSX_, -1, 1, 0 },
{ "popcnt #UD (no POPCNT)", "f30fb8c1", 0, 0, 1, 0, Z4, 0,
  0, 0, 1, 0, Z4, 0, ALL_, 6, 1, 0 },
/* ---- BSWAP ---- */
{ "bswap eax", "0fc8", 0xffffffff11223344ull, 0, 0, 0, Z4, ALL_,
  0x44332211ull, 0, 0, 0, Z4, ALL_, ALL_, -1, 0, 1 },
{ "bswap rax", "480fc8", 0x0102030405060708ull, 0, 0, 0, Z4, 0,
  0x0807060504030201ull, 0, 0, 0, Z4, 0, ALL_, -1, 0, 1 },
/* ---- SHLD SHRD ---- */
{ "shld eax,ecx,4", "0fa4c804", 0x12345678, 0, 0x9abcdef0, 0, Z4, 0,
  0x23456789, 0, 0x9abcdef0, 0, Z4, C_, SDN_, -1, 0, 1 },
{ "shrd eax,ecx,cl=1", "0fadc8", 0x12345678, 0, 1, 0, Z4, C_,
  0x891a2b3c, 0, 1, 0, Z4, P_ | S_ | O_, SD1_, -1, 0, 1 },
{ "shld rax,rcx,cl=64->0", "480fa5c8", 5, 0, 0x40, 0, Z4, ALL_,
  5, 0, 0x40, 0, Z4, ALL_, ALL_, -1, 0, 1 },
{ "shld eax,ecx,cl=0 zext", "0fa5c8", 0xffffffff00000005ull, 0, 0x20, 0, Z4, 0,
  5, 0, 0x20, 0, Z4, 0, ALL_, -1, 0, 1 },
{ "shrd [rdi],rcx,8", "480fac0f08", 0, 0, 0xaa, 0, ME(0, 0, 0x1122334455667788ull, 0), 0,
  0, 0, 0xaa, 0, ME(0, 0, 0xaa11223344556677ull, 0), C_ | P_ | S_, SDN_, -1, 0, 1 },
{ "shld ax,cx,17 undefined", "660fa4c811", 0x1234, 0, 0xabcd, 0, Z4, 0,
  0x1234, 0, 0xabcd, 0, Z4, 0, ALL_, -2, 0, 0 },
/* ---- XADD ---- */
{ "xadd eax,ecx", "0fc1c8", 0xffffffff, 0, 1, 0, Z4, 0,
  0, 0, 0xffffffff, 0, Z4, C_ | P_ | A_ | Z_, ALL_, -1, 0, 1 },
{ "xadd [rdi],rcx", "480fc10f", 0, 0, 7, 0, ME(0, 0, 5, 0), 0,
  0, 0, 5, 0, ME(0, 0, 12, 0), P_, ALL_, -1, 0, 1 },
{ "lock xadd [rdi],cl", "f00fc00f", 0, 0, 0x80, 0, ME(0, 0, 0x80, 0), 0,
  0, 0, 0x80, 0, Z4, C_ | P_ | Z_ | O_, ALL_, -1, 0, 1 },
{ "xadd eax,eax", "0fc1c0", 3, 0, 0, 0, Z4, 0,
  6, 0, 0, 0, Z4, P_, ALL_, -1, 0, 1 },
/* ---- CMPXCHG ---- */
{ "cmpxchg ecx,edx equal", "0fb1d1", 0xaaaaaaaa00000005ull, 0, 5, 9, Z4, 0,
  0xaaaaaaaa00000005ull, 0, 9, 9, Z4, P_ | Z_, ALL_, -1, 0, 1 },
{ "cmpxchg ecx,edx differ", "0fb1d1", 0xaaaaaaaa00000005ull, 0, 0xbbbbbbbb00000007ull, 9, Z4, 0,
  7, 0, 0xbbbbbbbb00000007ull, 9, Z4, C_ | A_ | S_, ALL_, -1, 0, 1 },
{ "cmpxchg [rdi],cl differ", "0fb00f", 1, 0, 0x33, 0, ME(0, 0, 2, 0), 0,
  2, 0, 0x33, 0, ME(0, 0, 2, 0), C_ | P_ | A_ | S_, ALL_, -1, 0, 1 },
{ "lock cmpxchg [rdi],rcx", "f0480fb10f", 0x1234, 0, 0x5678, 0, ME(0, 0, 0x1234, 0), 0,
  0x1234, 0, 0x5678, 0, ME(0, 0, 0x5678, 0), P_ | Z_, ALL_, -1, 0, 1 },
{ "cmpxchg8b equal", "0fc70f", 0xffffffff11111111ull, 0x33333333, 0x44444444, 0xffffffff22222222ull,
  ME(0, 0, 0x2222222211111111ull, 0), C_,
  0xffffffff11111111ull, 0x33333333, 0x44444444, 0xffffffff22222222ull,
  ME(0, 0, 0x4444444433333333ull, 0), C_ | Z_, ALL_, -1, 0, 1 },
{ "cmpxchg8b differ", "0fc70f", 0xffffffff11111111ull, 0x33333333, 0x44444444, 0xffffffff22222222ull,
  ME(0, 0, 0x2222222211111112ull, 0), Z_,
  0x11111112, 0x33333333, 0x44444444, 0x22222222,
  ME(0, 0, 0x2222222211111112ull, 0), 0, ALL_, -1, 0, 1 },
{ "lock cmpxchg16b equal", "f0480fc70f", 1, 3, 4, 2, ME(0, 0, 1, 2), 0,
  1, 3, 4, 2, ME(0, 0, 3, 4), Z_, ALL_, -1, 0, 1 },
{ "cmpxchg16b differ", "480fc70f", 1, 3, 4, 2, ME(0, 0, 1, 5), Z_ | S_,
  1, 3, 4, 5, ME(0, 0, 1, 5), S_, ALL_, -1, 0, 1 },
{ "cmpxchg16b misaligned #GP", "480fc74f08", 1, 3, 4, 2, ME(0, 0, 1, 2), 0,
  1, 3, 4, 2, ME(0, 0, 1, 2), 0, ALL_, 13, 0, 1 },
{ "cmpxchg16b #UD (no CX16)", "480fc70f", 1, 3, 4, 2, ME(0, 0, 1, 2), 0,
  1, 3, 4, 2, ME(0, 0, 1, 2), 0, ALL_, 6, 1, 0 },
/* ---- LAHF SAHF PUSHF POPF CLI ---- */
{ "lahf", "9f", 0, 0, 0, 0, Z4, C_ | Z_ | S_ | O_,
  0xc300, 0, 0, 0, Z4, C_ | Z_ | S_ | O_, ALL_, -1, 0, 1 },
{ "sahf", "9e", 0xd500, 0, 0, 0, Z4, O_,
  0xd500, 0, 0, 0, Z4, ALL_, ALL_, -1, 0, 1 },
{ "lahf #UD (no LAHF-SAHF)", "9f", 0, 0, 0, 0, Z4, C_,
  0, 0, 0, 0, Z4, C_, ALL_, 6, 1, 0 },
{ "pushfq; pop rcx", "9c59", 0, 0, 0, 0, Z4, C_ | D_,
  0, 0, 0x403, 0, Z4, C_ | D_, ALL_ | D_, -1, 0, 1 },
{ "pushf; pop cx", "669c6659", 0, 0, 0xffff0000ull, 0, Z4, Z_,
  0, 0, 0xffff0042ull, 0, Z4, Z_, ALL_ | D_, -1, 0, 1 },
{ "push rdx; popfq", "529d", 0, 0, 0, 0xcd5, Z4, 0,
  0, 0, 0, 0xcd5, Z4, ALL_ | D_, ALL_ | D_, -1, 0, 1 },
{ "push dx; popf", "6652669d", 0, 0, 0, 0x0001, Z4, Z_ | D_,
  0, 0, 0, 0x0001, Z4, C_, ALL_ | D_, -1, 0, 1 },
{ "popfq setting TF", "529d", 0, 0, 0, 0x102, Z4, 0,
  0, 0, 0, 0x102, Z4, 0, ALL_, -2, 0, 0 },
{ "cli", "fa", 0, 0, 0, 0, Z4, C_,
  0, 0, 0, 0, Z4, C_, ALL_, -1, 0, 0 },
};

#define BITS_ROW_COUNT (sizeof(bits_rows) / sizeof(bits_rows[0]))

#endif
