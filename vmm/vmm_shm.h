/* The shared-memory transport (tmk/batch/mbox.h): the file backing the
 * VMM's RAM, the mailbox mapped from it, and the two things a case needs
 * from it, handing the frame in and taking the record out. */
#ifndef EXITDIFF_VMM_SHM_H
#define EXITDIFF_VMM_SHM_H

#include <stddef.h>
#include <stdint.h>
#include "vmm_proc.h"

/* The RAM the file backs: the profile's -m (and memory-backend size). */
#define VMM_SHM_RAM (64u << 20)

struct vmm_shm {
	char path[128];            /* "" once unlinked */
	int fd;                    /* -1: no file */
	volatile uint8_t *mb;      /* the mailbox, MBOX_SIZE bytes */
	uint32_t seq;              /* the last case handed in */
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

/* Pure mailbox operations on mb (MBOX_SIZE bytes): the host's view,
 * also used by the tests on a plain buffer. */
/* Hands frame (n bytes) in as case number seq. 1 when the guest sleeps
 * on the serial line and must be rung, 0 when it polls, -1 when the
 * frame does not fit. */
int vmm_mbox_put(volatile uint8_t *mb, uint32_t seq, const uint8_t *frame, size_t n);
/* Case seq's record: 1 with its text (len bytes, NUL-terminated) in
 * text, 0 while out_seq is another number, -1 when it is this case's
 * number but the length or the sum is wrong (why in err). */
int vmm_mbox_take(const volatile uint8_t *mb, uint32_t seq, char *text, size_t cap, size_t *len,
		  char *err, size_t errlen);

/* Waits up to ms for case s->seq's record, watching the VMM's serial
 * output meanwhile (a banner: it rebooted). 1: the record is there; 0:
 * ms passed; -1: the VMM closed its output; 2: line holds a banner. */
int vmm_shm_wait(struct vmm_shm *s, struct vmm_proc *p, int ms, char *line, size_t cap);

#endif
