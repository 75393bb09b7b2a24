/*
 * The VMM executor's batch image (docs/vmm.md): the TMK runtime with no
 * case compiled in. It runs whatever cases exitdiff streams to COM1's
 * input, one after the other in one boot, and reports what each did on
 * COM1's output; exitdiff (vmm/) compares that with the reference.
 *
 * Input frame, host to guest (binary; a frame is found by its sync bytes,
 * so a host that starts mid-stream loses nothing but the broken frame):
 *   A5 5A  pit:u16  len:u16  rle[len]  sum:u8
 * rle is the case in the binary case format (core/case_bin.c, decoded here
 * by the same file) with every run of zeros written 00 k (k + 1 zeros);
 * pit bounds the case in PIT ticks (1.193182 MHz); sum is the byte sum of
 * rle. All little-endian.
 *
 * Output, guest to host (text lines, hex without 0x):
 *   XDVMM 1                      once per boot, then the CPU's CPUID:
 *   C leaf sub eax ebx ecx edx   ... the leaves the KVM executor calibrates
 *   READY                        waiting for frames
 * per case (after an empty line: a case's own COM1 output ends there):
 *   O kind vec has_ec ec exc_rip cr2 rip rflags rsp_mask nmi_frame nmi_len rf_byte
 *   G i val ...                  GPRs that differ from the case's start
 *   X i lo hi ...                XMM registers that are not zero
 *   M off bytes                  changed runs of the compare window
 *   E                            the end of this case's record
 *   S reason                     instead of all that: the case cannot run here
 *   F reason                     the runtime's entry into the mode faulted
 * A case that resets or stops the VM prints nothing more: the host sees
 * the VMM exit (or the banner again) and restarts it.
 *
 * The shared-memory mailbox (mbox.h, when the host shares our RAM): after
 * READY the host writes the mailbox's header and sends the byte 'D'; we
 * answer with the header's nonce and the line
 *   MBOX
 * and from then on take rounds of frames from the mailbox, run them back
 * to back and put their records there (the same bytes and lines as
 * above), each as soon as its case ended. A 'D' later on is a ring: the
 * host saw us sleeping on the serial line. The serial frames keep
 * working.
 */
#include "tmk.h"
#include "case_bin.h"
#include "layout.h"
#include "mode.h"
#include "mbox.h"

#define COM1       0x3f8
#define COM1_IER   (COM1 + 1)
#define COM1_FCR   (COM1 + 2)
#define COM1_LCR   (COM1 + 3)
#define LCR_8N1    0x03   /* 8 data bits, no parity, DLAB clear */
#define COM1_LSR   (COM1 + 5)
#define LSR_DR     0x01
#define LSR_THRE   0x20
#define FCR_FIFO   0x07   /* enable and clear both FIFOs: 16 bytes a fill */

#define SYNC0 0xa5
#define SYNC1 0x5a

/* Mirrors harness/kvm_calibrate.c's list: the reference answers CPUID
 * from what this guest reads. */
#define CAL_BASIC_MAX 0x20u
#define CAL_EXT_MAX   0x80000008u
#define CAL_HV_MAX    0x40000010u
#define CAL_SUBLEAVES 4u
#define CAL_MAX       256u

/* The transmitter is polled without a bound: a slow reader on the host
 * side must not lose a line (an absent UART reads all ones: THRE set). */
static void tx(const char *s, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		while (!(rt_inb(COM1_LSR) & LSR_THRE))
			;
		rt_outb(COM1, (uint8_t)s[i]);
	}
}

/* Between two polls of an empty receiver, a stretch of plain instructions:
 * under QEMU TCG every port access takes the big lock the thread that
 * fills the receiver also needs, and a vCPU polling back to back starves
 * it (measured: cases waited tens of ms for their bytes on a busy host). */
#define RX_BACKOFF 256

static uint8_t rx(void)
{
	while (!(rt_inb(COM1_LSR) & LSR_DR))
		for (volatile unsigned i = 0; i < RX_BACKOFF; i++)
			;
	return rt_inb(COM1);
}

