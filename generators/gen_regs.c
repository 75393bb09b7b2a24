/*
 * The register-state generator: values weighted toward the extremes and
 * bit patterns where flag and width logic goes wrong, and pointers into the
 * regions of the guest layout (core/layout.h) where exits and faults live.
 */
#include <string.h>
#include "mode.h"
#include "gen.h"
#include "layout.h"

/* Values at the edges of every operand width (SDM Vol. 1 4.2: signed and
 * unsigned ranges of byte/word/dword/qword). */
static const uint64_t interesting[] = {
	0, 1, 2, 3, 4, 7, 8, 0x10, 0x1f, 0x20, 0x3f, 0x40,
	0x7f, 0x80, 0x81, 0xfe, 0xff, 0x100,
	0x7ffe, 0x7fff, 0x8000, 0x8001, 0xfffe, 0xffff, 0x10000,
	0x7ffffffe, 0x7fffffff, 0x80000000, 0x80000001, 0xfffffffe, 0xffffffff,
	0x100000000ull, 0x100000001ull, 0xffffffff00000000ull,
	0x7fffffffffffffffull, 0x8000000000000000ull, 0x8000000000000001ull,
	0xfffffffffffffffeull, 0xffffffffffffffffull,
	0xffffffffffffff80ull, 0xffffffffffff8000ull, 0xffffffff80000000ull,
	0x5555555555555555ull, 0xaaaaaaaaaaaaaaaaull, 0x0123456789abcdefull,
	0x00ff00ff00ff00ffull, 0x8080808080808080ull,
};
#define N_INTERESTING (sizeof(interesting) / sizeof(interesting[0]))

uint64_t gen_value(struct gen_rng *r)
{
	unsigned k = gen_rng_below(r, 100);
	if (k < 40)
		return interesting[gen_rng_below(r, N_INTERESTING)];
	if (k < 48) /* interesting +- a little */
		return interesting[gen_rng_below(r, N_INTERESTING)] +
		       (uint64_t)(int64_t)((int)gen_rng_below(r, 5) - 2);
	if (k < 58) { /* bit walking: one bit set, or one bit clear */
		uint64_t b = 1ull << gen_rng_below(r, 64);
		return gen_rng_chance(r, 50) ? b : ~b;
	}
	if (k < 68) /* small */
		return gen_rng_below(r, 256);
	if (k < 78) { /* random of one width, sign-extended or not */
		static const unsigned bits[] = { 8, 16, 32 };
		unsigned w = bits[gen_rng_below(r, 3)];
		uint64_t v = gen_rng_next(r) & ((1ull << w) - 1);
		if (gen_rng_chance(r, 50) && (v >> (w - 1)) & 1)
			v |= ~0ull << w;
		return v;
	}
	if (k < 88)
		return gen_pointer(r);
	return gen_rng_next(r);
}

uint64_t gen_imm(struct gen_rng *r, unsigned bytes)
{
	uint64_t v;
	unsigned k = gen_rng_below(r, 100);
	if (k < 25)
		v = gen_rng_below(r, 16);
	else if (k < 40)
		v = ~0ull - gen_rng_below(r, 4); /* -1 .. -4 */
	else if (k < 60) { /* the sign boundary of this width */
		uint64_t sb = bytes >= 8 ? 1ull << 63 : 1ull << (8 * bytes - 1);
		v = gen_rng_chance(r, 50) ? sb : sb - 1;
	} else if (k < 80)
		v = gen_value(r);
	else
		v = gen_rng_next(r);
	return bytes >= 8 ? v : v & ((1ull << (8 * bytes)) - 1);
}

/* One region of interest: base plus an offset below span, the offset
 * sometimes pushed to an end of the region where accesses split. */
struct region {
	uint64_t base;
	uint32_t span;
	uint8_t weight;
};

