/* The reference's guest RAM between cases: only what the last case wrote,
 * and the code and data bytes that differ from case to case, are put
 * back. The whole writable part (32 KiB) rewritten for every case was
 * most of what a short case cost the reference; copying the 24 KiB
 * compare window out was the rest, so an outcome the reference filled
 * last gets only the blocks that changed since. Every guest write goes
 * through linear_access (ref_mem.c), which marks its blocks here. */
#include <string.h>
#include "ref_internal.h"

void ref_ram_track_init(struct ref_ram_track *t)
{
	memset(t, 0, sizeof(*t));
	t->unknown = 1;
}

static uint32_t min32(uint32_t a, uint32_t b)
{
	return a < b ? a : b;
}

static uint32_t max32(uint32_t a, uint32_t b)
{
	return a > b ? a : b;
}

/* Marks the blocks of guest bytes [lo, hi) of the writable part. */
static void mark(uint64_t *bits, uint32_t lo, uint32_t hi)
{
	if (lo >= hi)
		return;
	uint32_t first = (lo - LAYOUT_RW_BASE) / REF_RAM_BLOCK;
	uint32_t last = (hi - 1 - LAYOUT_RW_BASE) / REF_RAM_BLOCK;
	for (uint32_t b = first; b <= last; b++)
		bits[b / 64] |= 1ull << (b % 64);
}

/* Calls fn on each run of marked blocks, as guest bytes [lo, hi). */
static void each_run(const uint64_t *bits, void (*fn)(void *arg, uint32_t lo, uint32_t hi),
		     void *arg)
{
	for (unsigned w = 0; w < REF_RAM_WORDS; w++) {
		uint64_t left = bits[w];
		while (left) {
			unsigned first = (unsigned)__builtin_ctzll(left);
			uint64_t run = left >> first;
			unsigned n = run == ~0ull ? 64 : (unsigned)__builtin_ctzll(~run);
			uint32_t lo = LAYOUT_RW_BASE + (w * 64 + first) * REF_RAM_BLOCK;
			fn(arg, lo, lo + n * REF_RAM_BLOCK);
			left = n == 64 ? 0 : left & ~(((1ull << n) - 1) << first);
		}
	}
}

struct restore_arg {
	uint8_t *ram;
	const struct test_case *c;
};

static void restore(void *arg, uint32_t lo, uint32_t hi)
{
	const struct restore_arg *a = arg;
	layout_image_range(a->ram, lo, hi, a->c->code, a->c->code_len, a->c->data,
			   a->c->data_len);
}

void ref_ram_reset(uint8_t *ram, struct ref_ram_track *t, const struct test_case *c)
{
	uint32_t code_len = min32(c->code_len, PAGE_SIZE);
	uint32_t data_len = min32(c->data_len, LAYOUT_DATA_SIZE);
	struct restore_arg a = { ram, c };
	if (t->unknown) {
		memset(t->restored, 0xff, sizeof(t->restored));
	} else {
		/* Outside the blocks written, RAM holds the last case's image:
		 * only its code and data bytes and the new case's differ. */
		memcpy(t->restored, t->dirty, sizeof(t->restored));
		mark(t->restored, LAYOUT_CODE, LAYOUT_CODE + max32(code_len, t->code_len));
		mark(t->restored, LAYOUT_DATA, LAYOUT_DATA + max32(data_len, t->data_len));
	}
	each_run(t->restored, restore, &a);
	memset(t->dirty, 0, sizeof(t->dirty));
	t->code_len = code_len;
	t->data_len = data_len;
	t->unknown = 0;
}

struct window_arg {
	const uint8_t *ram;
	uint8_t *win;
};

static void copy_out(void *arg, uint32_t lo, uint32_t hi)
{
	const struct window_arg *a = arg;
	lo = max32(lo, LAYOUT_CMP_BASE);
	hi = min32(hi, LAYOUT_CMP_BASE + LAYOUT_CMP_SIZE);
	if (lo < hi)
		memcpy(a->win + (lo - LAYOUT_CMP_BASE), a->ram + lo, hi - lo);
}

void ref_ram_window_out(const uint8_t *ram, const struct ref_ram_track *t, uint8_t *win,
			int win_current)
{
	if (!win_current) {
		memcpy(win, ram + LAYOUT_CMP_BASE, LAYOUT_CMP_SIZE);
		return;
	}
	/* win is RAM's window as the last case ended; since then only the
	 * reset's blocks and this case's writes changed. */
	uint64_t changed[REF_RAM_WORDS];
	for (unsigned w = 0; w < REF_RAM_WORDS; w++)
		changed[w] = t->restored[w] | t->dirty[w];
	struct window_arg a = { ram, win };
	each_run(changed, copy_out, &a);
}
