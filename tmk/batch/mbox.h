/*
 * The shared-memory mailbox between exitdiff and the batch image
 * (docs/vmm.md "Transports"): one fixed range of guest RAM that the host
 * also maps, from the file backing the VMM's RAM (guest-physical address
 * X is file offset X). Included by the guest (tmk/batch/rt_batch.c) and
 * the host (vmm/vmm_shm.c): the one definition of both sides' view.
 *
 * Who writes what (each field has one writer, so neither side needs a
 * lock; a 32-bit aligned store is atomic on both):
 *   host:  magic, version, nonce, case_seq, case_len, case area, host_waits
 *   guest: ack, guest_waits, out_seq, out_len, out_sum, out area
 *
 * A case goes in: the host writes the frame (the serial frame's very
 * bytes, A5 5A pit len rle sum) into the case area and its length, then
 * case_seq = the previous one + 1. The guest, which takes only that next
 * number, copies the frame out before it runs the case, so the case
 * cannot change what it was given. Its record (the serial record's text
 * lines) goes into the out area, then out_len, out_sum, and out_seq =
 * case_seq last. The host accepts a record only when out_seq is its
 * case's number, out_len fits and out_sum (mbox_sum, seeded by the
 * number) matches: a case that scribbled over the mailbox (legacy modes
 * reach all of RAM) gives a clear protocol error, never a wrong outcome.
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
#define MBOX_VERSION    1u

/* Offsets inside the mailbox. Host and guest fields on cache lines of
 * their own. */
#define MBOX_MAGIC_OFF    0x000u
#define MBOX_VERSION_OFF  0x004u
#define MBOX_NONCE_OFF    0x008u
#define MBOX_CASE_SEQ_OFF 0x00cu
#define MBOX_CASE_LEN_OFF 0x010u
#define MBOX_HOST_WAITS   0x014u
#define MBOX_ACK_OFF      0x040u   /* guest: the nonce, once it uses the mailbox */
#define MBOX_GUEST_WAITS  0x044u
#define MBOX_OUT_SEQ_OFF  0x080u
#define MBOX_OUT_LEN_OFF  0x084u
#define MBOX_OUT_SUM_OFF  0x088u
#define MBOX_CASE_OFF     0x1000u
#define MBOX_CASE_CAP     0x8000u   /* >= VMM_FRAME_MAX */
#define MBOX_OUT_OFF      0x9000u
#define MBOX_OUT_CAP      (MBOX_SIZE - MBOX_OUT_OFF)

/* The record's check: FNV-1a over its bytes, seeded with its number (a
 * stale record of another case does not pass as this one's). */
static inline uint32_t mbox_sum(uint32_t seq, const volatile uint8_t *p, uint32_t n)
{
	uint32_t h = 2166136261u ^ seq;
	for (uint32_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 16777619u;
	return h;
}

#endif