static const struct region regions[] = {
	{ LAYOUT_DATA,              LAYOUT_DATA_SIZE, 24 }, /* data pages */
	{ LAYOUT_DATA + 0x0ff0,     0x20,             12 }, /* page split */
	{ LAYOUT_DATA + 0x1ff0,     0x10,              5 }, /* data end */
	{ LAYOUT_DATA - 0x10,       0x10,              2 }, /* before data */
	{ LAYOUT_MMIO,              0x40,             16 }, /* MMIO window */
	{ LAYOUT_MMIO + 0xff0,      0x10,              3 }, /* MMIO end */
	{ LAYOUT_STACK_TOP - 0x80,  0x80,              8 }, /* stack */
	{ LAYOUT_STACK,             0x10,              2 }, /* stack bottom */
	{ LAYOUT_CODE,              0x100,             4 }, /* self-modify */
	{ 0x11000,                  0x40,              3 }, /* unmapped */
	{ 0x14000,                  0x40,              3 },
	{ 0x16000,                  0x40,              3 },
	{ 0x0,                      0x1000,            3 }, /* null page */
	{ LAYOUT_GDT,               0x40,              2 }, /* RO tables */
	{ LAYOUT_IDT,               0x100,             1 },
	{ 0x0000800000000000ull,    0x10,              3 }, /* non-canonical */
	{ 0x8000000000000000ull,    0x10,              2 },
	{ 0x00007ffffffffff8ull,    0x8,               1 }, /* canonical edge */
	{ 0xffff800000000000ull,    0x8,               1 },
	{ 0x100000000ull + LAYOUT_DATA, 0x100,         1 }, /* alias above 4G */
};
#define N_REGIONS (sizeof(regions) / sizeof(regions[0]))

/* Without paging (prot32) every RAM byte is reachable: the holes are
 * plain RAM, the system area is a read-only memslot (a write is an MMIO
 * write exit that changes nothing), and every GPA at or above
 * LAYOUT_RAM_SIZE is an MMIO exit, including an access that straddles the
 * end of RAM. */
static const struct region regions32[] = {
	{ LAYOUT_DATA,              LAYOUT_DATA_SIZE, 24 }, /* data pages */
	{ LAYOUT_DATA + 0x0ff0,     0x20,             10 }, /* page split */
	{ LAYOUT_DATA + 0x1ff0,     0x10,              4 }, /* data end */
	{ LAYOUT_MMIO,              0x40,             10 }, /* MMIO window */
	{ LAYOUT_RAM_SIZE,          0x40,              6 }, /* just above RAM */
	{ LAYOUT_RAM_SIZE - 0x8,    0x8,               3 }, /* RAM/MMIO straddle */
	{ 0xfffffff0u,              0x10,              2 }, /* 4 GiB wrap */
	{ LAYOUT_STACK_TOP - 0x80,  0x80,              8 }, /* stack */
	{ LAYOUT_CODE,              0x100,             4 }, /* self-modify */
	{ 0x11000,                  0x40,              2 }, /* holes: RAM here */
	{ 0x14000,                  0x40,              2 },
	{ 0x16000,                  0x40,              2 },
	{ LAYOUT_IVT,               0x400,             2 }, /* RO system area */
	{ LAYOUT_GDT,               0x40,              2 },
	{ LAYOUT_IDT32,             0x100,             2 },
	{ LAYOUT_STUBS,             0x40,              1 },
	{ LAYOUT_PD32,              0x40,              1 },
};

/* compat32: long64's page tables with 32-bit addresses, so long64's
 * regions below 4 GiB and the 4 GiB wrap (a linear address wraps at 4 GiB
 * outside 64-bit mode, SDM Vol. 3A 3.3.7). */
