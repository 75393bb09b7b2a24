/*
 * The shared-memory mailbox between exitdiff and the batch image
 * (docs/vmm.md "Transports"): one fixed range of guest RAM that the host
 * also maps, from the file backing the VMM's RAM (guest-physical address
 * X is file offset X). Included by the guest (tmk/batch/rt_batch.c) and
 * the host (vmm/vmm_shm.c): the one definition of both sides' view.
 *
 * Who writes what (each field has one writer, so neither side needs a
 * lock; a 32-bit aligned store is atomic on both):
 *   host:  magic, version, nonce, case_seq, case_len, case_count, case
 *          area, host_waits
 *   guest: ack, guest_waits, out_seq, out_run, out_done, out table, out
 *          area
 *
 * A round of cases goes in: the host writes case_count frames back to
 * back (each the serial frame's very bytes, A5 5A pit len rle sum) into
 * the case area, their total length, then case_seq = the number of the
 * round's first case (the cases are numbered case_seq, case_seq + 1, ...;
 * the next round starts after the last). The guest, which takes only the
 * number after the last case it took, copies the frames out before it
 * runs any, so no case can change what it or a later one was given.
 *
 * Records come out one per case, in order, as each case ends: record i
 * (the serial record's text lines) goes into the out area at the end of
 * record i - 1, its end offset and sum (mbox_sum, seeded by its case's
 * number) into the out table, then out_done = i + 1. out_run names the
 * round those belong to (set, with out_done = 0, before its first case),
 * so after the VMM died or hung in a round the host still reads which
 * cases were answered and which one it died on. When the round ends the
 * guest writes every record and the table again from its own copy (a
 * later case of the round may have scribbled over them: legacy modes reach
 * all of RAM) and sets out_seq = the round's first number last. A record
 * that does not fit what is left of the out area ends the round early
 * (out_done < case_count): the host posts the cases not run again. The
 * host accepts a record only when its end is inside the out area and its
 * sum matches: a case that scribbled over the mailbox gives a clear
 * protocol error, never a wrong outcome.
 *
 * Waiting: both sides poll the mailbox for a while, then sleep on the
 * serial line. Before sleeping a side sets its *_waits flag and looks
 * once more; the other side, after publishing, reads the flag and sends
 * one serial byte when it is set: 'D' to the guest, '\n' to the host
 * (an empty line, which the host's line reader skips anyway).
 */
#ifndef EXITDIFF_MBOX_H
#define EXITDIFF_MBOX_H

#include <stdint.h>

/* 48 MiB: far above the layout (core/layout.h: below 0x18000, the
 * compare window 0x10000..0x16000 included) and the image (2 MiB), below
 * the 64 MiB of RAM and the firmware's tables at its top; address bit 20
 * clear, so a case that turns A20 off does not move it. */
#define MBOX_GPA        0x3000000u
#define MBOX_SIZE       0x20000u
#define MBOX_MAGIC      0x424d4458u   /* "XDMB" */
#define MBOX_VERSION    2u
/* Cases in one round at most: the out table's rows. */
#define MBOX_BATCH_MAX  32u

/* Offsets inside the mailbox. Host and guest fields on cache lines of
 * their own. */
#define MBOX_MAGIC_OFF    0x000u
#define MBOX_VERSION_OFF  0x004u
#define MBOX_NONCE_OFF    0x008u
#define MBOX_CASE_SEQ_OFF 0x00cu
#define MBOX_CASE_LEN_OFF 0x010u
#define MBOX_HOST_WAITS   0x014u
#define MBOX_CASE_COUNT_OFF 0x018u
#define MBOX_ACK_OFF      0x040u   /* guest: the nonce, once it uses the mailbox */
#define MBOX_GUEST_WAITS  0x044u
#define MBOX_OUT_SEQ_OFF  0x080u   /* the last round answered whole */
#define MBOX_OUT_RUN_OFF  0x084u   /* the round being answered */
#define MBOX_OUT_DONE_OFF 0x088u   /* its records published so far */
#define MBOX_OUT_TABLE_OFF 0x100u  /* per record: end offset, sum (u32 each) */
#define MBOX_CASE_OFF     0x1000u
#define MBOX_CASE_CAP     0x8000u   /* >= VMM_FRAME_MAX */
#define MBOX_OUT_OFF      0x9000u
#define MBOX_OUT_CAP      (MBOX_SIZE - MBOX_OUT_OFF)

_Static_assert(MBOX_OUT_TABLE_OFF + 8 * MBOX_BATCH_MAX <= MBOX_CASE_OFF,
	       "the out table must end before the case area");

/* The out table's row of record i. */
#define MBOX_OUT_END(i) (MBOX_OUT_TABLE_OFF + 8u * (i))
#define MBOX_OUT_SUM(i) (MBOX_OUT_TABLE_OFF + 8u * (i) + 4u)

/* A record's check: FNV-1a over its bytes, seeded with its case's number
 * (a stale record of another case does not pass as this one's). */
static inline uint32_t mbox_sum(uint32_t seq, const volatile uint8_t *p, uint32_t n)
{
	uint32_t h = 2166136261u ^ seq;
	for (uint32_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 16777619u;
	return h;
}

#endif
