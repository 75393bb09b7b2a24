/* A fake VMM for the mailbox (tmk/batch/mbox.h) that boots nothing: the
 * batch image's side of the protocol with scripted records, so tests can
 * make a VMM die, shut down or hang at a chosen case of a round.
 *
 *   fake_vmm_mbox IMAGE SHM DIR
 *
 * SHM is the RAM file exitdiff made ({shm}); DIR holds the script, as for
 * tests/cli_vmm.sh's shell fake: case N (counted across boots in DIR/count)
 * is answered with the text of DIR/recN; DIR/recN.exit makes the VMM exit
 * with that status instead (mid-round: the records before it are out),
 * DIR/recN.hang makes it sleep. Every boot appends a line to DIR/boots. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>
#include "mbox.h"

static volatile uint8_t *mb;
static const char *dir;

static volatile uint32_t *f32(uint32_t off)
{
	return (volatile uint32_t *)(mb + off);
}

static void say(const char *s)
{
	if (write(1, s, strlen(s)) < 0)
		exit(7);
}

/* DIR/name's text into buf (NUL-terminated), its length, or -1. */
static long slurp(const char *name, char *buf, size_t cap)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	size_t n = fread(buf, 1, cap - 1, f);
	fclose(f);
	buf[n] = 0;
	return (long)n;
}

static unsigned next_case(void)
{
	char buf[32], path[4096];
	unsigned n = slurp("count", buf, sizeof(buf)) > 0 ? (unsigned)atoi(buf) + 1 : 1;
	snprintf(path, sizeof(path), "%s/count", dir);
	FILE *f = fopen(path, "w");
	if (f) {
		fprintf(f, "%u\n", n);
		fclose(f);
	}
	return n;
}

/* A round, as rt_batch.c's mbox_round answers it. */
static void round_(uint32_t first, uint32_t count)
{
	static char rec[4096];
	uint32_t at = 0;
	*f32(MBOX_OUT_DONE_OFF) = 0;
	*f32(MBOX_OUT_RUN_OFF) = first;
	__sync_synchronize();
	for (uint32_t i = 0; i < count && i < MBOX_BATCH_MAX; i++) {
		char name[64];
		unsigned n = next_case();
		snprintf(name, sizeof(name), "rec%u.exit", n);
		if (slurp(name, rec, sizeof(rec)) > 0)
			exit(atoi(rec));
		snprintf(name, sizeof(name), "rec%u.hang", n);
		if (slurp(name, rec, sizeof(rec)) >= 0)
			sleep(30);
		snprintf(name, sizeof(name), "rec%u", n);
		long len = slurp(name, rec, sizeof(rec));
		if (len < 0)
			len = sprintf(rec, "S fake vmm: no %s\n", name);
		memcpy((uint8_t *)mb + MBOX_OUT_OFF + at, rec, (size_t)len);
		*f32(MBOX_OUT_SUM(i)) = mbox_sum(first + i, mb + MBOX_OUT_OFF + at, (uint32_t)len);
		at += (uint32_t)len;
		*f32(MBOX_OUT_END(i)) = at;
		__sync_synchronize();
		*f32(MBOX_OUT_DONE_OFF) = i + 1;
	}
	__sync_synchronize();
	*f32(MBOX_OUT_SEQ_OFF) = first;
	__sync_synchronize();
	if (*f32(MBOX_HOST_WAITS))
		say("\n");
}

int main(int argc, char **argv)
{
	if (argc != 4 || access(argv[1], R_OK) < 0) {
		fprintf(stderr, "usage: fake_vmm_mbox IMAGE SHM DIR\n");
		return 9;
	}
	dir = argv[3];
	char boots[4096];
	snprintf(boots, sizeof(boots), "%s/boots", dir);
	FILE *b = fopen(boots, "a");
	if (b) {
		fprintf(b, "boot\n");
		fclose(b);
	}
	int fd = open(argv[2], O_RDWR);
	if (fd < 0)
		return 8;
	mb = mmap(NULL, MBOX_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, MBOX_GPA);
	if (mb == MAP_FAILED)
		return 8;
	say("XDVMM 1\nC 0 0 d 68747541 444d4163 69746e65\nREADY\n");
	uint32_t seq = 0;
	int on = 0;
	for (;;) {
		/* A while of polling, then sleep on the serial line. */
		for (int spin = 0; on && spin < 2000; spin++) {
			if (*f32(MBOX_CASE_SEQ_OFF) == seq + 1)
				break;
			usleep(50);
		}
		if (on) {
			*f32(MBOX_GUEST_WAITS) = 1;
			__sync_synchronize();
		}
		if (!on || *f32(MBOX_CASE_SEQ_OFF) != seq + 1) {
			char c;
			if (read(0, &c, 1) != 1)
				return 0;
			if (c == 'D' && !on && *f32(MBOX_MAGIC_OFF) == MBOX_MAGIC &&
			    *f32(MBOX_VERSION_OFF) == MBOX_VERSION) {
				seq = *f32(MBOX_CASE_SEQ_OFF);
				*f32(MBOX_GUEST_WAITS) = 0;
				__sync_synchronize();
				*f32(MBOX_ACK_OFF) = *f32(MBOX_NONCE_OFF);
				on = 1;
				say("MBOX\n");
			}
		}
		*f32(MBOX_GUEST_WAITS) = 0;
		if (on && *f32(MBOX_CASE_SEQ_OFF) == seq + 1) {
			uint32_t first = seq + 1, count = *f32(MBOX_CASE_COUNT_OFF);
			seq = first + count - 1;
			round_(first, count);
		}
	}
}