/* A line under construction: formatted in memory, sent whole. */
struct line {
	char b[160];
	unsigned n;
};

static void l_ch(struct line *l, char c)
{
	if (l->n < sizeof(l->b))
		l->b[l->n++] = c;
}

static void l_hex(struct line *l, uint64_t v)
{
	int sh = 60;
	l_ch(l, ' ');
	while (sh > 0 && !((v >> sh) & 0xf))
		sh -= 4;
	for (; sh >= 0; sh -= 4)
		l_ch(l, "0123456789abcdef"[(v >> sh) & 0xf]);
}

static void l_byte(struct line *l, uint8_t v)
{
	l_ch(l, "0123456789abcdef"[v >> 4]);
	l_ch(l, "0123456789abcdef"[v & 0xf]);
}

/* Where records go: COM1, or the round's record buffer while cases that
 * came through the mailbox are answered (mbox.h). A record that does not
 * fit is cut, and out_cut says so: the round then ends before that case
 * (the host posts it again), or, for a round's first case, the host finds
 * no E line and says so. */
static uint8_t *out_buf;
static uint32_t out_len;
static int out_cut;

static void l_send(struct line *l)
{
	l_ch(l, '\n');
	if (out_buf) {
		for (unsigned i = 0; i < l->n; i++) {
			if (out_len < MBOX_OUT_CAP)
				out_buf[out_len++] = (uint8_t)l->b[i];
			else
				out_cut = 1;
		}
	} else {
		tx(l->b, l->n);
	}
	l->n = 0;
}

static void l_text(struct line *l, const char *s)
{
	while (*s)
		l_ch(l, *s++);
}

static void report_cpuid(void)
{
	uint32_t r[4], max[3];
	const uint32_t base[3] = { 0, 0x40000000u, 0x80000000u };
	const uint32_t cap[3] = { CAL_BASIC_MAX, CAL_HV_MAX, CAL_EXT_MAX };
	unsigned n = 0;
	for (int i = 0; i < 3; i++) {
		rt_cpuid(base[i], 0, r);
		max[i] = r[0] > cap[i] ? cap[i] : r[0];
	}
	/* The hypervisor range only when its first leaf names one. */
	if (max[1] < 0x40000000u)
		max[1] = 0;
	struct line l = { .n = 0 };
	for (int i = 0; i < 3; i++) {
		if (i && max[i] < base[i])
			continue;
		for (uint32_t leaf = base[i]; leaf <= max[i]; leaf++)
			for (uint32_t sub = 0; sub < CAL_SUBLEAVES && n < CAL_MAX; sub++, n++) {
				rt_cpuid(leaf, sub, r);
				l_ch(&l, 'C');
				l_hex(&l, leaf);
				l_hex(&l, sub);
				for (int k = 0; k < 4; k++)
					l_hex(&l, r[k]);
				l_send(&l);
			}
	}
}

static struct test_case tc;
static uint8_t frame[CASE_BIN_MAX];
static uint8_t initial_window[LAYOUT_CMP_SIZE];

/* Where a frame's bytes come from: COM1 (rx), or the copy of the
 * mailbox's case area (mbox_byte). */
static uint8_t (*next)(void);
static uint8_t mbox_frame[MBOX_CASE_CAP];
static uint32_t mbox_pos, mbox_len;

static uint8_t mbox_byte(void)
{
	return mbox_pos < mbox_len ? mbox_frame[mbox_pos++] : 0;
}

/* A frame after its sync bytes, from next(); returns its PIT count, the
 * case in tc, or -1 for a frame whose sum does not match (reported, then
 * skipped). */
static int read_frame(void)
{
	unsigned pit = next();
	pit |= (unsigned)next() << 8;
	unsigned len = next();
	len |= (unsigned)next() << 8;
	uint8_t sum = 0;
	unsigned n = 0, bad = 0;
	for (unsigned i = 0; i < len; i++) {
		uint8_t b = next();
		sum = (uint8_t)(sum + b);
		unsigned run = 1;
		if (!b && i + 1 < len) {
			uint8_t k = next();
			sum = (uint8_t)(sum + k);
			run += k;
			i++;
		}
		for (; run; run--, n++)
			if (n < sizeof(frame))
				frame[n] = b;
			else
				bad = 1;
	}
	struct line l = { .n = 0 };
	if (next() != sum || bad) {
		l_text(&l, "S the frame arrived damaged (sum or length)");
		l_send(&l);
		return -1;
	}
	case_decode(frame, n, &tc);
	return (int)pit;
}

