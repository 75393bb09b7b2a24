/* decode/decode.h: an instruction is decoded in the code size of the case's
 * mode, and Capstone 4's slips are put right the same way for every user.
 * Lengths and names from the SDM: B8 iw/id (Vol. 2B MOV), 40-4F as INC/DEC
 * outside 64-bit mode and REX in it (Vol. 2A 2.2.1), CBW/CWDE (Vol. 2A),
 * TZCNT (Vol. 2B), RDPID (Vol. 2B), POPCNT (Vol. 2B), prefix order (Vol. 2A
 * 2.1.1). */
#include <string.h>
#include "check.h"
#include "decode.h"

static struct dec dec;

/* Decodes hex bytes in mode; checks the length and, when name is given,
 * the mnemonic. */
static void one(enum cpu_mode mode, const uint8_t *b, unsigned n, unsigned want_len,
		const char *name, const char *what)
{
	unsigned got = dec_one(&dec, dec_bits(mode), b, n, 0x10000, NULL);
	const char *m = got ? dec.insn->mnemonic : "(none)";
	CHECK(got == want_len && (!name || !strcmp(m, name)),
	      "%s in %s: length %u, %s (wanted %u%s%s)", what, mode_name(mode), got, m,
	      want_len, name ? ", " : "", name ? name : "");
}

int main(void)
{
	char err[160];
	if (dec_open(&dec, err, sizeof(err)) < 0) {
		printf("FAILED: %s\n", err);
		return 1;
	}
	CHECK(dec_bits(MODE_LONG64) == 64 && dec_bits(MODE_PROT32) == 32 &&
	      dec_bits(MODE_PROT32PG) == 32 && dec_bits(MODE_REAL16) == 16,
	      "code sizes: long64 64, prot32 and prot32-paged 32, real16 16");

	static const uint8_t mov[] = { 0xb8, 0x34, 0x12, 0x00, 0x00 };
	one(MODE_REAL16, mov, sizeof(mov), 3, "mov", "b8 iw");
	one(MODE_PROT32, mov, sizeof(mov), 5, "mov", "b8 id");
	one(MODE_LONG64, mov, sizeof(mov), 5, "mov", "b8 id");

	static const uint8_t rex[] = { 0x48, 0x89, 0xd8 };
	one(MODE_PROT32, rex, sizeof(rex), 1, "dec", "48 (dec eax)");
	one(MODE_REAL16, rex, sizeof(rex), 1, "dec", "48 (dec ax)");
	one(MODE_LONG64, rex, sizeof(rex), 3, "mov", "48 89 d8 (REX.W mov)");

	static const uint8_t cbw[] = { 0x98 }, cwde16[] = { 0x66, 0x98 };
	one(MODE_REAL16, cbw, sizeof(cbw), 1, "cbw", "98 without 66");
	CHECK(dec.insn->id == X86_INS_CBW, "98 in real16: id CBW (%u)", dec.insn->id);
	one(MODE_REAL16, cwde16, sizeof(cwde16), 2, "cwde", "66 98");
	one(MODE_LONG64, cbw, sizeof(cbw), 1, "cwde", "98");

	/* 66 before F3: Capstone 4 alone drops the 66 (a 32-bit DIV). */
	static const uint8_t div16[] = { 0x66, 0xf3, 0xf7, 0xf1 };
	one(MODE_LONG64, div16, sizeof(div16), 4, "div", "66 f3 f7 f1");
	CHECK(dec.insn->detail->x86.op_count >= 1 &&
	      dec.insn->detail->x86.operands[0].reg == X86_REG_CX,
	      "66 f3 f7 f1: DIV CX, the 66 kept");
	/* F3 67 0F B8: Capstone 4 decodes it only with the F3 last. */
	static const uint8_t popcnt[] = { 0xf3, 0x67, 0x0f, 0xb8, 0xc1 };
	one(MODE_LONG64, popcnt, sizeof(popcnt), 5, "popcnt", "f3 67 0f b8 c1");
	static const uint8_t tzcnt[] = { 0xf3, 0x0f, 0xbc, 0xc1 };
	one(MODE_REAL16, tzcnt, sizeof(tzcnt), 4, "tzcnt", "f3 0f bc c1");
	static const uint8_t rdpid[] = { 0xf3, 0x0f, 0xc7, 0xf8 };
	one(MODE_LONG64, rdpid, sizeof(rdpid), 4, "rdpid", "f3 0f c7 f8");

	static const uint8_t bad[] = { 0x0f, 0x04 };
	one(MODE_LONG64, bad, sizeof(bad), 0, NULL, "0f 04 (no such opcode)");
	one(MODE_LONG64, mov, 0, 0, NULL, "no bytes");
	one(MODE_LONG64, mov, 3, 0, NULL, "b8 cut short");

	dec_close(&dec);
	dec_close(&dec);
	CHECK(1, "closing twice is harmless");
	return check_done("test_decode_modes");
}
