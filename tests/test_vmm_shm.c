/* The shared-memory mailbox's host side (vmm/vmm_shm.c, tmk/batch/mbox.h)
 * on a plain buffer standing for the guest's RAM: a frame goes in with
 * its number, a ring is asked for only when the guest sleeps, and a
 * record comes out only when it is this case's, whole: a torn record, a
 * length past the out area, garbage, or another case's number are refused
 * with a clear reason. */
#include <string.h>
#include "check.h"
#include "mbox.h"
#include "vmm_proto.h"
#include "vmm_shm.h"

static uint8_t mb[MBOX_SIZE];

static void set32(uint32_t off, uint32_t v)
{
	memcpy(mb + off, &v, 4);
}

static uint32_t get32(uint32_t off)
{
	uint32_t v;
	memcpy(&v, mb + off, 4);
	return v;
}

/* The guest's publishing of a record (rt_batch.c mbox_run). */
static void publish(uint32_t seq, const char *text)
{
	uint32_t n = (uint32_t)strlen(text);
	memcpy(mb + MBOX_OUT_OFF, text, n);
	set32(MBOX_OUT_LEN_OFF, n);
	set32(MBOX_OUT_SUM_OFF, mbox_sum(seq, mb + MBOX_OUT_OFF, n));
	set32(MBOX_OUT_SEQ_OFF, seq);
}

int main(void)
{
	static char text[MBOX_OUT_CAP + 1];
	static uint8_t big[MBOX_CASE_CAP + 1];
	char err[200];
	size_t len = 0;
	const char *rec = "\nO 2 0 0 0 0 0 10004 2 ffffffffffffffff 0 0 0\nG 0 1\nE\n";
	const uint8_t frame[] = { 0xa5, 0x5a, 0xee, 0x00, 0x02, 0x00, 0x90, 0xf4, 0x84 };

	/* In: the frame, its length, then its number; no ring while the
	 * guest polls, one when it said it sleeps. */
	int ring = vmm_mbox_put(mb, 7, frame, sizeof(frame));
	CHECK(ring == 0, "a polling guest is not rung");
	CHECK(get32(MBOX_CASE_SEQ_OFF) == 7 && get32(MBOX_CASE_LEN_OFF) == sizeof(frame) &&
	      !memcmp(mb + MBOX_CASE_OFF, frame, sizeof(frame)), "the frame and its number are in");
	set32(MBOX_GUEST_WAITS, 1);
	CHECK(vmm_mbox_put(mb, 8, frame, sizeof(frame)) == 1, "a sleeping guest is rung");
	CHECK(vmm_mbox_put(mb, 9, big, sizeof(big)) == -1, "a frame past the case area is refused");
	CHECK(VMM_FRAME_MAX <= MBOX_CASE_CAP, "the largest frame fits the case area");

	/* Out: only this case's number, whole. */
	publish(8, rec);
	CHECK(vmm_mbox_take(mb, 9, text, sizeof(text), &len, err, sizeof(err)) == 0,
	      "another case's record is not taken (still waiting)");
	int r = vmm_mbox_take(mb, 8, text, sizeof(text), &len, err, sizeof(err));
	CHECK(r == 1 && len == strlen(rec) && !strcmp(text, rec), "a whole record is taken");

	/* Torn: a byte changed after the sum (a case, or a guest caught
	 * half-way). */
	publish(10, rec);
	mb[MBOX_OUT_OFF + 5] ^= 0x01;
	r = vmm_mbox_take(mb, 10, text, sizeof(text), &len, err, sizeof(err));
	CHECK(r == -1 && strstr(err, "torn or overwritten"), "a torn record is refused: %s", err);

	/* The sum is seeded with the number: a stale record relabelled with
	 * the next number does not pass. */
	publish(11, rec);
	set32(MBOX_OUT_SEQ_OFF, 12);
	r = vmm_mbox_take(mb, 12, text, sizeof(text), &len, err, sizeof(err));
	CHECK(r == -1 && strstr(err, "case 12"), "another case's record under this number is refused: %s",
	      err);

	/* A length past the out area: refused before anything is copied. */
	publish(13, rec);
	set32(MBOX_OUT_LEN_OFF, MBOX_OUT_CAP + 1);
	r = vmm_mbox_take(mb, 13, text, sizeof(text), &len, err, sizeof(err));
	CHECK(r == -1 && strstr(err, "past the out area"), "a length past the out area is refused: %s",
	      err);

	/* Garbage over the whole out side (a case scribbling over RAM) that
	 * happens to hold this number. */
	for (uint32_t i = MBOX_OUT_SEQ_OFF; i < MBOX_SIZE; i++)
		mb[i] = (uint8_t)(i * 131 + 7);
	set32(MBOX_OUT_SEQ_OFF, 14);
	set32(MBOX_OUT_LEN_OFF, 100);
	r = vmm_mbox_take(mb, 14, text, sizeof(text), &len, err, sizeof(err));
	CHECK(r == -1 && strstr(err, "mailbox record of case 14"), "garbage is refused: %s", err);

	/* A record with a NUL inside, sum and all right: refused (the line
	 * parser would see less than the guest wrote). */
	memcpy(mb + MBOX_OUT_OFF, "O 2\0 junk\nE\n", 12);
	set32(MBOX_OUT_SEQ_OFF, 15);
	set32(MBOX_OUT_LEN_OFF, 12);
	set32(MBOX_OUT_SUM_OFF, mbox_sum(15, mb + MBOX_OUT_OFF, 12));
	r = vmm_mbox_take(mb, 15, text, sizeof(text), &len, err, sizeof(err));
	CHECK(r == -1 && strstr(err, "NUL"), "a NUL byte in a record is refused: %s", err);
	return check_done("test_vmm_shm");
}