static void report(const struct tmk_obs *o)
{
	struct line l = { .n = 0 };
	uint64_t head[] = { o->kind, o->vector, o->has_error_code, o->error_code, o->exc_rip,
			    o->cr2, o->rip, o->rflags, o->rsp_mask, o->nmi_frame,
			    o->nmi_frame_len, o->rf_byte };
	l_ch(&l, 'O');
	for (unsigned i = 0; i < sizeof(head) / sizeof(head[0]); i++)
		l_hex(&l, head[i]);
	l_send(&l);
	l_ch(&l, 'G');
	for (int i = 0; i < 16; i++)
		if (o->gpr[i] != tc.gpr[i]) {
			l_hex(&l, (uint64_t)i);
			l_hex(&l, o->gpr[i]);
			if (l.n > sizeof(l.b) - 40) {
				l_send(&l);
				l_ch(&l, 'G');
			}
		}
	l_send(&l);
	l_ch(&l, 'X');
	for (int i = 0; i < 16; i++)
		if (o->xmm[i][0] || o->xmm[i][1]) {
			l_hex(&l, (uint64_t)i);
			l_hex(&l, o->xmm[i][0]);
			l_hex(&l, o->xmm[i][1]);
			l_send(&l);
			l_ch(&l, 'X');
		}
	if (l.n > 1)
		l_send(&l);
	else
		l.n = 0;
	/* Changed bytes, in runs of at most 64 per line. */
	const uint8_t *now = rt_phys(LAYOUT_CMP_BASE);
	for (uint32_t i = 0; i < LAYOUT_CMP_SIZE;) {
		/* Unchanged quadwords skipped whole: a byte loop over the 24 KiB
		 * window was a large part of a case's time under QEMU TCG. */
		if (!(i & 7) && i + 8 <= LAYOUT_CMP_SIZE &&
		    *(const uint64_t *)(now + i) == *(const uint64_t *)(initial_window + i)) {
			i += 8;
			continue;
		}
		if (now[i] == initial_window[i]) {
			i++;
			continue;
		}
		l_ch(&l, 'M');
		l_hex(&l, i);
		l_ch(&l, ' ');
		for (unsigned k = 0; k < 64 && i < LAYOUT_CMP_SIZE && now[i] != initial_window[i];
		     k++, i++)
			l_byte(&l, now[i]);
		l_send(&l);
	}
	l_ch(&l, 'E');
	l_send(&l);
}

/* COM1 as the protocol needs it: a case may have written its registers
 * (DLAB set would turn the data port into the divisor). */
static void uart_init(void)
{
	rt_outb(COM1_LCR, LCR_8N1);
	rt_outb(COM1_IER, 0);
	rt_outb(COM1_FCR, FCR_FIFO);
}

/* A20 as the next case needs it: a case may have cleared it through
 * System Control Port A (0x92, bit 1), which masks address bit 20; the
 * image sits where that does not matter (linked at 2 MiB, Makefile).
 * Bit 0 would reset the machine: written 0. */
#define PORT_A     0x92
#define PORT_A_A20 0x02

static void a20_on(void)
{
	uint8_t v = rt_inb(PORT_A);
	if (!(v & PORT_A_A20))
		rt_outb(PORT_A, (uint8_t)((v | PORT_A_A20) & ~1u));
}