static const struct region regions_compat[] = {
	{ LAYOUT_DATA,              LAYOUT_DATA_SIZE, 24 }, /* data pages */
	{ LAYOUT_DATA + 0x0ff0,     0x20,             12 }, /* page split */
	{ LAYOUT_DATA + 0x1ff0,     0x10,              5 }, /* data end */
	{ LAYOUT_MMIO,              0x40,             16 }, /* MMIO window */
	{ LAYOUT_STACK_TOP - 0x80,  0x80,              8 }, /* stack */
	{ LAYOUT_CODE,              0x100,             4 }, /* self-modify */
	{ 0x11000,                  0x40,              3 }, /* unmapped */
	{ 0x14000,                  0x40,              3 },
	{ 0x0,                      0x1000,            3 }, /* null page */
	{ LAYOUT_GDT,               0x40,              2 }, /* RO tables */
	{ LAYOUT_IDT,               0x100,             1 },
	{ 0xfffffff0u,              0x10,              2 }, /* 4 GiB wrap */
};

/* Real mode: offsets from the one segment base (REAL_SEG << 4 = 0x10000).
 * Offsets from 0x8000 up are linear 0x18000 and up: above RAM, MMIO exits.
 * A word at offset 0xffff crosses the segment limit (#GP, or #SS on the
 * stack: SDM Vol. 3B 20.1.1); 32-bit offsets past 0xffff fault the same. */
#define RO(x) ((x) - LAYOUT_CODE)
static const struct region regions16[] = {
	{ RO(LAYOUT_DATA),             LAYOUT_DATA_SIZE, 24 }, /* data pages */
	{ RO(LAYOUT_DATA) + 0x0ff0,    0x20,             10 },
	{ RO(LAYOUT_DATA) + 0x1ff0,    0x10,              4 },
	{ RO(LAYOUT_STACK_TOP) - 0x80, 0x80,              8 }, /* stack */
	{ 0x0,                         0x100,             4 }, /* code */
	{ RO(LAYOUT_RAM_SIZE),         0x8000,           12 }, /* MMIO */
	{ RO(LAYOUT_RAM_SIZE) - 0x8,   0x8,               3 }, /* straddle */
	{ 0xfff0,                      0x10,              4 }, /* limit edge */
	{ 0x1000,                      0x40,              2 }, /* holes */
	{ 0x4000,                      0x40,              2 },
	{ 0x6000,                      0x40,              2 },
	{ LAYOUT_DATA,                 0x10,              2 }, /* > 0xffff */
};
#undef RO

static uint64_t pick_region(struct gen_rng *r, const struct region *rg, size_t n)
{
	unsigned total = 0;
	for (size_t i = 0; i < n; i++)
		total += rg[i].weight;
	unsigned w = gen_rng_below(r, total);
	size_t i = 0;
	while (w >= rg[i].weight)
		w -= rg[i++].weight;
	uint64_t off = gen_rng_below(r, rg[i].span);
	/* Aligned addresses are the common case in real code. */
	if (gen_rng_chance(r, 50))
		off &= ~7ull;
	return rg[i].base + off;
}

uint64_t gen_pointer_mode(struct gen_rng *r, enum cpu_mode m)
{
	switch (m) {
	case MODE_PROT32:
	case MODE_PROT32PG:
	case MODE_PROT32PAE:
		return pick_region(r, regions32, sizeof(regions32) / sizeof(regions32[0]));
	case MODE_REAL16:
	case MODE_V86:
		return pick_region(r, regions16, sizeof(regions16) / sizeof(regions16[0]));
	case MODE_COMPAT32:
		return pick_region(r, regions_compat, sizeof(regions_compat) / sizeof(regions_compat[0]));
	default:
		return pick_region(r, regions, N_REGIONS);
	}
}

uint64_t gen_pointer(struct gen_rng *r)
{
	return gen_pointer_mode(r, (enum cpu_mode)r->mode);
}

uint16_t gen_port(struct gen_rng *r)
{
	/* Ports no device claims, one the reference may treat specially
	 * (0xe9 debug), and ones KVM's in-kernel devices may own (PIT, PIC,
	 * CMOS, PCI config) where a divergence would be KVM's doing. */
	static const uint16_t ports[] = {
		0x80, 0xe9, 0x3f8, 0x3fd, 0x40, 0x43, 0x20, 0x21, 0xa0, 0x61,
		0x70, 0x71, 0x92, 0xcf8, 0xcfc, 0xcfe, 0x510, 0x0, 0xffff, 0xfffe,
	};
	if (gen_rng_chance(r, 70))
		return ports[gen_rng_below(r, sizeof(ports) / sizeof(ports[0]))];
	return (uint16_t)gen_rng_next(r);
}

