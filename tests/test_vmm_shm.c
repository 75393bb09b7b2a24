/* The shared-memory mailbox's host side (vmm/vmm_shm.c, tmk/batch/mbox.h)
 * on a plain buffer standing for the guest's RAM: a round of frames goes
 * in with its first case's number and count, a ring is asked for only
 * when the guest sleeps, and records come out matched to their cases, in
 * order, each only when it is whole: the records of a round the VMM died
 * in are taken up to the last one published; a torn record, one labelled
 * with another case's number, an end outside the out area or before the
 * previous record's, more records than cases, garbage and a NUL byte are
 * refused with a clear reason, and the records before them kept. */
#include <stdio.h>
#include <string.h>
#include "check.h"
#include "mbox.h"
#include "vmm_proto.h"
#include "vmm_shm.h"

static uint8_t mb[MBOX_SIZE];
static struct vmm_round round_;

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

/* The guest's side of a round (rt_batch.c mbox_round): records of the
 * cases numbered first.. published one by one; whole says the round
 * ended (out_seq). */
static void publish(uint32_t first, const char *const *recs, uint32_t n, int whole)
{
	uint32_t at = 0;
	set32(MBOX_OUT_DONE_OFF, 0);
	set32(MBOX_OUT_RUN_OFF, first);
	for (uint32_t i = 0; i < n; i++) {
		uint32_t len = (uint32_t)strlen(recs[i]);
		memcpy(mb + MBOX_OUT_OFF + at, recs[i], len);
		set32(MBOX_OUT_SUM(i), mbox_sum(first + i, mb + MBOX_OUT_OFF + at, len));
		at += len;
		set32(MBOX_OUT_END(i), at);
		set32(MBOX_OUT_DONE_OFF, i + 1);
	}
	if (whole)
		set32(MBOX_OUT_SEQ_OFF, first);
}

/* Record i of the last round taken, as a string. */
static const char *record(uint32_t i)
{
	static char buf[MBOX_OUT_CAP + 1];
	uint32_t from = i ? round_.end[i - 1] : 0;
	memcpy(buf, round_.text + from, round_.end[i] - from);
	buf[round_.end[i] - from] = 0;
	return buf;
}