static void run_one(unsigned pit)
{
	struct line l = { .n = 0 };
	const char *missing = rt_missing_feature(tc.knobs);
	if (missing) {
		l_text(&l, "S cpu lacks ");
		l_text(&l, missing);
		l_send(&l);
		return;
	}
	/* The runtime's case record points at tc's own bytes. */
	static struct tmk_case c;
	c.id = "batch";
	c.mode = tc.mode;
	c.knobs = tc.knobs;
	for (int i = 0; i < 16; i++)
		c.gpr[i] = tc.gpr[i];
	c.rflags = tc.rflags;
	c.code_len = tc.code_len;
	c.data_len = tc.data_len;
	c.code = tc.code;
	c.data = tc.data;
	struct tmk_obs o;
	rt_execute(&c, (uint16_t)pit, &o, initial_window);
	a20_on();
	uart_init();
	/* A case that wrote to COM1 left a partial line: the record starts
	 * on a line of its own (the host skips what comes before its O). */
	l_send(&l);
	if (o.entry_fault) {
		l_text(&l, "F vector");
		l_hex(&l, o.vector);
		l_text(&l, " at");
		l_hex(&l, o.entry_fault_cs);
		l_hex(&l, o.entry_fault_eip);
		l_send(&l);
		return;
	}
	report(&o);
}

/* The mailbox's fields (mbox.h), read and written as the other side's
 * view changes under us. */
static volatile uint32_t *mb32(uint32_t off)
{
	return (volatile uint32_t *)rt_phys(MBOX_GPA + off);
}

static void fence(void)
{
	__asm__ volatile("mfence" ::: "memory");
}

/* The mailbox is in use once the host has written its header and rung:
 * the ack tells it so (a VMM whose RAM it does not share never sees the
 * header and stays on the serial line). */
static int mbox_on;
static uint32_t mbox_seq;

static void mbox_check_header(void)
{
	if (mbox_on || *mb32(MBOX_MAGIC_OFF) != MBOX_MAGIC ||
	    *mb32(MBOX_VERSION_OFF) != MBOX_VERSION)
		return;
	mbox_seq = *mb32(MBOX_CASE_SEQ_OFF);
	*mb32(MBOX_GUEST_WAITS) = 0;
	fence();
	*mb32(MBOX_ACK_OFF) = *mb32(MBOX_NONCE_OFF);
	mbox_on = 1;
	struct line l = { .n = 0 };
	l_text(&l, "MBOX");
	l_send(&l);
}

/* The round's records as we wrote them, and their table: the mailbox's
 * copy is published case by case, and written again from this one when
 * the round ends (a later case of the round may have scribbled over the
 * mailbox). */
static uint8_t round_recs[MBOX_OUT_CAP];
static uint32_t round_end[MBOX_BATCH_MAX], round_sum[MBOX_BATCH_MAX];

static void copy_out(uint32_t from, uint32_t to)
{
	memcpy((void *)rt_phys(MBOX_GPA + MBOX_OUT_OFF + from), round_recs + from, to - from);
}

static void put_row(uint32_t i)
{
	*mb32(MBOX_OUT_END(i)) = round_end[i];
	*mb32(MBOX_OUT_SUM(i)) = round_sum[i];
}

/* The round's next frame, from the copy of the case area: run, or
 * answered S when it arrived damaged. */
static void mbox_case(void)
{
	struct line l = { .n = 0 };
	if (mbox_pos + 2 > mbox_len || mbox_frame[mbox_pos] != SYNC0 ||
	    mbox_frame[mbox_pos + 1] != SYNC1) {
		/* The frames after it cannot be found either: each gets this. */
		l_text(&l, "S the frame arrived damaged (sync)");
		l_send(&l);
		return;
	}
	mbox_pos += 2;
	int pit = read_frame();
	if (pit >= 0)
		run_one((unsigned)pit);
}

/* Runs the round that starts at case number mbox_seq + 1, publishing each
 * record as its case ends: a case that ends or hangs the VM leaves the
 * host the records of the cases before it. */