static uint64_t gen_rsp(struct gen_rng *r)
{
	/* Real mode: SP is an offset in the stack segment; its top is 0x6000
	 * (SS base 0x10000 + 0x6000 = LAYOUT_STACK_TOP). */
	uint64_t top = mode_real_segs((enum cpu_mode)r->mode) ? LAYOUT_STACK_TOP - LAYOUT_CODE
						     : LAYOUT_STACK_TOP;
	uint64_t bottom = top - (LAYOUT_STACK_TOP - LAYOUT_STACK);
	unsigned k = gen_rng_below(r, 100);
	if (k < 80)
		return top;
	if (k < 90) /* room on both sides: POP works, PUSH works */
		return top - 8 * (1 + gen_rng_below(r, 16));
	if (k < 93) /* misaligned */
		return top - 1 - gen_rng_below(r, 7);
	if (k < 96) /* at the bottom: the next PUSH faults */
		return bottom + gen_rng_below(r, 3) * 8;
	return gen_pointer(r);
}

/* An initial data image: nothing, a few bytes at the start, or both pages
 * with interesting values scattered (so the page-split and the end hold
 * something non-zero). */
static void gen_data(struct gen_rng *r, struct test_case *c)
{
	unsigned k = gen_rng_below(r, 100);
	if (k < 45) {
		c->data_len = 0;
		return;
	}
	c->data_len = k < 80 ? 8 + gen_rng_below(r, 57) : CASE_DATA_MAX;
	memset(c->data, 0, c->data_len);
	if (c->data_len < CASE_DATA_MAX) {
		for (uint32_t i = 0; i < c->data_len; i++)
			c->data[i] = (uint8_t)gen_rng_next(r);
		return;
	}
	static const uint32_t spots[] = { 0x0, 0x8, 0xff8, 0x1000, 0x1ff8 };
	for (size_t i = 0; i < sizeof(spots) / sizeof(spots[0]); i++) {
		uint64_t v = gen_value(r);
		memcpy(c->data + spots[i], &v, 8);
	}
	for (int i = 0; i < 8; i++) {
		uint64_t v = gen_value(r);
		memcpy(c->data + 8 * gen_rng_below(r, CASE_DATA_MAX / 8), &v, 8);
	}
}

void gen_regs_fill(struct gen_rng *r, struct test_case *c)
{
	for (int i = 0; i < GPR_COUNT; i++) {
		if (i == RSP) {
			c->gpr[i] = gen_rsp(r);
			continue;
		}
		unsigned k = gen_rng_below(r, 100);
		c->gpr[i] = k < 25 ? 0 : k < 70 ? gen_value(r) : gen_pointer(r);
	}
	/* A loop counter in the billions makes a LOOP or REP run until the
	 * time budget: keep RCX small most of the time. */
	if (gen_rng_chance(r, 70))
		c->gpr[RCX] = gen_rng_below(r, 17);
	uint64_t fl = gen_rng_next(r) & RFLAGS_STATUS;
	if (gen_rng_chance(r, 15))
		fl |= RFLAGS_DF;
	/* Single-step: a #DB trap after the first instruction (after each
	 * element of a REP string one), which KVM's emulator must raise
	 * itself. A small share: such a case ends after one instruction. */
	if (gen_rng_chance(r, 3))
		fl |= RFLAGS_TF;
	c->rflags = fl | RFLAGS_FIXED1;
	gen_data(r, c);
}

int gen_regs(struct gen_rng *r, struct test_case *c)
{
	gen_regs_fill(r, c);
	gen_insn_one(r, c);
	if (gen_rng_chance(r, 90))
		c->code[c->code_len++] = 0xf4; /* hlt */
	return 0;
}
