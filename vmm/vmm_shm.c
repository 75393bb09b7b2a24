/* The shared-memory transport: the host's side of tmk/batch/mbox.h.
 *
 * The file backs the whole of the VMM's RAM (QEMU: -object
 * memory-backend-file,share=on), so guest-physical X is file offset X;
 * only the mailbox's range is mapped here. A round of cases costs no
 * serial byte while both sides keep polling: the guest polls for some ms
 * after each round, the host for VMM_SHM_SPIN_US after posting one, and
 * only a side that stopped polling is rung (one serial byte). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include "mbox.h"
#include "vmm_proto.h"
#include "vmm_shm.h"

_Static_assert(VMM_FRAME_MAX <= MBOX_CASE_CAP, "a frame must fit the mailbox's case area");
_Static_assert(MBOX_GPA + MBOX_SIZE <= VMM_SHM_RAM, "the mailbox must be inside the RAM");

/* How long the host polls for a record before it sleeps on the serial
 * line: longer than most cases take under TCG (a sleep costs a wakeup
 * through QEMU's main loop and the guest's port write). */
#define VMM_SHM_SPIN_US 100
/* While asleep, the mailbox is looked at again this often even without a
 * ring (a case may have cleared the host_waits flag). */
#define VMM_SHM_SLICE_MS 20

#define F32(mb, off) (*(volatile uint32_t *)((mb) + (off)))

int vmm_shm_create(struct vmm_shm *s, char *err, size_t errlen)
{
	const char *dir = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : getenv("TMPDIR");
	if (!dir || !*dir)
		dir = "/tmp";
	s->mb = NULL;
	s->seq = 0;
	s->on = 0;
	snprintf(s->path, sizeof(s->path), "%s/exitdiff-vmm-XXXXXX", dir);
	s->fd = mkstemp(s->path);
	if (s->fd < 0 || ftruncate(s->fd, VMM_SHM_RAM) < 0) {
		snprintf(err, errlen, "vmm: guest RAM file %s: %s", s->path, strerror(errno));
		vmm_shm_close(s);
		return -1;
	}
	void *m = mmap(NULL, MBOX_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, s->fd, MBOX_GPA);
	if (m == MAP_FAILED) {
		snprintf(err, errlen, "vmm: mapping %s: %s", s->path, strerror(errno));
		vmm_shm_close(s);
		return -1;
	}
	s->mb = m;
	return 0;
}

void vmm_shm_unlink(struct vmm_shm *s)
{
	if (s->path[0])
		unlink(s->path);
	s->path[0] = 0;
}

void vmm_shm_close(struct vmm_shm *s)
{
	if (s->mb)
		munmap((void *)s->mb, MBOX_SIZE);
	if (s->fd >= 0)
		close(s->fd);
	vmm_shm_unlink(s);
	s->mb = NULL;
	s->fd = -1;
	s->on = 0;
}

int vmm_mbox_put(volatile uint8_t *mb, uint32_t seq, const uint8_t *frames, size_t n,
		 uint32_t count)
{
	if (n > MBOX_CASE_CAP || !count || count > MBOX_BATCH_MAX)
		return -1;
	memcpy((uint8_t *)mb + MBOX_CASE_OFF, frames, n);
	F32(mb, MBOX_CASE_LEN_OFF) = (uint32_t)n;
	F32(mb, MBOX_CASE_COUNT_OFF) = count;
	F32(mb, MBOX_HOST_WAITS) = 0;
	__atomic_thread_fence(__ATOMIC_RELEASE);
	F32(mb, MBOX_CASE_SEQ_OFF) = seq;
	/* Store then load on the other side's flag: a full fence, or the
	 * guest may go to sleep unseen while we read a stale 0. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return F32(mb, MBOX_GUEST_WAITS) ? 1 : 0;
}

int vmm_mbox_done(const volatile uint8_t *mb, uint32_t seq)
{
	return F32(mb, MBOX_OUT_SEQ_OFF) == seq;
}

uint32_t vmm_mbox_published(const volatile uint8_t *mb, uint32_t seq)
{
	return F32(mb, MBOX_OUT_RUN_OFF) == seq ? F32(mb, MBOX_OUT_DONE_OFF) : 0;
}

void vmm_mbox_take(const volatile uint8_t *mb, uint32_t seq, uint32_t posted,
		   struct vmm_round *r)
{
	uint32_t done = vmm_mbox_published(mb, seq), start = 0;
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	r->n = 0;
	r->err[0] = 0;
	r->text[0] = 0;
	if (done > posted) {
		snprintf(r->err, sizeof(r->err), "mailbox round of case %u: %u records for %u cases "
			 "(overwritten)", seq, done, posted);
		return;
	}
	for (uint32_t i = 0; i < done; i++, r->n++) {
		uint32_t end = F32(mb, MBOX_OUT_END(i)), sum = F32(mb, MBOX_OUT_SUM(i));
		if (end < start || end > MBOX_OUT_CAP) {
			snprintf(r->err, sizeof(r->err), "mailbox record of case %u: ends at %u, outside "
				 "%u..%u (the out area)", seq + i, end, start, MBOX_OUT_CAP);
			return;
		}
		/* Copied first, checked on the copy: what is parsed is what
		 * passed. */
		uint32_t n = end - start;
		memcpy(r->text + start, (const uint8_t *)mb + MBOX_OUT_OFF + start, n);
		r->text[end] = 0;
		uint32_t want = mbox_sum(seq + i, (const uint8_t *)r->text + start, n);
		if (sum != want) {
			snprintf(r->err, sizeof(r->err), "mailbox record of case %u: sum %08x, its %u "
				 "bytes sum to %08x (torn or overwritten)", seq + i, sum, n, want);
			return;
		}
		if (memchr(r->text + start, 0, n)) {
			snprintf(r->err, sizeof(r->err), "mailbox record of case %u: a NUL byte in its "
				 "text", seq + i);
			return;
		}
		r->end[i] = end;
		start = end;
	}
}