static void mbox_round(void)
{
	uint32_t first = mbox_seq + 1, count = *mb32(MBOX_CASE_COUNT_OFF);
	uint32_t len = *mb32(MBOX_CASE_LEN_OFF);
	if (count > MBOX_BATCH_MAX)
		count = MBOX_BATCH_MAX;
	if (!count)
		count = 1;   /* damaged: answered S, the host sees the count wrong */
	/* The whole round is taken, however much of it runs: the host numbers
	 * the next round after its last case. */
	mbox_seq = first + count - 1;
	if (len > MBOX_CASE_CAP)
		len = 0;     /* damaged: every frame's sync then fails */
	memcpy(mbox_frame, (const void *)rt_phys(MBOX_GPA + MBOX_CASE_OFF), len);
	mbox_pos = 0;
	mbox_len = len;
	next = mbox_byte;
	*mb32(MBOX_OUT_DONE_OFF) = 0;
	fence();
	*mb32(MBOX_OUT_RUN_OFF) = first;
	fence();
	out_buf = round_recs;
	out_len = 0;
	uint32_t done = 0;
	for (uint32_t i = 0; i < count; i++) {
		uint32_t start = out_len;
		out_cut = 0;
		mbox_case();
		if (out_cut && i > 0) {
			out_len = start;   /* the host posts this case again, first */
			break;
		}
		round_end[i] = out_len;
		round_sum[i] = mbox_sum(first + i, round_recs + start, out_len - start);
		copy_out(start, out_len);
		put_row(i);
		fence();
		*mb32(MBOX_OUT_DONE_OFF) = done = i + 1;
	}
	out_buf = 0;
	copy_out(0, out_len);
	for (uint32_t i = 0; i < done; i++)
		put_row(i);
	*mb32(MBOX_OUT_DONE_OFF) = done;
	*mb32(MBOX_OUT_RUN_OFF) = first;
	fence();
	*mb32(MBOX_OUT_SEQ_OFF) = first;
	fence();
	if (*mb32(MBOX_HOST_WAITS))
		tx("\n", 1);
}

/* How many looks at the mailbox before sleeping on the serial line: a few
 * ms of TCG time, longer than the host takes between two cases of a run
 * (a look costs far less than a port access, which takes QEMU's big
 * lock). */
#define MBOX_SPIN 200000u

static int mbox_next_ready(void)
{
	return *mb32(MBOX_CASE_SEQ_OFF) == mbox_seq + 1;
}

/* Polls for the next mailbox case; 1 when there is one, 0 when the host
 * must ring (the flag is set and the mailbox seen empty after it). */
static int mbox_wait(void)
{
	for (unsigned i = 0; i < MBOX_SPIN; i++) {
		/* No PAUSE: TCG leaves its translated code for each one. */
		if (mbox_next_ready())
			return 1;
	}
	*mb32(MBOX_GUEST_WAITS) = 1;
	fence();
	if (mbox_next_ready()) {
		*mb32(MBOX_GUEST_WAITS) = 0;
		return 1;
	}
	return 0;
}

void rt_main(void)
{
	uart_init();
	struct line l = { .n = 0 };
	l_text(&l, "XDVMM 1");
	l_send(&l);
	rt_env_build();
	rt_platform_init();
	report_cpuid();
	l_text(&l, "READY");
	l_send(&l);
	for (;;) {
		if (mbox_on && mbox_wait()) {
			mbox_round();
			continue;
		}
		/* The serial line: a frame, or the host's doorbell. */
		uint8_t b = rx();
		if (b == 'D') {
			mbox_check_header();
			if (mbox_on) {
				*mb32(MBOX_GUEST_WAITS) = 0;
				if (mbox_next_ready())
					mbox_round();
			}
			continue;
		}
		if (b != SYNC0 || rx() != SYNC1)
			continue;
		next = rx;
		int pit = read_frame();
		if (pit >= 0)
			run_one((unsigned)pit);
	}
}

/* The runtime faulted outside a case: say so; the host restarts us. */
void rt_runtime_fault(uint64_t vector, uint64_t *frame_)
{
	struct line l = { .n = 0 };
	l_text(&l, "F runtime vector");
	l_hex(&l, vector & 0xff);
	l_hex(&l, frame_[0]);
	l_send(&l);
	rt_exit(1);
}

/* The image carries no case: the header's name table is empty. */
__attribute__((section(".tmknames"), used)) const char tmk_names[] = "";
const struct tmk_case *const tmk_cases[] = { 0 };
const unsigned tmk_ncases = 0;
