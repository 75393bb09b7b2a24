/* Golden rows for the arithmetic/logic semantics: fixed inputs and the
 * outputs the architecture gives, derived by hand from the SDM (Vol. 1
 * 3.4.3, Vol. 2 "Flags Affected" of each instruction) and checked once
 * against a real CPU with tests/tools/alu_host_check.c, which runs every
 * row natively. The values are literals: nothing here is computed by the
 * code under test.
 *
 * Each row runs one instruction with RAX, RCX, RDX from the row, RBX
 * pointing at an 8-byte memory cell holding `mem`, and RFLAGS = fin. After
 * it: RAX, RCX, RDX, the cell, and the flags in `def` must match; `vec` is
 * -1, or the exception vector the instruction must raise (then nothing may
 * change). The flags outside `def` are exactly the ones the instruction
 * leaves undefined (the test checks that the reference marks them so). */
#ifndef EXITDIFF_TEST_REF_ALU_ROWS_H
#define EXITDIFF_TEST_REF_ALU_ROWS_H

#include <stdint.h>

#define C_ 0x001u
#define P_ 0x004u
#define A_ 0x010u
#define Z_ 0x040u
#define S_ 0x080u
#define D_ 0x400u
#define O_ 0x800u
#define ALL_  (C_ | P_ | A_ | Z_ | S_ | O_)
#define LOGIC_ (ALL_ & ~A_)         /* AND OR XOR TEST: AF undefined */
#define SH1_  (C_ | P_ | Z_ | S_ | O_) /* shift by 1: AF undefined */
#define SHN_  (C_ | P_ | Z_ | S_)     /* shift by >1: AF, OF undefined */
#define SHX_  (P_ | Z_ | S_)          /* SHL/SHR 8/16 count >= width: CF too */
#define ROTN_ (ALL_ & ~O_)            /* rotate by >1: OF undefined */
#define MUL_  (C_ | O_)               /* MUL/IMUL: SF ZF AF PF undefined */
#define DIV_  0u                      /* DIV/IDIV: all six undefined */
#define NOF_  ALL_                    /* no flag touched: all stay defined */

struct alu_row {
	const char *name;
	const char *code;                  /* instruction bytes, hex */
	uint64_t rax, rcx, rdx, mem;       /* inputs */
	uint32_t fin;                      /* input flags */
	uint64_t o_rax, o_rcx, o_rdx, o_mem; /* expected */
	uint32_t fout;                     /* expected flags (within def) */
	uint32_t def;                      /* flags defined after it */
	int vec;                           /* -1, or the exception vector */
};

#define M1 0xffffffffffffffffull
#define MIN64 0x8000000000000000ull

