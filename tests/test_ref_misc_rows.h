/* Golden rows for the remaining general-purpose instructions (ref_misc.c):
 * ENTER, LEAVE, MOVBE, ADCX/ADOX, fences, PAUSE, CLFLUSH*, PREFETCHh,
 * MOVNTI, CRC32, UD1, XLAT, and in 32-bit code BOUND and the BCD
 * adjustments. CRC32 literals come from a CRC-32C table outside this
 * project (Python, bit-serial) and the host.
 * Expected values are literals worked out from the SDM and, for every row
 * with host = 1, checked once natively on the host CPU (Intel Xeon) with
 * tests/tools/misc_host_check.c: 64-bit rows at CPL3 in 64-bit mode,
 * 32-bit rows in compatibility mode (the BCD instructions and BOUND do not
 * exist in 64-bit mode). Nothing here is computed by the code under test.
 *
 * Each row runs its code then HLT, in long64 (bits 64) or prot32 (bits
 * 32) mode, with RAX RBX RCX RDX RSP RBP RDI from the row and a 64-byte
 * cell at MISC_CELL (8 quadwords, mem[0..7]; the same absolute address
 * natively). After it those seven registers, the cell and the flags in
 * `def` must match, every other register must be unchanged, and the
 * status flags outside `def` must be exactly those the reference marks
 * undefined. vec: -1 (ends at the HLT), an exception vector raised at the
 * first instruction (registers as they were; the cell as given: a
 * faulting ENTER has written its frame), or -2 (not modeled: the case
 * must end UNSUPPORTED). The page at 0x11000 is not present in the guest,
 * and made PROT_NONE natively.
 * feat 0: a CPUID table with MOVBE, CLFSH, SSE, SSE2, ADX, CLFLUSHOPT and
 * CLWB; feat 1: the same leaves with those bits clear; feat 2: no CPUID
 * table at all (features unknown: the form ends UNSUPPORTED). 32-bit rows with
 * an exception keep RSP outside the cell (the frame is pushed there). */
#ifndef EXITDIFF_TEST_REF_MISC_ROWS_H
#define EXITDIFF_TEST_REF_MISC_ROWS_H

#include <stdint.h>

#define MISC_CELL 0x12100ull          /* LAYOUT_DATA + 0x100 */
#define MC(off) (MISC_CELL + (off))
#define MSTK 0x16000ull               /* LAYOUT_STACK_TOP */

#define C_ 0x001u
#define P_ 0x004u
#define A_ 0x010u
#define Z_ 0x040u
#define S_ 0x080u
#define O_ 0x800u
#define ALL_ (C_ | P_ | A_ | Z_ | S_ | O_)
#define BCD_AA_ (C_ | A_)            /* AAA/AAS: OF SF ZF PF undefined */
#define BCD_DA_ (ALL_ & ~O_)         /* DAA/DAS: OF undefined */
#define BCD_AM_ (S_ | Z_ | P_)       /* AAM/AAD: OF AF CF undefined */

struct misc_row {
	const char *name;
	uint8_t bits;                 /* 64: long64, 32: prot32, 16: real16 */
	const char *code;
	uint64_t rax, rbx, rcx, rdx, rsp, rbp, rdi, mem[8];
	uint32_t fin;
	uint64_t o_rax, o_rbx, o_rcx, o_rdx, o_rsp, o_rbp, o_rdi, o_mem[8];
	uint32_t fout, def;
	int vec;
	uint8_t feat, host;
};

#define Z8 { 0, 0, 0, 0, 0, 0, 0, 0 }
#define M8(a, b, c, d, e, f, g, h) { a, b, c, d, e, f, g, h }
#define RBPV 0x1122334455667788ull