int main(void)
{
	static uint8_t big[MBOX_CASE_CAP + 1];
	const char *recs[4] = {
		"\nO 2 0 0 0 0 0 10004 2 ffffffffffffffff 0 0 0\nG 0 1\nE\n",
		"\nO 2 0 0 0 0 0 10004 2 ffffffffffffffff 0 0 0\nG 0 2\nE\n",
		"S cpu lacks cr4.smap\n",
		"\nO 2 0 0 0 0 0 10004 2 ffffffffffffffff 0 0 0\nG 0 4\nE\n",
	};
	const uint8_t frame[] = { 0xa5, 0x5a, 0xee, 0x00, 0x02, 0x00, 0x90, 0xf4, 0x84 };
	uint8_t frames[3 * sizeof(frame)];
	for (int i = 0; i < 3; i++)
		memcpy(frames + i * sizeof(frame), frame, sizeof(frame));

	/* In: the frames back to back, their length and count, then the
	 * first case's number; no ring while the guest polls, one when it
	 * said it sleeps. */
	int ring = vmm_mbox_put(mb, 7, frames, sizeof(frames), 3);
	CHECK(ring == 0, "a polling guest is not rung");
	CHECK(get32(MBOX_CASE_SEQ_OFF) == 7 && get32(MBOX_CASE_LEN_OFF) == sizeof(frames) &&
	      get32(MBOX_CASE_COUNT_OFF) == 3 && !memcmp(mb + MBOX_CASE_OFF, frames, sizeof(frames)),
	      "a round's frames, length, count and first number are in");
	set32(MBOX_GUEST_WAITS, 1);
	CHECK(vmm_mbox_put(mb, 10, frame, sizeof(frame), 1) == 1, "a sleeping guest is rung");
	CHECK(vmm_mbox_put(mb, 11, big, sizeof(big), 1) == -1, "a round past the case area is refused");
	CHECK(vmm_mbox_put(mb, 11, frames, sizeof(frames), 0) == -1 &&
	      vmm_mbox_put(mb, 11, frames, sizeof(frames), MBOX_BATCH_MAX + 1) == -1,
	      "a round of no case or more than the out table holds is refused");
	CHECK(VMM_FRAME_MAX <= MBOX_CASE_CAP, "the largest frame fits the case area");

	/* Out: a whole round of four, each record matched to its case. */
	publish(20, recs, 4, 0);
	CHECK(!vmm_mbox_done(mb, 20) && vmm_mbox_published(mb, 20) == 4,
	      "records published, the round not yet ended: not done");
	publish(20, recs, 4, 1);
	CHECK(vmm_mbox_done(mb, 20) && !vmm_mbox_done(mb, 24), "the round's end is its first number");
	vmm_mbox_take(mb, 20, 4, &round_);
	CHECK(round_.n == 4 && !round_.err[0], "a whole round: 4 records taken (%u: %s)", round_.n,
	      round_.err);
	int same = 1;
	for (uint32_t i = 0; i < round_.n; i++)
		same &= !strcmp(record(i), recs[i]);
	CHECK(same, "each record is its own case's, in order");
	CHECK(vmm_mbox_published(mb, 24) == 0, "another round's progress counts nothing");

	/* The VMM died in the third case of a round: the two records before
	 * it are taken, the round is not done. */
	publish(30, recs, 2, 0);
	vmm_mbox_take(mb, 30, 4, &round_);
	CHECK(!vmm_mbox_done(mb, 30) && round_.n == 2 && !round_.err[0] &&
	      !strcmp(record(1), recs[1]), "a round cut by the VMM's death: the records before it");

	/* A round that ended early (its out area full): fewer records than
	 * cases, the rest for the host to post again. */
	publish(40, recs, 3, 1);
	vmm_mbox_take(mb, 40, 4, &round_);
	CHECK(vmm_mbox_done(mb, 40) && round_.n == 3 && !round_.err[0],
	      "a round that ended early: its 3 records of 4");

	/* Torn: a byte of the second record changed after its sum (a later
	 * case of the round, or a guest caught half-way). */
	publish(50, recs, 4, 1);
	mb[MBOX_OUT_OFF + get32(MBOX_OUT_END(0)) + 5] ^= 0x01;
	vmm_mbox_take(mb, 50, 4, &round_);
	CHECK(round_.n == 1 && strstr(round_.err, "case 51") && strstr(round_.err, "torn or overwritten"),
	      "a torn record is refused, the one before it kept: %s", round_.err);

	/* The sums are seeded with the case's number: two records swapped
	 * (a short round's tail moved up) do not pass as each other's. */
	publish(60, recs, 2, 1);
	memcpy(mb + MBOX_OUT_OFF, recs[1], strlen(recs[1]));
	memcpy(mb + MBOX_OUT_OFF + strlen(recs[1]), recs[0], strlen(recs[0]));
	vmm_mbox_take(mb, 60, 2, &round_);
	CHECK(round_.n == 0 && strstr(round_.err, "case 60"),
	      "another case's record in this one's place is refused: %s", round_.err);

	/* Records relabelled as the next round's: refused. */
	publish(70, recs, 2, 1);
	set32(MBOX_OUT_RUN_OFF, 72);
	set32(MBOX_OUT_SEQ_OFF, 72);
	vmm_mbox_take(mb, 72, 2, &round_);
	CHECK(round_.n == 0 && strstr(round_.err, "case 72"),
	      "a stale round under the next round's number is refused: %s", round_.err);

	/* Ends outside the out area, or before the record before: refused
	 * before anything is copied. */
	publish(80, recs, 2, 1);
	set32(MBOX_OUT_END(1), MBOX_OUT_CAP + 1);
	vmm_mbox_take(mb, 80, 2, &round_);
	CHECK(round_.n == 1 && strstr(round_.err, "case 81") && strstr(round_.err, "outside"),
	      "an end past the out area is refused: %s", round_.err);
	publish(90, recs, 2, 1);
	set32(MBOX_OUT_END(1), 3);
	vmm_mbox_take(mb, 90, 2, &round_);
	CHECK(round_.n == 1 && strstr(round_.err, "outside"),
	      "an end before the previous record's is refused: %s", round_.err);

	/* More records than the round had cases. */
	publish(100, recs, 4, 1);
	vmm_mbox_take(mb, 100, 3, &round_);
	CHECK(round_.n == 0 && strstr(round_.err, "4 records for 3 cases"),
	      "more records than cases is refused: %s", round_.err);

	/* Garbage over the whole out side (a case scribbling over RAM) that
	 * happens to hold this round's number. */
	for (uint32_t i = MBOX_OUT_SEQ_OFF; i < MBOX_SIZE; i++)
		mb[i] = (uint8_t)(i * 131 + 7);
	set32(MBOX_OUT_SEQ_OFF, 110);
	set32(MBOX_OUT_RUN_OFF, 110);
	set32(MBOX_OUT_DONE_OFF, 2);
	set32(MBOX_OUT_END(0), 100);
	vmm_mbox_take(mb, 110, 4, &round_);
	CHECK(round_.n == 0 && strstr(round_.err, "mailbox record of case 110"),
	      "garbage is refused: %s", round_.err);

	/* A record with a NUL inside, sum and all right: refused (the line
	 * parser would see less than the guest wrote). */
	const char nul[] = "O 2\0 junk\nE\n";
	memcpy(mb + MBOX_OUT_OFF, nul, 12);
	set32(MBOX_OUT_RUN_OFF, 120);
	set32(MBOX_OUT_SEQ_OFF, 120);
	set32(MBOX_OUT_DONE_OFF, 1);
	set32(MBOX_OUT_END(0), 12);
	set32(MBOX_OUT_SUM(0), mbox_sum(120, mb + MBOX_OUT_OFF, 12));
	vmm_mbox_take(mb, 120, 1, &round_);
	CHECK(round_.n == 0 && strstr(round_.err, "NUL"), "a NUL byte in a record is refused: %s",
	      round_.err);
	return check_done("test_vmm_shm");
}