static const struct alu_row alu_rows[] = {
/* name                 code            rax                  rcx                  rdx                  mem                  fin    o_rax                o_rcx                o_rdx                o_mem                fout   def  vec */
/* ---- ADD ---- */
{ "add al,cl",          "00c8",         0x11223344556677ffull, 1, 0, 0,                                    0,     0x1122334455667700ull, 1, 0, 0,                                    C_|P_|A_|Z_, ALL_, -1 },
{ "add al,cl sf/of",    "00c8",         0x7f, 1, 0, 0,                                                     0,     0x80, 1, 0, 0,                                                     A_|S_|O_, ALL_, -1 },
{ "add al,cl af",       "00c8",         0x08, 0x08, 0, 0,                                                  0,     0x10, 0x08, 0, 0,                                                  A_, ALL_, -1 },
{ "add al,cl pf",       "00c8",         0x03, 0x03, 0, 0,                                                  ALL_,  0x06, 0x03, 0, 0,                                                  P_, ALL_, -1 },
{ "add ax,cx",          "6601c8",       0x7fff, 1, 0, 0,                                                   0,     0x8000, 1, 0, 0,                                                   P_|A_|S_|O_, ALL_, -1 },
{ "add eax,ecx",        "01c8",         M1, 1, 0, 0,                                                       0,     0, 1, 0, 0,                                                        C_|P_|A_|Z_, ALL_, -1 },
{ "add rax,rcx",        "4801c8",       MIN64, MIN64, 0, 0,                                                0,     0, MIN64, 0, 0,                                                    C_|P_|Z_|O_, ALL_, -1 },
{ "add rax,-1 (imm8)",  "4883c0ff",     1, 0, 0, 0,                                                        0,     0, 0, 0, 0,                                                        C_|P_|A_|Z_, ALL_, -1 },
{ "add al,0x80",        "0480",         0x80, 0, 0, 0,                                                     0,     0, 0, 0, 0,                                                        C_|P_|Z_|O_, ALL_, -1 },
{ "add eax,0x80000000", "0500000080",   0xaaaaaaaa80000000ull, 0, 0, 0,                                    0,     0, 0, 0, 0,                                                        C_|P_|Z_|O_, ALL_, -1 },
{ "add [rbx],ecx",      "010b",         0, 3, 0, 0xdeadbeeffffffffeull,                                    0,     0, 3, 0, 0xdeadbeef00000001ull,                                    C_|A_, ALL_, -1 },
{ "add ecx,[rbx]",      "030b",         0, 0xffffffff00000005ull, 0, 0x7ffffffbull,                        0,     0, 0x80000000ull, 0, 0x7ffffffbull,                                P_|A_|S_|O_, ALL_, -1 },
{ "add qword [rbx],1",  "48830301",     0, 0, 0, M1,                                                       0,     0, 0, 0, 0,                                                        C_|P_|A_|Z_, ALL_, -1 },
{ "lock add [rbx],ecx", "f0010b",       0, 1, 0, 1,                                                        0,     0, 1, 0, 2,                                                        0, ALL_, -1 },
/* ---- ADC ---- */
{ "adc al,cl cf=1",     "10c8",         0xfe, 1, 0, 0,                                                     C_,    0, 1, 0, 0,                                                        C_|P_|A_|Z_, ALL_, -1 },
{ "adc eax,ecx cf=1",   "11c8",         0x7fffffff, 0, 0, 0,                                               C_,    0x80000000ull, 0, 0, 0,                                            P_|A_|S_|O_, ALL_, -1 },
{ "adc rax,rcx cf=1",   "4811c8",       M1, M1, 0, 0,                                                      C_,    M1, M1, 0, 0,                                                      C_|P_|A_|S_, ALL_, -1 },
{ "adc ax,0 cf=0",      "6683d000",     0x1234, 0, 0, 0,                                                   P_|A_|Z_|S_|O_, 0x1234, 0, 0, 0,                                          0, ALL_, -1 },
/* ---- SUB ---- */
{ "sub al,cl",          "28c8",         0, 1, 0, 0,                                                        0,     0xff, 1, 0, 0,                                                     C_|P_|A_|S_, ALL_, -1 },
{ "sub al,cl of",       "28c8",         0x80, 1, 0, 0,                                                     0,     0x7f, 1, 0, 0,                                                     A_|O_, ALL_, -1 },
{ "sub ax,cx",          "6629c8",       0x8000, 1, 0, 0,                                                   0,     0x7fff, 1, 0, 0,                                                   P_|A_|O_, ALL_, -1 },
{ "sub eax,ecx",        "29c8",         0xffffffff00000005ull, 5, 0, 0,                                    0,     0, 5, 0, 0,                                                        P_|Z_, ALL_, -1 },
{ "sub rax,rcx",        "4829c8",       0, MIN64, 0, 0,                                                    0,     MIN64, MIN64, 0, 0,                                                C_|P_|S_|O_, ALL_, -1 },
{ "sub rax,0x7fffffff", "482dffffff7f", 0x7fffffff, 0, 0, 0,                                               0,     0, 0, 0, 0,                                                        P_|Z_, ALL_, -1 },
{ "sub [rbx],cl",       "280b",         0, 0x20, 0, 0x1122334455667710ull,                                 0,     0, 0x20, 0, 0x11223344556677f0ull,                                 C_|P_|S_, ALL_, -1 },
/* ---- SBB ---- */
{ "sbb al,cl cf=1",     "18c8",         0, 0, 0, 0,                                                        C_,    0xff, 0, 0, 0,                                                     C_|P_|A_|S_, ALL_, -1 },
{ "sbb eax,ecx cf=1",   "19c8",         0x80000000ull, 0, 0, 0,                                            C_,    0x7fffffff, 0, 0, 0,                                               P_|A_|O_, ALL_, -1 },
{ "sbb rax,rcx cf=0",   "4819c8",       5, 5, 0, 0,                                                        S_|O_|A_, 0, 5, 0, 0,                                                     P_|Z_, ALL_, -1 },
{ "sbb rax,rcx cf=1",   "4819c8",       5, 4, 0, 0,                                                        C_,    0, 4, 0, 0,                                                        P_|Z_, ALL_, -1 },
/* ---- CMP ---- */
{ "cmp al,cl",          "38c8",         1, 2, 0, 0,                                                        0,     1, 2, 0, 0,                                                        C_|P_|A_|S_, ALL_, -1 },
{ "cmp eax,ecx",        "39c8",         0xffffffff00000001ull, 1, 0, 0,                                    0,     0xffffffff00000001ull, 1, 0, 0,                                    P_|Z_, ALL_, -1 },
{ "cmp rax,-1",         "4883f8ff",     0x7fffffffffffffffull, 0, 0, 0,                                    0,     0x7fffffffffffffffull, 0, 0, 0,                                    C_|P_|S_|O_, ALL_, -1 },
{ "cmp qword [rbx],rcx","48390b",       0, 3, 0, 3,                                                        0,     0, 3, 0, 3,                                                        P_|Z_, ALL_, -1 },
/* ---- AND OR XOR TEST ---- */
{ "and al,cl",          "20c8",         0xf0, 0x3c, 0, 0,                                                  C_|O_|S_|Z_, 0x30, 0x3c, 0, 0,                                            P_, LOGIC_, -1 },
{ "and eax,ecx",        "21c8",         M1, 0x80000000ull, 0, 0,                                           0,     0x80000000ull, 0x80000000ull, 0, 0,                                P_|S_, LOGIC_, -1 },
{ "and rax,-16 (imm8)", "4883e0f0",     0xffffffffffffff0full, 0, 0, 0,                                    0,     0xffffffffffffff00ull, 0, 0, 0,                                    P_|S_, LOGIC_, -1 },
{ "or al,0x80",         "0c80",         0, 0, 0, 0,                                                        C_|O_, 0x80, 0, 0, 0,                                                     S_, LOGIC_, -1 },
{ "or eax,ecx",         "09c8",         0xffffffff00000000ull, 0, 0, 0,                                    0,     0, 0, 0, 0,                                                        P_|Z_, LOGIC_, -1 },
{ "xor eax,eax",        "31c0",         0x123456789abcdef0ull, 0, 0, 0,                                    0,     0, 0, 0, 0,                                                        P_|Z_, LOGIC_, -1 },
{ "xor ax,cx",          "6631c8",       0xaaaaaaaaaaaa00ffull, 0x0f0f, 0, 0,                               0,     0xaaaaaaaaaaaa0ff0ull, 0x0f0f, 0, 0,                               P_, LOGIC_, -1 },
{ "xor [rbx],rcx",      "48310b",       0, 0x0f, 0, M1,                                                    0,     0, 0x0f, 0, 0xfffffffffffffff0ull,                                 P_|S_, LOGIC_, -1 },
{ "test al,cl",         "84c8",         0x81, 0x80, 0, 0,                                                  C_|O_, 0x81, 0x80, 0, 0,                                                  S_, LOGIC_, -1 },
{ "test rax,rcx",       "4885c8",       0xf0, 0x0f, 0, 0,                                                  0,     0xf0, 0x0f, 0, 0,                                                  P_|Z_, LOGIC_, -1 },
{ "test byte [rbx],1",  "f60301",       0, 0, 0, 0xfe,                                                     0,     0, 0, 0, 0xfe,                                                     P_|Z_, LOGIC_, -1 },
/* ---- INC DEC (CF kept) ---- */
{ "inc al",             "fec0",         0xff, 0, 0, 0,                                                     0,     0, 0, 0, 0,                                                        P_|A_|Z_, ALL_, -1 },
{ "inc al cf kept",     "fec0",         0x7f, 0, 0, 0,                                                     C_,    0x80, 0, 0, 0,                                                     C_|A_|S_|O_, ALL_, -1 },
{ "inc eax",            "ffc0",         M1, 0, 0, 0,                                                       0,     0, 0, 0, 0,                                                        P_|A_|Z_, ALL_, -1 },
{ "inc rax",            "48ffc0",       0x7fffffffffffffffull, 0, 0, 0,                                    0,     MIN64, 0, 0, 0,                                                    P_|A_|S_|O_, ALL_, -1 },
{ "dec al cf kept",     "fec8",         0, 0, 0, 0,                                                        C_,    0xff, 0, 0, 0,                                                     C_|P_|A_|S_, ALL_, -1 },
{ "dec rax",            "48ffc8",       MIN64, 0, 0, 0,                                                    0,     0x7fffffffffffffffull, 0, 0, 0,                                    P_|A_|O_, ALL_, -1 },
{ "dec cx",             "66ffc9",       0, 0x7777000000000001ull, 0, 0,                                    0,     0, 0x7777000000000000ull, 0, 0,                                    P_|Z_, ALL_, -1 },
{ "inc dword [rbx]",    "ff03",         0, 0, 0, 0x7fffffffull,                                            0,     0, 0, 0, 0x80000000ull,                                            P_|A_|S_|O_, ALL_, -1 },
/* ---- NEG NOT ---- */
{ "neg al 0",           "f6d8",         0, 0, 0, 0,                                                        C_,    0, 0, 0, 0,                                                        P_|Z_, ALL_, -1 },
{ "neg al 1",           "f6d8",         1, 0, 0, 0,                                                        0,     0xff, 0, 0, 0,                                                     C_|P_|A_|S_, ALL_, -1 },
{ "neg al 0x80",        "f6d8",         0x80, 0, 0, 0,                                                     0,     0x80, 0, 0, 0,                                                     C_|S_|O_, ALL_, -1 },
{ "neg eax",            "f7d8",         0xffffffff00000010ull, 0, 0, 0,                                    0,     0xfffffff0ull, 0, 0, 0,                                            C_|P_|S_, ALL_, -1 },
{ "neg rax min",        "48f7d8",       MIN64, 0, 0, 0,                                                    0,     MIN64, 0, 0, 0,                                                    C_|P_|S_|O_, ALL_, -1 },
{ "neg word [rbx]",     "66f71b",       0, 0, 0, 1,                                                        0,     0, 0, 0, 0xffff,                                                   C_|P_|A_|S_, ALL_, -1 },
{ "not al",             "f6d0",         0x1200, 0, 0, 0,                                                   C_|Z_, 0x12ff, 0, 0, 0,                                                   C_|Z_, NOF_, -1 },
{ "not eax",            "f7d0",         0xffffffff0000ffffull, 0, 0, 0,                                    0,     0xffff0000ull, 0, 0, 0,                                            0, NOF_, -1 },
{ "not rax",            "48f7d0",       0, 0, 0, 0,                                                        S_|O_, M1, 0, 0, 0,                                                       S_|O_, NOF_, -1 },
{ "not qword [rbx]",    "48f713",       0, 0, 0, 0x0123456789abcdefull,                                    0,     0, 0, 0, 0xfedcba9876543210ull,                                    0, NOF_, -1 },
/* ---- SHL/SAL ---- */
{ "shl al,1",           "d0e0",         0x81, 0, 0, 0,                                                     0,     0x02, 0, 0, 0,                                                     C_|O_, SH1_, -1 },
{ "shl al,1 of",        "d0e0",         0x40, 0, 0, 0,                                                     C_,    0x80, 0, 0, 0,                                                     S_|O_, SH1_, -1 },
{ "shl eax,cl 0",       "d3e0",         0xffffffff12345678ull, 0, 0, 0,                                    ALL_,  0x12345678ull, 0, 0, 0,                                            ALL_, NOF_, -1 },
{ "shl eax,cl 31",      "d3e0",         3, 31, 0, 0,                                                       0,     0x80000000ull, 31, 0, 0,                                           C_|P_|S_, SHN_, -1 },
{ "shl eax,cl 32=0",    "d3e0",         1, 32, 0, 0,                                                       C_|O_, 1, 32, 0, 0,                                                       C_|O_, NOF_, -1 },
{ "shl eax,cl 33=1",    "d3e0",         0x80000001ull, 33, 0, 0,                                           0,     2, 33, 0, 0,                                                       C_|O_, SH1_, -1 },
{ "shl rax,cl 63",      "48d3e0",       1, 63, 0, 0,                                                       C_,    MIN64, 63, 0, 0,                                                   P_|S_, SHN_, -1 },
{ "shl rax,cl 64=0",    "48d3e0",       0x1234, 64, 0, 0,                                                  0,     0x1234, 64, 0, 0,                                                  0, NOF_, -1 },
{ "shl al,cl 7",        "d2e0",         3, 7, 0, 0,                                                        0,     0x80, 7, 0, 0,                                                     C_|S_, SHN_, -1 },
{ "shl al,cl 8",        "d2e0",         1, 8, 0, 0,                                                        0,     0, 8, 0, 0,                                                        P_|Z_, SHX_, -1 },
{ "shl ax,cl 16",       "66d3e0",       0x111111111111ffffull, 16, 0, 0,                                   0,     0x1111111111110000ull, 16, 0, 0,                                   P_|Z_, SHX_, -1 },
{ "shl ax,cl 20",       "66d3e0",       0xffff, 20, 0, 0,                                                  0,     0, 20, 0, 0,                                                       P_|Z_, SHX_, -1 },
{ "shl rax,1 (imm)",    "48c1e001",     0xc000000000000000ull, 0, 0, 0,                                    0,     MIN64, 0, 0, 0,                                                    C_|P_|S_, SH1_, -1 },
{ "sal al,1 (d0 /6)",   "d0f0",         0x80, 0, 0, 0,                                                     0,     0, 0, 0, 0,                                                        C_|P_|Z_|O_, SH1_, -1 },
{ "shl dword [rbx],cl", "d323",         0, 4, 0, 0xdeadbeef12345678ull,                                    0,     0, 4, 0, 0xdeadbeef23456780ull,                                    C_, SHN_, -1 },
/* ---- SHR ---- */
{ "shr al,1",           "d0e8",         0x81, 0, 0, 0,                                                     0,     0x40, 0, 0, 0,                                                     C_|O_, SH1_, -1 },
{ "shr eax,cl 31",      "d3e8",         0x80000000ull, 31, 0, 0,                                           0,     1, 31, 0, 0,                                                       0, SHN_, -1 },
{ "shr rax,cl 63",      "48d3e8",       MIN64, 63, 0, 0,                                                   0,     1, 63, 0, 0,                                                       0, SHN_, -1 },
{ "shr al,cl 9",        "d2e8",         0xff, 9, 0, 0,                                                     0,     0, 9, 0, 0,                                                        P_|Z_, SHX_, -1 },
{ "shr ax,1",           "66d1e8",       1, 0, 0, 0,                                                        0,     0, 0, 0, 0,                                                        C_|P_|Z_, SH1_, -1 },
{ "shr rax,4 (imm)",    "48c1e804",     0xfffffffffffffff8ull, 0, 0, 0,                                    0,     0x0fffffffffffffffull, 0, 0, 0,                                    C_|P_, SHN_, -1 },
/* ---- SAR ---- */
{ "sar al,1",           "d0f8",         0x81, 0, 0, 0,                                                     O_,    0xc0, 0, 0, 0,                                                     C_|P_|S_, SH1_, -1 },
{ "sar al,cl 9",        "d2f8",         0x80, 9, 0, 0,                                                     0,     0xff, 9, 0, 0,                                                     C_|P_|S_, SHN_, -1 },
{ "sar eax,cl 31",      "d3f8",         0x80000000ull, 31, 0, 0,                                           0,     0xffffffffull, 31, 0, 0,                                           P_|S_, SHN_, -1 },
{ "sar rax,cl 63",      "48d3f8",       0x7fffffffffffffffull, 63, 0, 0,                                   0,     0, 63, 0, 0,                                                       C_|P_|Z_, SHN_, -1 },
{ "sar ax,cl 16",       "66d3f8",       0x8000, 16, 0, 0,                                                  0,     0xffff, 16, 0, 0,                                                  C_|P_|S_, SHN_, -1 },
{ "sar ax,cl 0",        "66d3f8",       0x8000, 0, 0, 0,                                                   Z_|A_, 0x8000, 0, 0, 0,                                                   Z_|A_, NOF_, -1 },
/* ---- ROL ROR ---- */
{ "rol al,1",           "d0c0",         0x81, 0, 0, 0,                                                     Z_|S_, 0x03, 0, 0, 0,                                                     C_|O_|Z_|S_, ALL_, -1 },
{ "rol al,cl 8",        "d2c0",         0x81, 8, 0, 0,                                                     0,     0x81, 8, 0, 0,                                                     C_, ROTN_, -1 },
{ "rol al,cl 9",        "d2c0",         0x81, 9, 0, 0,                                                     0,     0x03, 9, 0, 0,                                                     C_, ROTN_, -1 },
{ "rol eax,cl 32=0",    "d3c0",         0xffffffff80000001ull, 32, 0, 0,                                   O_,    0x80000001ull, 32, 0, 0,                                           O_, NOF_, -1 },
{ "rol rax,cl 63",      "48d3c0",       1, 63, 0, 0,                                                       C_,    MIN64, 63, 0, 0,                                                   0, ROTN_, -1 },
{ "rol ax,1",           "66d1c0",       0x4000, 0, 0, 0,                                                   0,     0x8000, 0, 0, 0,                                                   O_, ALL_, -1 },
{ "rol rax,4 (imm)",    "48c1c004",     0xf000000000000000ull, 0, 0, 0,                                    0,     0x0f, 0, 0, 0,                                                     C_, ROTN_, -1 },
{ "ror al,1",           "d0c8",         1, 0, 0, 0,                                                        0,     0x80, 0, 0, 0,                                                     C_|O_, ALL_, -1 },
{ "ror al,1 of=0",      "d0c8",         0x81, 0, 0, 0,                                                     O_,    0xc0, 0, 0, 0,                                                     C_, ALL_, -1 },
{ "ror al,1 clears",    "d0c8",         2, 0, 0, 0,                                                        C_|O_, 1, 0, 0, 0,                                                        0, ALL_, -1 },
{ "ror eax,cl 4",       "d3c8",         0x0f, 4, 0, 0,                                                     0,     0xf0000000ull, 4, 0, 0,                                            C_, ROTN_, -1 },
{ "ror rax,cl 1",       "48d3c8",       1, 1, 0, 0,                                                        0,     MIN64, 1, 0, 0,                                                    C_|O_, ALL_, -1 },
{ "ror ax,cl 16",       "66d3c8",       0x8001, 16, 0, 0,                                                  0,     0x8001, 16, 0, 0,                                                  C_, ROTN_, -1 },
/* ---- RCL RCR ---- */
{ "rcl al,1",           "d0d0",         0x80, 0, 0, 0,                                                     0,     0, 0, 0, 0,                                                        C_|O_, ALL_, -1 },
{ "rcl al,1 cf in",     "d0d0",         1, 0, 0, 0,                                                        C_,    3, 0, 0, 0,                                                        0, ALL_, -1 },
{ "rcl al,cl 9=0",      "d2d0",         0x55, 9, 0, 0,                                                     C_,    0x55, 9, 0, 0,                                                     C_, ROTN_, -1 },
{ "rcl al,cl 8",        "d2d0",         1, 8, 0, 0,                                                        0,     0, 8, 0, 0,                                                        C_, ROTN_, -1 },
{ "rcl eax,cl 31",      "d3d0",         1, 31, 0, 0,                                                       C_,    0xc0000000ull, 31, 0, 0,                                           0, ROTN_, -1 },
{ "rcl rax,cl 1",       "48d3d0",       MIN64, 1, 0, 0,                                                    C_,    1, 1, 0, 0,                                                        C_|O_, ALL_, -1 },
{ "rcl ax,cl 17=0",     "66d3d0",       0x1234, 17, 0, 0,                                                  0,     0x1234, 17, 0, 0,                                                  0, ROTN_, -1 },
{ "rcr al,1",           "d0d8",         1, 0, 0, 0,                                                        C_,    0x80, 0, 0, 0,                                                     C_|O_, ALL_, -1 },
{ "rcr eax,1",          "d1d8",         0x80000000ull, 0, 0, 0,                                            0,     0x40000000ull, 0, 0, 0,                                            O_, ALL_, -1 },
{ "rcr rax,cl 64=0",    "48d3d8",       5, 64, 0, 0,                                                       C_,    5, 64, 0, 0,                                                       C_, NOF_, -1 },
{ "rcr al,cl 2",        "d2d8",         1, 2, 0, 0,                                                        0,     0x80, 2, 0, 0,                                                     0, ROTN_, -1 },
/* ---- MUL ---- */
{ "mul cl",             "f6e1",         0xffffffffffff0010ull, 0x10, 0, 0,                                 0,     0xffffffffffff0100ull, 0x10, 0, 0,                                 C_|O_, MUL_, -1 },
{ "mul cl no carry",    "f6e1",         0x0f, 0x11, 0, 0,                                                  C_|O_, 0xff, 0x11, 0, 0,                                                  0, MUL_, -1 },
{ "mul cx",             "66f7e1",       0xffff, 0xffff, 0x1111111111111111ull, 0,                          0,     1, 0xffff, 0x111111111111fffeull, 0,                               C_|O_, MUL_, -1 },
{ "mul ecx",            "f7e1",         0xffffffff80000000ull, 2, M1, 0,                                   0,     0, 2, 1, 0,                                                        C_|O_, MUL_, -1 },
{ "mul rcx",            "48f7e1",       M1, M1, 0, 0,                                                      0,     1, M1, 0xfffffffffffffffeull, 0,                                   C_|O_, MUL_, -1 },
{ "mul rcx small",      "48f7e1",       3, 5, 0x99, 0,                                                     C_|O_, 15, 5, 0, 0,                                                       0, MUL_, -1 },
/* ---- IMUL ---- */
{ "imul cl ovf",        "f6e9",         0x80, 0xff, 0, 0,                                                  0,     0x80, 0xff, 0, 0,                                                  C_|O_, MUL_, -1 },
{ "imul cl fits",       "f6e9",         0xff, 2, 0, 0,                                                     C_|O_, 0xfffe, 2, 0, 0,                                                   0, MUL_, -1 },
{ "imul ecx",           "f7e9",         0x80000000ull, 0xffffffffull, M1, 0,                               0,     0x80000000ull, 0xffffffffull, 0, 0,                                C_|O_, MUL_, -1 },
{ "imul rcx -1*-1",     "48f7e9",       M1, M1, 5, 0,                                                      0,     1, M1, 0, 0,                                                       0, MUL_, -1 },
{ "imul eax,ecx",       "0fafc1",       0xffffffff00010000ull, 0x10000, 0, 0,                              0,     0, 0x10000, 0, 0,                                                  C_|O_, MUL_, -1 },
{ "imul rax,rcx",       "480fafc1",     0x4000000000000000ull, 2, 0, 0,                                    0,     MIN64, 2, 0, 0,                                                    C_|O_, MUL_, -1 },
{ "imul ax,cx,-1",      "666bc1ff",     0x1111, 0x8000, 0, 0,                                              0,     0x8000, 0x8000, 0, 0,                                              C_|O_, MUL_, -1 },
{ "imul eax,ecx,0x10000","69c100000100",0, 0x7fff, 0, 0,                                                   0,     0x7fff0000ull, 0x7fff, 0, 0,                                       0, MUL_, -1 },
{ "imul rax,[rbx],3",   "486b0303",     0, 0, 0, 0x2aaaaaaaaaaaaaabull,                                    0,     0x8000000000000001ull, 0, 0, 0x2aaaaaaaaaaaaaabull,                C_|O_, MUL_, -1 },
/* ---- DIV IDIV ---- */
{ "div cl",             "f6f1",         0xaaaaaaaaaaaa0100ull, 0x10, 0, 0,                                 0,     0xaaaaaaaaaaaa0010ull, 0x10, 0, 0,                                 0, DIV_, -1 },
{ "div cl by 0",        "f6f1",         0x0100, 0, 0, 0,                                                   C_|Z_, 0x0100, 0, 0, 0,                                                   C_|Z_, NOF_, 0 },
{ "div cl overflow",    "f6f1",         0x1000, 0x10, 0, 0,                                                0,     0x1000, 0x10, 0, 0,                                                0, NOF_, 0 },
{ "div cx",             "66f7f1",       0, 3, 1, 0,                                                        0,     0x5555, 3, 1, 0,                                                   0, DIV_, -1 },
{ "div ecx",            "f7f1",         0xffffffff00000007ull, 2, 0xffffffff00000000ull, 0,                0,     3, 2, 1, 0,                                                        0, DIV_, -1 },
{ "div rcx",            "48f7f1",       0, 2, 1, 0,                                                        0,     MIN64, 2, 0, 0,                                                    0, DIV_, -1 },
{ "div rcx overflow",   "48f7f1",       0, 2, 2, 0,                                                        0,     0, 2, 2, 0,                                                        0, NOF_, 0 },
{ "div byte [rbx] by 0","f633",         0x1234, 0, 0, 0,                                                   0,     0x1234, 0, 0, 0,                                                   0, NOF_, 0 },
{ "idiv cl -128/-1",    "f6f9",         0xff80, 0xff, 0, 0,                                                0,     0xff80, 0xff, 0, 0,                                                0, NOF_, 0 },
{ "idiv cl -7/2",       "f6f9",         0xfff9, 2, 0, 0,                                                   0,     0xfffd, 2, 0, 0,                                                   0, DIV_, -1 },
{ "idiv cl -256/2",     "f6f9",         0xff00, 2, 0, 0,                                                   0,     0x0080, 2, 0, 0,                                                   0, DIV_, -1 },
{ "idiv ecx min/-1",    "f7f9",         0x80000000ull, 0xffffffffull, 0xffffffffull, 0,                    0,     0x80000000ull, 0xffffffffull, 0xffffffffull, 0,                    0, NOF_, 0 },
{ "idiv rcx min64/-1",  "48f7f9",       MIN64, M1, M1, 0,                                                  0,     MIN64, M1, M1, 0,                                                  0, NOF_, 0 },
{ "idiv rcx min128/-1", "48f7f9",       0, M1, MIN64, 0,                                                   0,     0, M1, MIN64, 0,                                                   0, NOF_, 0 },
{ "idiv rcx 100/-7",    "48f7f9",       100, 0xfffffffffffffff9ull, 0, 0,                                  0,     0xfffffffffffffff2ull, 0xfffffffffffffff9ull, 2, 0,                0, DIV_, -1 },
/* ---- SETcc ---- */
{ "sete al",            "0f94c0",       0xffff, 0, 0, 0,                                                   Z_,    0xff01, 0, 0, 0,                                                   Z_, NOF_, -1 },
{ "setne al",           "0f95c0",       0xffff, 0, 0, 0,                                                   Z_,    0xff00, 0, 0, 0,                                                   Z_, NOF_, -1 },
{ "setl cl",            "0f9cc1",       0, 0, 0, 0,                                                        S_,    0, 1, 0, 0,                                                        S_, NOF_, -1 },
{ "setg cl",            "0f9fc1",       0, 0, 0, 0,                                                        S_|O_, 0, 1, 0, 0,                                                        S_|O_, NOF_, -1 },
{ "setbe byte [rbx]",   "0f9603",       0, 0, 0, M1,                                                       0,     0, 0, 0, 0xffffffffffffff00ull,                                    0, NOF_, -1 },
{ "setp al",            "0f9ac0",       0, 0, 0, 0,                                                        P_,    1, 0, 0, 0,                                                        P_, NOF_, -1 },
{ "seto al",            "0f90c0",       0x55, 0, 0, 0,                                                     0,     0, 0, 0, 0,                                                        0, NOF_, -1 },
{ "seta al",            "0f97c0",       0, 0, 0, 0,                                                        0,     1, 0, 0, 0,                                                        0, NOF_, -1 },
{ "setle al",           "0f9ec0",       0, 0, 0, 0,                                                        S_,    1, 0, 0, 0,                                                        S_, NOF_, -1 },
/* ---- CMOVcc ---- */
{ "cmove eax,ecx false","0f44c1",       0xffffffff12345678ull, 0x1111111190abcdefull, 0, 0,                0,     0x12345678ull, 0x1111111190abcdefull, 0, 0,                        0, NOF_, -1 },
{ "cmove eax,ecx true", "0f44c1",       0xffffffff12345678ull, 0x1111111190abcdefull, 0, 0,                Z_,    0x90abcdefull, 0x1111111190abcdefull, 0, 0,                        Z_, NOF_, -1 },
{ "cmovne rax,rcx false","480f45c1",    0xffffffff12345678ull, 7, 0, 0,                                    Z_,    0xffffffff12345678ull, 7, 0, 0,                                    Z_, NOF_, -1 },
{ "cmovne ax,cx true",  "660f45c1",     M1, 0x1234, 0, 0,                                                  0,     0xffffffffffff1234ull, 0x1234, 0, 0,                               0, NOF_, -1 },
{ "cmovb ax,cx false",  "660f42c1",     M1, 0x1234, 0, 0,                                                  0,     M1, 0x1234, 0, 0,                                                  0, NOF_, -1 },
{ "cmovge rax,[rbx]",   "480f4d03",     0, 0, 0, 0x0123456789abcdefull,                                    S_|O_, 0x0123456789abcdefull, 0, 0, 0x0123456789abcdefull,               S_|O_, NOF_, -1 },
/* ---- flag instructions ---- */
{ "clc",                "f8",           0, 0, 0, 0,                                                        C_|Z_, 0, 0, 0, 0,                                                        Z_, NOF_ | D_, -1 },
{ "stc",                "f9",           0, 0, 0, 0,                                                        0,     0, 0, 0, 0,                                                        C_, NOF_ | D_, -1 },
{ "cmc 1",              "f5",           0, 0, 0, 0,                                                        C_,    0, 0, 0, 0,                                                        0, NOF_ | D_, -1 },
{ "cmc 0",              "f5",           0, 0, 0, 0,                                                        P_,    0, 0, 0, 0,                                                        C_|P_, NOF_ | D_, -1 },
{ "std",                "fd",           0, 0, 0, 0,                                                        0,     0, 0, 0, 0,                                                        D_, NOF_ | D_, -1 },
{ "cld",                "fc",           0, 0, 0, 0,                                                        D_|C_, 0, 0, 0, 0,                                                        C_, NOF_ | D_, -1 },
/* ---- sign extensions ---- */
{ "cbw",                "6698",         0x1234567812345680ull, 0, 0, 0,                                    0,     0x123456781234ff80ull, 0, 0, 0,                                    0, NOF_, -1 },
{ "cwde",               "98",           0x1234567800008000ull, 0, 0, 0,                                    0,     0xffff8000ull, 0, 0, 0,                                            0, NOF_, -1 },
{ "cdqe",               "4898",         0x80000000ull, 0, 0, 0,                                            0,     0xffffffff80000000ull, 0, 0, 0,                                    0, NOF_, -1 },
{ "cwd",                "6699",         0x8000, 0, 0x1111111111110000ull, 0,                               0,     0x8000, 0, 0x111111111111ffffull, 0,                               0, NOF_, -1 },
{ "cdq",                "99",           0x7fffffff, 0, M1, 0,                                              0,     0x7fffffff, 0, 0, 0,                                               0, NOF_, -1 },
{ "cqo",                "4899",         MIN64, 0, 0, 0,                                                    0,     MIN64, 0, M1, 0,                                                   0, NOF_, -1 },
};

#define ALU_ROW_COUNT (sizeof(alu_rows) / sizeof(alu_rows[0]))

#endif