static long now_us(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000000L + t.tv_nsec / 1000L;
}

int vmm_shm_hello(struct vmm_shm *s, struct vmm_proc *p, int ms)
{
	char line[128];
	uint32_t nonce = (uint32_t)now_us() ^ (uint32_t)getpid() << 12;
	volatile uint8_t *mb = s->mb;
	/* A fresh number space per boot, unlike the last boot's. */
	s->seq = nonce * 2654435761u;
	F32(mb, MBOX_ACK_OFF) = 0;
	F32(mb, MBOX_OUT_SEQ_OFF) = s->seq;
	F32(mb, MBOX_OUT_RUN_OFF) = s->seq;
	F32(mb, MBOX_OUT_DONE_OFF) = 0;
	F32(mb, MBOX_CASE_SEQ_OFF) = s->seq;
	F32(mb, MBOX_NONCE_OFF) = nonce;
	F32(mb, MBOX_VERSION_OFF) = MBOX_VERSION;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	F32(mb, MBOX_MAGIC_OFF) = MBOX_MAGIC;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (vmm_proc_write(p, "D", 1) < 0)
		return -1;
	long deadline = now_us() + ms * 1000L;
	for (;;) {
		long left = (deadline - now_us()) / 1000;
		int r = vmm_proc_line(p, line, sizeof(line), left > 0 ? (int)left : 0);
		if (r < 0)
			return -1;
		if (r == 0)
			return 0;
		if (!strcmp(line, "MBOX") && F32(mb, MBOX_ACK_OFF) == nonce) {
			s->on = 1;
			return 1;
		}
	}
}

int vmm_shm_wait(struct vmm_shm *s, struct vmm_proc *p, uint32_t seq, int ms, char *line,
		 size_t cap)
{
	volatile uint8_t *mb = s->mb;
	long start = now_us(), deadline = start + ms * 1000L;
	while (now_us() - start < VMM_SHM_SPIN_US)
		for (int i = 0; i < 64; i++) {
			if (vmm_mbox_done(mb, seq))
				return 1;
			__builtin_ia32_pause();
		}
	F32(mb, MBOX_HOST_WAITS) = 1;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	uint32_t seen = vmm_mbox_published(mb, seq);
	for (;;) {
		if (vmm_mbox_done(mb, seq))
			return 1;
		uint32_t now = vmm_mbox_published(mb, seq);
		if (now != seen) {
			/* A case ended: the next one gets the whole wait. */
			seen = now;
			deadline = now_us() + ms * 1000L;
		}
		long left = (deadline - now_us()) / 1000;
		if (left <= 0)
			return 0;
		/* Whatever the VMM printed: the guest's ring (an empty line),
		 * a case's own COM1 output, or the banner of a reboot. */
		int r = vmm_proc_line(p, line, cap, left < VMM_SHM_SLICE_MS ? (int)left : VMM_SHM_SLICE_MS);
		if (r < 0)
			return -1;
		if (r > 0 && !strncmp(line, "XDVMM", 5))
			return 2;
	}
}
