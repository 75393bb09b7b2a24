/* The reference's guest RAM between cases: only what the last case wrote,
 * and the code and data bytes that differ from case to case, are put
 * back. The whole writable part (32 KiB) rewritten for every case was
 * most of what a short case cost the reference. Every guest write goes
 * through linear_access (ref_mem.c), which marks its blocks here. */
#include <string.h>
#include "ref_internal.h"

void ref_ram_track_init(struct ref_ram_track *t)
{
	memset(t, 0, sizeof(*t));
	t->unknown = 1;
}

/* [lo, hi) of the image of c, a byte range in guest addresses. */
static void restore(uint8_t *ram, const struct test_case *c, uint32_t lo, uint32_t hi)
{
	layout_image_range(ram, lo, hi, c->code, c->code_len, c->data, c->data_len);
}

static uint32_t clamp(uint32_t n, uint32_t max)
{
	return n < max ? n : max;
}

void ref_ram_reset(uint8_t *ram, struct ref_ram_track *t, const struct test_case *c)
{
	uint32_t code_len = clamp(c->code_len, PAGE_SIZE);
	uint32_t data_len = clamp(c->data_len, LAYOUT_DATA_SIZE);
	if (t->unknown) {
		restore(ram, c, LAYOUT_RW_BASE, LAYOUT_RAM_SIZE);
	} else {
		/* Outside the blocks written, RAM holds the last case's image:
		 * only its code and data bytes and the new case's differ. */
		restore(ram, c, LAYOUT_CODE, LAYOUT_CODE + (code_len > t->code_len ?
							   code_len : t->code_len));
		restore(ram, c, LAYOUT_DATA, LAYOUT_DATA + (data_len > t->data_len ?
							   data_len : t->data_len));
		for (unsigned w = 0; w < REF_RAM_WORDS; w++) {
			uint64_t bits = t->dirty[w];
			while (bits) {
				/* One run of written blocks at a time. */
				unsigned first = (unsigned)__builtin_ctzll(bits);
				uint64_t run = bits >> first;
				unsigned n = run == ~0ull ? 64 : (unsigned)__builtin_ctzll(~run);
				uint32_t lo = LAYOUT_RW_BASE + (w * 64 + first) * REF_RAM_BLOCK;
				restore(ram, c, lo, lo + n * REF_RAM_BLOCK);
				bits &= n == 64 ? 0 : ~(((1ull << n) - 1) << first);
			}
		}
	}
	memset(t->dirty, 0, sizeof(t->dirty));
	t->code_len = code_len;
	t->data_len = data_len;
	t->unknown = 0;
}
