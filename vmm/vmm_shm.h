/* The shared-memory transport (tmk/batch/mbox.h): the file backing the
 * VMM's RAM, the mailbox mapped from it, and the two things a round of
 * cases needs from it, handing the frames in and taking the records out. */
#ifndef EXITDIFF_VMM_SHM_H
#define EXITDIFF_VMM_SHM_H

#include <stddef.h>
#include <stdint.h>
#include "mbox.h"
#include "vmm_proc.h"

/* The RAM the file backs: the profile's -m (and memory-backend size). */
#define VMM_SHM_RAM (64u << 20)

struct vmm_shm {
	char path[128];            /* "" once unlinked */
	int fd;                    /* -1: no file */
	volatile uint8_t *mb;      /* the mailbox, MBOX_SIZE bytes */
	uint32_t seq;              /* the number of the last case handed in */
	int on;                    /* the guest answered the header */
};

/* A new file of VMM_SHM_RAM bytes (in /dev/shm, else $TMPDIR or /tmp)
 * with the mailbox mapped. 0, or -1 with a reason in err. */
int vmm_shm_create(struct vmm_shm *s, char *err, size_t errlen);
/* Removes the file's name (the VMM holds it open from its start). */
void vmm_shm_unlink(struct vmm_shm *s);
/* Unmaps, closes, unlinks. */
void vmm_shm_close(struct vmm_shm *s);

/* The handshake after the image's READY: writes the header and rings;
 * waits up to ms for the guest's ack (its "MBOX" line). 1 when the guest
 * uses the mailbox, 0 when it did not answer (its RAM is not this file),
 * -1 when the VMM ended. */
int vmm_shm_hello(struct vmm_shm *s, struct vmm_proc *p, int ms);

/* What the host took out of one round: the records that passed their
 * checks, in case order. */
struct vmm_round {
	uint32_t n;                     /* records taken */
	uint32_t end[MBOX_BATCH_MAX];   /* record i is text[end[i - 1] (0) .. end[i]) */
	char text[MBOX_OUT_CAP + 1];
	char err[200];                  /* why record n, published, was refused; "" */
};

/* Pure mailbox operations on mb (MBOX_SIZE bytes): the host's view,
 * also used by the tests on a plain buffer. */
/* Hands a round in: frames (n bytes, count frames back to back), its
 * first case numbered seq. 1 when the guest sleeps on the serial line and
 * must be rung, 0 when it polls, -1 when the round does not fit. */
int vmm_mbox_put(volatile uint8_t *mb, uint32_t seq, const uint8_t *frames, size_t n,
		 uint32_t count);
/* 1 once the guest answered the round whose first case is seq (as much
 * of it as fit the out area), else 0. */
int vmm_mbox_done(const volatile uint8_t *mb, uint32_t seq);
/* Records of round seq the guest has published so far (0 while it has
 * not started the round). */
uint32_t vmm_mbox_published(const volatile uint8_t *mb, uint32_t seq);
/* Takes the records of round seq (posted cases in it) published so far
 * into r: after the round ended, or after the VMM stopped in it. A record
 * whose end or sum is wrong stops the taking, with the reason in r->err
 * (its case is seq + r->n). */
void vmm_mbox_take(const volatile uint8_t *mb, uint32_t seq, uint32_t posted,
		   struct vmm_round *r);

/* Waits for the end of round seq, watching the VMM's serial output
 * meanwhile (a banner: it rebooted). ms bounds each case, not the round:
 * every record published starts the wait again. 1: the round ended; 0:
 * ms passed with no record; -1: the VMM closed its output; 2: line holds
 * a banner. */
int vmm_shm_wait(struct vmm_shm *s, struct vmm_proc *p, uint32_t seq, int ms, char *line,
		 size_t cap);

#endif