static const struct misc_row misc_rows[] = {
/* name, bits, code,
 *   rax rbx rcx rdx rsp rbp rdi, mem, fin,
 *   o_rax o_rbx o_rcx o_rdx o_rsp o_rbp o_rdi, o_mem, fout, def, vec, feat, host */
/* ---- ENTER / LEAVE (64-bit) ---- */
{ "enter 0x10,0", 64, "c8100000",
  0, 0, 0, 0, MC(0x40), RBPV, 0, Z8, Z_ | C_,
  0, 0, 0, 0, MC(0x28), MC(0x38), 0, M8(0, 0, 0, 0, 0, 0, 0, RBPV), Z_ | C_, ALL_, -1, 0, 1 },
{ "enter 0,1", 64, "c8000001",
  0, 0, 0, 0, MC(0x40), RBPV, 0, Z8, 0,
  0, 0, 0, 0, MC(0x30), MC(0x38), 0, M8(0, 0, 0, 0, 0, 0, MC(0x38), RBPV), 0, ALL_, -1, 0, 1 },
{ "enter 8,2 copies a frame ptr", 64, "c8080002",
  0, 0, 0, 0, MC(0x40), MC(0x20), 0, M8(0, 0, 0, 0xaaaa, 0, 0, 0, 0), 0,
  0, 0, 0, 0, MC(0x20), MC(0x38), 0, M8(0, 0, 0, 0xaaaa, 0, MC(0x38), 0xaaaa, MC(0x20)), 0,
  ALL_, -1, 0, 1 },
{ "enter 4,0 o16", 64, "66c8040000",
  0, 0, 0, 0, MC(0x40), RBPV, 0, Z8, 0,
  0, 0, 0, 0, MC(0x3a), 0x1122334455660000ull | (MC(0x3e) & 0xffff), 0,
  M8(0, 0, 0, 0, 0, 0, 0, 0x7788ull << 48), 0, ALL_, -1, 0, 1 },
{ "enter 0x1000,0: final rsp unmapped", 64, "c8001000",
  0, 0, 0, 0, MC(0x40), RBPV, 0, Z8, 0,
  0, 0, 0, 0, MC(0x40), RBPV, 0, M8(0, 0, 0, 0, 0, 0, 0, RBPV), 0, ALL_, 14, 0, 1 },
{ "enter 0x1000,2: frame written first", 64, "c8001002",
  0, 0, 0, 0, MC(0x40), MC(0x20), 0, M8(0, 0, 0, 0xaaaa, 0, 0, 0, 0), 0,
  0, 0, 0, 0, MC(0x40), MC(0x20), 0, M8(0, 0, 0, 0xaaaa, 0, MC(0x38), 0xaaaa, MC(0x20)), 0,
  ALL_, 14, 0, 1 },
{ "leave", 64, "c9",
  0, 0, 0, 0, MC(0x08), MC(0x20), 0, M8(0, 0, 0, 0, 0x1234567890ull, 0, 0, 0), 0,
  0, 0, 0, 0, MC(0x28), 0x1234567890ull, 0, M8(0, 0, 0, 0, 0x1234567890ull, 0, 0, 0), 0,
  ALL_, -1, 0, 1 },
{ "leave o16", 64, "66c9",
  0, 0, 0, 0, MC(0x08), MC(0x20), 0, M8(0, 0, 0, 0, 0xffffeeeeddddccccull, 0, 0, 0), 0,
  0, 0, 0, 0, MC(0x22), 0x1ccccull, 0, M8(0, 0, 0, 0, 0xffffeeeeddddccccull, 0, 0, 0), 0,
  ALL_, -1, 0, 1 },
/* ---- MOVBE ---- */
{ "movbe eax,[rdi]", 64, "0f38f007",
  ~0ull, 0, 0, 0, MSTK, 0, MC(0x20), M8(0, 0, 0, 0, 0x8877665544332211ull, 0, 0, 0), 0,
  0x11223344ull, 0, 0, 0, MSTK, 0, MC(0x20), M8(0, 0, 0, 0, 0x8877665544332211ull, 0, 0, 0), 0,
  ALL_, -1, 0, 1 },
{ "movbe [rdi],rax", 64, "480f38f107",
  0x0102030405060708ull, 0, 0, 0, MSTK, 0, MC(0x20), Z8, 0,
  0x0102030405060708ull, 0, 0, 0, MSTK, 0, MC(0x20), M8(0, 0, 0, 0, 0x0807060504030201ull, 0, 0, 0),
  0, ALL_, -1, 0, 1 },
{ "movbe ax,[rdi]", 64, "660f38f007",
  ~0ull, 0, 0, 0, MSTK, 0, MC(0x20), M8(0, 0, 0, 0, 0x2211, 0, 0, 0), 0,
  0xffffffffffff1122ull, 0, 0, 0, MSTK, 0, MC(0x20), M8(0, 0, 0, 0, 0x2211, 0, 0, 0), 0,
  ALL_, -1, 0, 1 },
{ "movbe without cpuid #UD", 64, "0f38f007",
  0, 0, 0, 0, MSTK, 0, MC(0x20), Z8, 0,
  0, 0, 0, 0, MSTK, 0, MC(0x20), Z8, 0, ALL_, 6, 1, 0 },
{ "movbe, no CPUID table", 64, "0f38f007",
  0, 0, 0, 0, MSTK, 0, MC(0x20), Z8, 0,
  0, 0, 0, 0, MSTK, 0, MC(0x20), Z8, 0, ALL_, -2, 2, 0 },
/* A REP prefix is #UD even with MOVBE present (SDM Vol. 2B MOVBE). */
{ "f3 movbe eax,[rdi] #UD", 64, "f30f38f007",
  0, 0, 0, 0, MSTK, 0, MC(0x20), Z8, 0,
  0, 0, 0, 0, MSTK, 0, MC(0x20), Z8, 0, ALL_, 6, 0, 1 },
{ "f3 movbe [rdi],eax #UD", 64, "f30f38f107",
  0x11223344ull, 0, 0, 0, MSTK, 0, MC(0x20), Z8, 0,
  0x11223344ull, 0, 0, 0, MSTK, 0, MC(0x20), Z8, 0, ALL_, 6, 0, 1 },
/* ---- ADCX / ADOX ---- */
{ "adcx eax,ecx wraps", 64, "660f38f6c1",
  0xffffffffull, 0, 1, 0, MSTK, 0, 0, Z8, C_ | O_ | Z_,
  1, 0, 1, 0, MSTK, 0, 0, Z8, C_ | O_ | Z_, ALL_, -1, 0, 1 },
{ "adcx rax,rcx all ones", 64, "66480f38f6c1",
  ~0ull, 0, 0, 0, MSTK, 0, 0, Z8, C_ | S_,
  0, 0, 0, 0, MSTK, 0, 0, Z8, C_ | S_, ALL_, -1, 0, 1 },
{ "adcx eax,ecx no carry", 64, "660f38f6c1",
  5, 0, 7, 0, MSTK, 0, 0, Z8, O_,
  12, 0, 7, 0, MSTK, 0, 0, Z8, O_, ALL_, -1, 0, 1 },
{ "adox rax,rcx", 64, "f3480f38f6c1",
  1, 0, 2, 0, MSTK, 0, 0, Z8, O_ | C_,
  4, 0, 2, 0, MSTK, 0, 0, Z8, C_, ALL_, -1, 0, 1 },
{ "adox eax,ecx carry out", 64, "f30f38f6c1",
  0x80000000ull, 0, 0x80000000ull, 0, MSTK, 0, 0, Z8, 0,
  0, 0, 0x80000000ull, 0, MSTK, 0, 0, Z8, O_, ALL_, -1, 0, 1 },
{ "adcx without cpuid #UD", 64, "660f38f6c1",
  5, 0, 7, 0, MSTK, 0, 0, Z8, 0,
  5, 0, 7, 0, MSTK, 0, 0, Z8, 0, ALL_, 6, 1, 0 },
/* ---- fences, PAUSE, cache lines, prefetch, MOVNTI, UD1 ---- */
{ "lfence", 64, "0faee8", 1, 2, 3, 4, MSTK, 5, 6, Z8, C_,
  1, 2, 3, 4, MSTK, 5, 6, Z8, C_, ALL_, -1, 0, 1 },
{ "mfence", 64, "0faef0", 1, 2, 3, 4, MSTK, 5, 6, Z8, Z_,
  1, 2, 3, 4, MSTK, 5, 6, Z8, Z_, ALL_, -1, 0, 1 },
{ "sfence", 64, "0faef8", 1, 2, 3, 4, MSTK, 5, 6, Z8, 0,
  1, 2, 3, 4, MSTK, 5, 6, Z8, 0, ALL_, -1, 0, 1 },
{ "pause", 64, "f390", 1, 2, 3, 4, MSTK, 5, 6, Z8, S_,
  1, 2, 3, 4, MSTK, 5, 6, Z8, S_, ALL_, -1, 0, 1 },
{ "lock lfence #UD", 64, "f00faee8", 0, 0, 0, 0, MSTK, 0, 0, Z8, 0,
  0, 0, 0, 0, MSTK, 0, 0, Z8, 0, ALL_, 6, 0, 1 },
{ "mfence without cpuid #UD", 64, "0faef0", 0, 0, 0, 0, MSTK, 0, 0, Z8, 0,
  0, 0, 0, 0, MSTK, 0, 0, Z8, 0, ALL_, 6, 1, 0 },
{ "clflush [rdi]", 64, "0fae3f", 0, 0, 0, 0, MSTK, 0, MC(0x10), M8(1, 2, 3, 4, 5, 6, 7, 8), 0,
  0, 0, 0, 0, MSTK, 0, MC(0x10), M8(1, 2, 3, 4, 5, 6, 7, 8), 0, ALL_, -1, 0, 1 },
{ "clflushopt [rdi]", 64, "660fae3f", 0, 0, 0, 0, MSTK, 0, MC(0x10), Z8, 0,
  0, 0, 0, 0, MSTK, 0, MC(0x10), Z8, 0, ALL_, -1, 0, 1 },
{ "clwb [rdi]", 64, "660fae37", 0, 0, 0, 0, MSTK, 0, MC(0x10), Z8, 0,
  0, 0, 0, 0, MSTK, 0, MC(0x10), Z8, 0, ALL_, -1, 0, 1 },
{ "clflush non-canonical #GP", 64, "0fae3f", 0, 0, 0, 0, MSTK, 0, 1ull << 63, Z8, 0,
  0, 0, 0, 0, MSTK, 0, 1ull << 63, Z8, 0, ALL_, 13, 0, 1 },
{ "clwb without cpuid #UD", 64, "660fae37", 0, 0, 0, 0, MSTK, 0, MC(0x10), Z8, 0,
  0, 0, 0, 0, MSTK, 0, MC(0x10), Z8, 0, ALL_, 6, 1, 0 },
{ "prefetcht0 non-canonical", 64, "0f180f", 0, 0, 0, 0, MSTK, 0, 1ull << 63, Z8, 0,
  0, 0, 0, 0, MSTK, 0, 1ull << 63, Z8, 0, ALL_, -1, 0, 1 },
{ "prefetchnta [rdi]", 64, "0f1807", 0, 0, 0, 0, MSTK, 0, MC(0), Z8, 0,
  0, 0, 0, 0, MSTK, 0, MC(0), Z8, 0, ALL_, -1, 0, 1 },
{ "prefetchw non-canonical", 64, "0f0d0f", 0, 0, 0, 0, MSTK, 0, 1ull << 63, Z8, 0,
  0, 0, 0, 0, MSTK, 0, 1ull << 63, Z8, 0, ALL_, -1, 0, 1 },
{ "movnti [rdi],rax", 64, "480fc307", 0x1122334455667788ull, 0, 0, 0, MSTK, 0, MC(0x08), Z8, 0,
  0x1122334455667788ull, 0, 0, 0, MSTK, 0, MC(0x08), M8(0, 0x1122334455667788ull, 0, 0, 0, 0, 0, 0),
  0, ALL_, -1, 0, 1 },
{ "ud1 eax,eax", 64, "0fb9c0", 0, 0, 0, 0, MSTK, 0, 0, Z8, 0,
  0, 0, 0, 0, MSTK, 0, 0, Z8, 0, ALL_, 6, 0, 1 },
/* ---- CRC32 (CRC-32C, no inversions) ---- */
{ "crc32 eax,cl", 64, "f20f38f0c1", 0, 0, 0x61, 0, MSTK, 0, 0, Z8, C_ | Z_,
  0x93ad1061ull, 0, 0x61, 0, MSTK, 0, 0, Z8, C_ | Z_, ALL_, -1, 0, 1 },
{ "crc32 rax,cl from ~0", 64, "f2480f38f0c1", ~0ull, 0, 0x61, 0, MSTK, 0, 0, Z8, 0,
  0x3e2fbccfull, 0, 0x61, 0, MSTK, 0, 0, Z8, 0, ALL_, -1, 0, 1 },
{ "crc32 eax,[rdi] dword", 64, "f20f38f107", 0xffffffff12345678ull, 0, 0, 0, MSTK, 0, MC(0),
  M8(0xdeadbeef, 0, 0, 0, 0, 0, 0, 0), S_,
  0xf3ed4b20ull, 0, 0, 0, MSTK, 0, MC(0), M8(0xdeadbeef, 0, 0, 0, 0, 0, 0, 0), S_, ALL_, -1, 0, 1 },
{ "crc32 rax,rcx qword", 64, "f2480f38f1c1", 0xffffffffull, 0, 0x0123456789abcdefull, 0, MSTK, 0, 0,
  Z8, 0, 0x9a4f27dcull, 0, 0x0123456789abcdefull, 0, MSTK, 0, 0, Z8, 0, ALL_, -1, 0, 1 },
/* The word form (result checked natively): Capstone 4 decodes 66 F2 0F 38
 * F1 but not F2 66 0F 38 F1, so the run loop's second decode puts the F2
 * back next to the opcode (order_prefixes). */
{ "crc32 eax,cx word", 64, "66f20f38f1c1", 1, 0, 0xffffffffffffbeefull, 0, MSTK, 0, 0, Z8, 0,
  0x91e9809bull, 0, 0xffffffffffffbeefull, 0, MSTK, 0, 0, Z8, 0, ALL_, -1, 0, 1 },
{ "crc32 without cpuid #UD", 64, "f20f38f0c1", 0, 0, 0x61, 0, MSTK, 0, 0, Z8, 0,
  0, 0, 0x61, 0, MSTK, 0, 0, Z8, 0, ALL_, 6, 1, 0 },
/* ---- XLAT ---- */
{ "xlatb", 64, "d7", 0x1122334455667703ull, MC(0), 0, 0, MSTK, 0, 0,
  M8(0x0807060504030201ull, 0, 0, 0, 0, 0, 0, 0), 0,
  0x1122334455667704ull, MC(0), 0, 0, MSTK, 0, 0,
  M8(0x0807060504030201ull, 0, 0, 0, 0, 0, 0, 0), 0, ALL_, -1, 0, 1 },
{ "xlatb al=0xff", 64, "d7", 0xffull, MC(0) - 0xf0, 0, 0, MSTK, 0, 0,
  M8(0, 0x00000000000000aaull << 56, 0, 0, 0, 0, 0, 0), 0,
  0xaaull, MC(0) - 0xf0, 0, 0, MSTK, 0, 0,
  M8(0, 0x00000000000000aaull << 56, 0, 0, 0, 0, 0, 0), 0, ALL_, -1, 0, 1 },
/* ---- 32-bit code: BCD ---- */
{ "aaa adjusts", 32, "37", 0x000f, 0, 0, 0, MSTK, 0, 0, Z8, 0,
  0x0105, 0, 0, 0, MSTK, 0, 0, Z8, C_ | A_, BCD_AA_, -1, 0, 1 },
{ "aaa al=fa carries into ah", 32, "37", 0x00fa, 0, 0, 0, MSTK, 0, 0, Z8, 0,
  0x0200, 0, 0, 0, MSTK, 0, 0, Z8, C_ | A_, BCD_AA_, -1, 0, 1 },
{ "aaa keeps", 32, "37", 0x12340305, 0, 0, 0, MSTK, 0, 0, Z8, C_,
  0x12340305, 0, 0, 0, MSTK, 0, 0, Z8, 0, BCD_AA_, -1, 0, 1 },
{ "aaa af set", 32, "37", 0x0002, 0, 0, 0, MSTK, 0, 0, Z8, A_,
  0x0108, 0, 0, 0, MSTK, 0, 0, Z8, C_ | A_, BCD_AA_, -1, 0, 1 },
{ "aas adjusts", 32, "3f", 0x0205, 0, 0, 0, MSTK, 0, 0, Z8, A_,
  0x000f, 0, 0, 0, MSTK, 0, 0, Z8, C_ | A_, BCD_AA_, -1, 0, 1 },
{ "aas ah=0 wraps", 32, "3f", 0x000b, 0, 0, 0, MSTK, 0, 0, Z8, 0,
  0xff05, 0, 0, 0, MSTK, 0, 0, Z8, C_ | A_, BCD_AA_, -1, 0, 1 },
{ "daa 79+35", 32, "27", 0x00ae, 0, 0, 0, MSTK, 0, 0, Z8, 0,
  0x0014, 0, 0, 0, MSTK, 0, 0, Z8, C_ | A_ | P_, BCD_DA_, -1, 0, 1 },
{ "daa keeps", 32, "27", 0x0045, 0, 0, 0, MSTK, 0, 0, Z8, 0,
  0x0045, 0, 0, 0, MSTK, 0, 0, Z8, 0, BCD_DA_, -1, 0, 1 },
{ "daa cf in", 32, "27", 0x0012, 0, 0, 0, MSTK, 0, 0, Z8, C_,
  0x0072, 0, 0, 0, MSTK, 0, 0, Z8, C_ | P_, BCD_DA_, -1, 0, 1 },
{ "das 35-47", 32, "2f", 0x00ee, 0, 0, 0, MSTK, 0, 0, Z8, C_ | A_,
  0x0088, 0, 0, 0, MSTK, 0, 0, Z8, C_ | A_ | S_ | P_, BCD_DA_, -1, 0, 1 },
{ "das first step borrows", 32, "2f", 0x0003, 0, 0, 0, MSTK, 0, 0, Z8, A_,
  0x00fd, 0, 0, 0, MSTK, 0, 0, Z8, C_ | A_ | S_, BCD_DA_, -1, 0, 1 },
{ "das zero", 32, "2f", 0x0000, 0, 0, 0, MSTK, 0, 0, Z8, 0,
  0x0000, 0, 0, 0, MSTK, 0, 0, Z8, Z_ | P_, BCD_DA_, -1, 0, 1 },
{ "aam 10", 32, "d40a", 0x004f, 0, 0, 0, MSTK, 0, 0, Z8, 0,
  0x0709, 0, 0, 0, MSTK, 0, 0, Z8, P_, BCD_AM_, -1, 0, 1 },
{ "aam 16 zero", 32, "d410", 0xff00, 0, 0, 0, MSTK, 0, 0, Z8, 0,
  0x0000, 0, 0, 0, MSTK, 0, 0, Z8, Z_ | P_, BCD_AM_, -1, 0, 1 },
{ "aam 0 #DE", 32, "d400", 0x004f, 0, 0, 0, MSTK, 0, 0, Z8, 0,
  0x004f, 0, 0, 0, MSTK, 0, 0, Z8, 0, ALL_, 0, 0, 1 },
{ "aad 10", 32, "d50a", 0x0709, 0, 0, 0, MSTK, 0, 0, Z8, 0,
  0x004f, 0, 0, 0, MSTK, 0, 0, Z8, 0, BCD_AM_, -1, 0, 1 },
{ "aad 16 wraps", 32, "d510", 0x12f3, 0, 0, 0, MSTK, 0, 0, Z8, 0,
  0x0013, 0, 0, 0, MSTK, 0, 0, Z8, 0, BCD_AM_, -1, 0, 1 },
/* SF, ZF and PF come from AL alone, whatever AH and EAX[31:16] hold
 * (KVM's emulator takes them from AX/EAX: found by fuzzing). */
{ "aad sf from al only", 32, "d50a", 0x80000008ull, 0, 0, 0, MSTK, 0, 0, Z8, S_,
  0x80000008ull, 0, 0, 0, MSTK, 0, 0, Z8, 0, BCD_AM_, -1, 0, 1 },
{ "aad sf set", 32, "d510", 0x0809, 0, 0, 0, MSTK, 0, 0, Z8, 0,
  0x0089, 0, 0, 0, MSTK, 0, 0, Z8, S_, BCD_AM_, -1, 0, 1 },
{ "aam zf from al only", 32, "d402", 0x10, 0, 0, 0, MSTK, 0, 0, Z8, 0,
  0x0800, 0, 0, 0, MSTK, 0, 0, Z8, Z_ | P_, BCD_AM_, -1, 0, 1 },
/* ---- 32-bit code: BOUND, XLAT, ENTER/LEAVE ---- */
{ "bound in range", 32, "6207", 5, 0, 0, 0, MSTK, 0, MC(0x10),
  M8(0, 0, 0x0000000a00000001ull, 0, 0, 0, 0, 0), 0,
  5, 0, 0, 0, MSTK, 0, MC(0x10), M8(0, 0, 0x0000000a00000001ull, 0, 0, 0, 0, 0), 0, ALL_, -1, 0, 1 },
{ "bound at upper", 32, "6207", 10, 0, 0, 0, MSTK, 0, MC(0x10),
  M8(0, 0, 0x0000000a00000001ull, 0, 0, 0, 0, 0), 0,
  10, 0, 0, 0, MSTK, 0, MC(0x10), M8(0, 0, 0x0000000a00000001ull, 0, 0, 0, 0, 0), 0, ALL_, -1, 0, 1 },
{ "bound above #BR", 32, "6207", 11, 0, 0, 0, MSTK, 0, MC(0x10),
  M8(0, 0, 0x0000000a00000001ull, 0, 0, 0, 0, 0), 0,
  11, 0, 0, 0, MSTK, 0, MC(0x10), M8(0, 0, 0x0000000a00000001ull, 0, 0, 0, 0, 0), 0, ALL_, 5, 0, 1 },
{ "bound signed", 32, "6207", 0xfffffffdull, 0, 0, 0, MSTK, 0, MC(0x10),
  M8(0, 0, 0xfffffffffffffffbull, 0, 0, 0, 0, 0), 0,
  0xfffffffdull, 0, 0, 0, MSTK, 0, MC(0x10), M8(0, 0, 0xfffffffffffffffbull, 0, 0, 0, 0, 0), 0,
  ALL_, -1, 0, 1 },
{ "bound o16 below #BR", 32, "666207", 0x0000ull, 0, 0, 0, MSTK, 0, MC(0x10),
  M8(0, 0, 0x0000000000050001ull, 0, 0, 0, 0, 0), 0,
  0, 0, 0, 0, MSTK, 0, MC(0x10), M8(0, 0, 0x0000000000050001ull, 0, 0, 0, 0, 0), 0, ALL_, 5, 0, 1 },
{ "xlatb 32", 32, "d7", 0x11223302ull, MC(0), 0, 0, MSTK, 0, 0,
  M8(0x0807060504030201ull, 0, 0, 0, 0, 0, 0, 0), 0,
  0x11223303ull, MC(0), 0, 0, MSTK, 0, 0,
  M8(0x0807060504030201ull, 0, 0, 0, 0, 0, 0, 0), 0, ALL_, -1, 0, 1 },
{ "enter 8,0 32", 32, "c8080000", 0, 0, 0, 0, MC(0x40), 0x11223344ull, 0, Z8, 0,
  0, 0, 0, 0, MC(0x34), MC(0x3c), 0, M8(0, 0, 0, 0, 0, 0, 0, 0x11223344ull << 32), 0,
  ALL_, -1, 0, 1 },
{ "enter 0,2 32", 32, "c8000002", 0, 0, 0, 0, MC(0x40), MC(0x20), 0,
  M8(0, 0, 0, 0x5555555500000000ull, 0, 0, 0, 0), 0,
  0, 0, 0, 0, MC(0x34), MC(0x3c), 0,
  M8(0, 0, 0, 0x5555555500000000ull, 0, 0, MC(0x3c) << 32, (MC(0x20) << 32) | 0x55555555ull), 0,
  ALL_, -1, 0, 1 },
{ "leave 32", 32, "c9", 0, 0, 0, 0, MC(0x08), MC(0x20), 0,
  M8(0, 0, 0, 0, 0xdeadbeefcafef00dull, 0, 0, 0), 0,
  0, 0, 0, 0, MC(0x24), 0xcafef00dull, 0, M8(0, 0, 0, 0, 0xdeadbeefcafef00dull, 0, 0, 0), 0,
  ALL_, -1, 0, 1 },
/* ---- 16-bit real mode (reference only: host = 0; worked by hand) ----
 * Every segment has base 0x10000, so the cell is DS:0x2100 and the
 * stack top SS:0x6000; registers hold offsets. */
{ "enter 8,0 real16", 16, "c8080000", 0, 0, 0, 0, 0x2140, 0x1234, 0, Z8, 0,
  0, 0, 0, 0, 0x2136, 0x213e, 0, M8(0, 0, 0, 0, 0, 0, 0, 0x1234ull << 48), 0, ALL_, -1, 0, 0 },
{ "enter 0,2 real16", 16, "c8000002", 0, 0, 0, 0, 0x2140, 0x2120, 0,
  M8(0, 0, 0, 0x5555ull << 48, 0, 0, 0, 0), 0,
  0, 0, 0, 0, 0x213a, 0x213e, 0,
  M8(0, 0, 0, 0x5555ull << 48, 0, 0, 0, (0x2120ull << 48) | (0x5555ull << 32) | (0x213eull << 16)),
  0, ALL_, -1, 0, 0 },
{ "leave real16", 16, "c9", 0, 0, 0, 0, 0x2108, 0x2120, 0,
  M8(0, 0, 0, 0, 0x1111cccc, 0, 0, 0), 0,
  0, 0, 0, 0, 0x2122, 0xcccc, 0, M8(0, 0, 0, 0, 0x1111cccc, 0, 0, 0), 0, ALL_, -1, 0, 0 },
{ "xlat real16", 16, "d7", 0x1105, 0x2100, 0, 0, 0x6000, 0, 0,
  M8(0x0807060504030201ull, 0, 0, 0, 0, 0, 0, 0), 0,
  0x1106, 0x2100, 0, 0, 0x6000, 0, 0, M8(0x0807060504030201ull, 0, 0, 0, 0, 0, 0, 0), 0,
  ALL_, -1, 0, 0 },
{ "bound real16 #BR", 16, "6207", 6, 0x2110, 0, 0, 0x6000, 0, 0,
  M8(0, 0, 0x00050001ull, 0, 0, 0, 0, 0), 0,
  6, 0x2110, 0, 0, 0x6000, 0, 0, M8(0, 0, 0x00050001ull, 0, 0, 0, 0, 0), 0, ALL_, 5, 0, 0 },
{ "bound real16 in range", 16, "6207", 5, 0x2110, 0, 0, 0x6000, 0, 0,
  M8(0, 0, 0x00050001ull, 0, 0, 0, 0, 0), 0,
  5, 0x2110, 0, 0, 0x6000, 0, 0, M8(0, 0, 0x00050001ull, 0, 0, 0, 0, 0), 0, ALL_, -1, 0, 0 },
{ "aam real16", 16, "d40a", 0x004f, 0, 0, 0, 0x6000, 0, 0, Z8, 0,
  0x0709, 0, 0, 0, 0x6000, 0, 0, Z8, P_, BCD_AM_, -1, 0, 0 },
{ "das real16", 16, "2f", 0x00ee, 0, 0, 0, 0x6000, 0, 0, Z8, C_ | A_,
  0x0088, 0, 0, 0, 0x6000, 0, 0, Z8, C_ | A_ | S_ | P_, BCD_DA_, -1, 0, 0 },
};

#define MISC_ROW_COUNT (sizeof(misc_rows) / sizeof(misc_rows[0]))

#endif
