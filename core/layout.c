/* Builds the guest environment described in layout.h. Freestanding C: no
 * libc, so the TMK runtime can link the very same file. */
#include "layout.h"
#include <stddef.h>

/* One row per page the layout maps (identity), with its leaf PTE flags.
 * Pages absent from this table are not present and fault. */
static const struct layout_page {
	uint64_t gva;
	uint64_t flags;
} layout_pages[] = {
	{ LAYOUT_GDT,        PTE_P | PTE_A | PTE_D | PTE_NX },
	{ LAYOUT_IDT,        PTE_P | PTE_A | PTE_D | PTE_NX },
	{ LAYOUT_STUBS,      PTE_P | PTE_A | PTE_D },
	{ LAYOUT_PML4,       PTE_P | PTE_A | PTE_D | PTE_NX },
	{ LAYOUT_PDPT,       PTE_P | PTE_A | PTE_D | PTE_NX },
	{ LAYOUT_PD,         PTE_P | PTE_A | PTE_D | PTE_NX },
	{ LAYOUT_PT,         PTE_P | PTE_A | PTE_D | PTE_NX },
	{ LAYOUT_PD_HI,      PTE_P | PTE_A | PTE_D | PTE_NX },
	{ LAYOUT_PT_HI,      PTE_P | PTE_A | PTE_D | PTE_NX },
	{ LAYOUT_CODE,       PTE_P | PTE_W | PTE_U | PTE_A | PTE_D },
	{ LAYOUT_DATA,       PTE_P | PTE_W | PTE_U | PTE_A | PTE_D | PTE_NX },
	{ LAYOUT_DATA + PAGE_SIZE, PTE_P | PTE_W | PTE_U | PTE_A | PTE_D | PTE_NX },
	{ LAYOUT_STACK,      PTE_P | PTE_W | PTE_U | PTE_A | PTE_D | PTE_NX },
	{ LAYOUT_IST,        PTE_P | PTE_W | PTE_A | PTE_D | PTE_NX },
	{ LAYOUT_MMIO,       PTE_P | PTE_W | PTE_U | PTE_A | PTE_D },
};
#define LAYOUT_NPAGES (sizeof(layout_pages) / sizeof(layout_pages[0]))

/* Non-leaf entries allow everything; the leaf decides (SDM 3A 4.6). */
#define PTE_TABLE (PTE_P | PTE_W | PTE_U | PTE_A)

static void put64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* The builtins become inline stores or the C library's vectorised
 * routines (the per-case reset is on the hot path); the freestanding TMK
 * runtime provides memset/memcpy of its own. */
static void fill(uint8_t *p, uint8_t byte, uint32_t n)
{
	__builtin_memset(p, byte, n);
}

static void copy(uint8_t *dst, const uint8_t *src, uint32_t n)
{
	if (n)
		__builtin_memcpy(dst, src, n);
}

/* Segment descriptors with the accessed bit preset (SDM 3A 3.4.5). */
static const uint64_t gdt_entries[LAYOUT_GDT_ENTRIES] = {
	[0] = 0,
	[SEL_CODE64 >> 3]  = 0x00af9b000000ffffull, /* L=1, DPL0, exec/read */
	[SEL_DATA >> 3]    = 0x00cf93000000ffffull, /* D=1, DPL0, read/write */
	/* slots 3-4: the TSS, filled in by build_tss_descriptor() */
	[SEL_CODE32 >> 3]  = 0x00cf9b000000ffffull, /* D=1, DPL0, exec/read */
	[SEL_UDATA >> 3]   = 0x00cff3000000ffffull, /* DPL3 read/write */
	[SEL_UCODE64 >> 3] = 0x00affb000000ffffull, /* L=1, DPL3 exec/read */
};

static void build_gdt_and_tss(uint8_t *ram)
{
	uint8_t *gdt = ram + LAYOUT_GDT;
	for (unsigned i = 0; i < LAYOUT_GDT_ENTRIES; i++)
		put64(gdt + 8 * i, gdt_entries[i]);

	/* 64-bit TSS descriptor, type 0xB (busy) so loading TR never writes
	 * it (SDM 3A 8.2.3). */
	uint64_t base = LAYOUT_TSS, limit = 0x67;
	uint64_t lo = (limit & 0xffff) | ((base & 0xffffff) << 16) |
		      (0x8bull << 40) | (((base >> 24) & 0xff) << 56);
	put64(gdt + (SEL_TSS & ~7u), lo);
	put64(gdt + (SEL_TSS & ~7u) + 8, base >> 32);

	/* RSP0 and IST1 both point at the exception stack; the I/O map base
	 * lies past the limit, so there is no I/O permission bitmap. */
	uint8_t *tss = ram + LAYOUT_TSS;
	fill(tss, 0, 0x68);
	put64(tss + 0x04, LAYOUT_IST_TOP);
	put64(tss + 0x24, LAYOUT_IST_TOP);
	tss[0x66] = 0x68;
}

/* v86's 32-bit TSS (SDM Vol. 3A 8.2.1, figure 8-2) in GDT slot 8: busy
 * type 0xB like the 64-bit one. ESP0 at +4 and SS0 at +8 are the stack
 * an exception from v86 switches to (the exception stack); the I/O map
 * base at +0x66 points right after the 104 bytes (SDM Vol. 1 19.5.2). */
static void build_tss32(uint8_t *ram)
{
	uint64_t base = LAYOUT_TSS32, limit = LAYOUT_TSS32_LIMIT;
	put64(ram + LAYOUT_GDT + (SEL_TSS32 & ~7u),
	      (limit & 0xffff) | ((base & 0xffffff) << 16) | (0x8bull << 40) |
	      (((base >> 24) & 0xff) << 56));
	uint8_t *tss = ram + LAYOUT_TSS32;
	fill(tss, 0, LAYOUT_TSS32_LIMIT + 1);
	put64(tss + 0x04, LAYOUT_IST_TOP);  /* ESP0; its upper half is SS0: */
	tss[0x08] = SEL_DATA;
	tss[0x66] = LAYOUT_TSS32_IOMAP;
	fill(tss + LAYOUT_TSS32_IOMAP + LAYOUT_IO_DENY_FIRST / 8, 0xff,
	     (TSS32_IO_PORTS - LAYOUT_IO_DENY_FIRST) / 8);
	/* The byte after the map: all ones (SDM Vol. 1 19.5.2); it lies
	 * past the limit here, which denies the same ports. */
}

static void build_idt_and_stubs(uint8_t *ram)
{
	uint8_t *idt = ram + LAYOUT_IDT;
	for (unsigned v = 0; v < 256; v++) {
		uint64_t off = LAYOUT_STUBS + v;
		/* #BP and #OF are reachable from CPL3 by INT3/INTO, as on an
		 * ordinary OS; every other gate is DPL0 (SDM 3A 6.12.1.1). */
		uint64_t dpl = (v == 3 || v == 4) ? 3 : 0;
		uint64_t lo = (off & 0xffff) | ((uint64_t)SEL_CODE64 << 16) |
			      (1ull << 32) /* IST1 */ |
			      ((0x8eull | (dpl << 5)) << 40) |
			      (((off >> 16) & 0xffff) << 48);
		put64(idt + 16 * v, lo);
		put64(idt + 16 * v + 8, off >> 32);
	}
	/* One HLT per vector: the vector is known from RIP after the exit,
	 * and no register is touched. */
	fill(ram + LAYOUT_STUBS, 0xf4, PAGE_SIZE);
}

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* Real mode: vector v -> REAL_STUB_SEG:v (SDM Vol. 3B 20.1.4). */
static void build_ivt(uint8_t *ram)
{
	for (unsigned v = 0; v < 256; v++)
		put32(ram + LAYOUT_IVT + 4 * v, v | ((uint32_t)REAL_STUB_SEG << 16));
}

/* 32-bit interrupt gates (type 0xE) to the same stubs through the 32-bit
 * code segment; no privilege change, so no stack switch (SDM 3A 6.11,
 * 6.12.1). DPL as in the 64-bit IDT. */
static void build_idt32(uint8_t *ram)
{
	for (unsigned v = 0; v < 256; v++) {
		uint32_t off = LAYOUT_STUBS + v;
		uint32_t dpl = (v == 3 || v == 4) ? 3 : 0;
		put32(ram + LAYOUT_IDT32 + 8 * v, (off & 0xffff) | ((uint32_t)SEL_CODE32 << 16));
		put32(ram + LAYOUT_IDT32 + 8 * v + 4,
		      (off & 0xffff0000u) | ((0x8eu | (dpl << 5)) << 8));
	}
}

/* 32-bit paging (SDM 3A 4.3): the same pages and flags as the 4-level
 * tables, without NX, which 32-bit paging does not have. */
static void build_page_tables32(uint8_t *ram)
{
	for (uint32_t a = LAYOUT_PD32; a < LAYOUT_PT32_HI + PAGE_SIZE; a += PAGE_SIZE)
		fill(ram + a, 0, PAGE_SIZE);
	put32(ram + LAYOUT_PD32, LAYOUT_PT32 | (uint32_t)PTE_TABLE);
	put32(ram + LAYOUT_PD32 + 4 * (LAYOUT_MMIO >> 22), LAYOUT_PT32_HI | (uint32_t)PTE_TABLE);
	for (unsigned i = 0; i < LAYOUT_NPAGES; i++) {
		uint32_t gva = (uint32_t)layout_pages[i].gva;
		uint32_t pt = gva >= 0x400000u ? LAYOUT_PT32_HI : LAYOUT_PT32;
		put32(ram + pt + 4 * ((gva >> 12) & 1023), gva | (uint32_t)layout_pages[i].flags);
	}
	/* The IDT32 must be mapped for any exception to be delivered with
	 * paging on (SDM 3A 6.10: the IDT base is linear); read-only. */
	put32(ram + LAYOUT_PT32 + 4 * (LAYOUT_IDT32 >> 12),
	      LAYOUT_IDT32 | (uint32_t)(PTE_P | PTE_A | PTE_D));
}

/* PAE paging (SDM 3A 4.4): the 4-level tables' pages and flags below a
 * PDPT of four entries (P only: a PDPTE's other low bits are reserved,
 * 4.4.1), with their own PD and PT because the IDT32 must be mapped
 * here and must not be in long mode. The MMIO window's PD_HI and PT_HI
 * are shared. */
static void build_page_tables_pae(uint8_t *ram)
{
	fill(ram + LAYOUT_PDPT_PAE, 0, 32);
	fill(ram + LAYOUT_PD_PAE, 0, 2 * PAGE_SIZE);
	put64(ram + LAYOUT_PDPT_PAE, LAYOUT_PD_PAE | PTE_P);
	put64(ram + LAYOUT_PDPT_PAE + 8 * ((uint64_t)LAYOUT_MMIO >> 30), LAYOUT_PD_HI | PTE_P);
	put64(ram + LAYOUT_PD_PAE, LAYOUT_PT_PAE | PTE_TABLE);
	for (unsigned i = 0; i < LAYOUT_NPAGES; i++) {
		uint64_t gva = layout_pages[i].gva;
		if (gva < 0x200000u)
			put64(ram + LAYOUT_PT_PAE + 8 * (gva >> 12), gva | layout_pages[i].flags);
	}
	put64(ram + LAYOUT_PT_PAE + 8 * (LAYOUT_IDT32 >> 12),
	      LAYOUT_IDT32 | PTE_P | PTE_A | PTE_D | PTE_NX);
}

static void build_page_tables(uint8_t *ram)
{
	for (uint32_t a = LAYOUT_PML4; a < LAYOUT_PT_HI + PAGE_SIZE; a += PAGE_SIZE)
		fill(ram + a, 0, PAGE_SIZE);
	put64(ram + LAYOUT_PML4, LAYOUT_PDPT | PTE_TABLE);
	put64(ram + LAYOUT_PDPT + 8 * 0, LAYOUT_PD | PTE_TABLE);
	put64(ram + LAYOUT_PDPT + 8 * ((uint64_t)LAYOUT_MMIO >> 30),
	      LAYOUT_PD_HI | PTE_TABLE);
	put64(ram + LAYOUT_PD, LAYOUT_PT | PTE_TABLE);
	put64(ram + LAYOUT_PD_HI + 8 * (((uint64_t)LAYOUT_MMIO >> 21) & 511),
	      LAYOUT_PT_HI | PTE_TABLE);
	for (unsigned i = 0; i < LAYOUT_NPAGES; i++) {
		uint64_t gva = layout_pages[i].gva;
		uint32_t pt = gva >= 0x40000000u ? LAYOUT_PT_HI : LAYOUT_PT;
		put64(ram + pt + 8 * ((gva >> 12) & 511), gva | layout_pages[i].flags);
	}
}

void layout_build(uint8_t *ram)
{
	fill(ram, 0, LAYOUT_RW_BASE);
	build_gdt_and_tss(ram);
	build_tss32(ram);
	build_idt_and_stubs(ram);
	build_page_tables(ram);
	build_ivt(ram);
	build_idt32(ram);
	build_page_tables32(ram);
	build_page_tables_pae(ram);
}

/* The unmapped pages between the writable ones: no guest access reaches
 * them, so only layout_clear_holes() touches them. */
static const uint32_t rw_holes[] = {
	LAYOUT_CODE + PAGE_SIZE, LAYOUT_DATA + LAYOUT_DATA_SIZE, LAYOUT_STACK_TOP,
};
#define RW_NHOLES (sizeof(rw_holes) / sizeof(rw_holes[0]))

/* Code page then data pages, at their offsets from base (base stands for
 * guest address LAYOUT_CODE). */
static void put_code_and_data(uint8_t *base, const uint8_t *code, uint32_t code_len,
			      const uint8_t *data, uint32_t data_len)
{
	if (code_len > PAGE_SIZE)
		code_len = PAGE_SIZE;
	if (data_len > LAYOUT_DATA_SIZE)
		data_len = LAYOUT_DATA_SIZE;
	copy(base, code, code_len);
	fill(base + code_len, 0xf4, PAGE_SIZE - code_len);
	copy(base + (LAYOUT_DATA - LAYOUT_CODE), data, data_len);
	fill(base + (LAYOUT_DATA - LAYOUT_CODE) + data_len, 0, LAYOUT_DATA_SIZE - data_len);
}

void layout_reset_rw(uint8_t *ram, const uint8_t *code, uint32_t code_len,
		     const uint8_t *data, uint32_t data_len)
{
	put_code_and_data(ram + LAYOUT_CODE, code, code_len, data, data_len);
	fill(ram + LAYOUT_STACK, 0, PAGE_SIZE);
	fill(ram + LAYOUT_IST, 0, PAGE_SIZE);
}

void layout_clear_holes(uint8_t *ram)
{
	for (unsigned i = 0; i < RW_NHOLES; i++)
		fill(ram + rw_holes[i], 0, PAGE_SIZE);
}

void layout_image_range(uint8_t *ram, uint32_t lo, uint32_t hi, const uint8_t *code,
			uint32_t code_len, const uint8_t *data, uint32_t data_len)
{
	if (code_len > PAGE_SIZE)
		code_len = PAGE_SIZE;
	if (data_len > LAYOUT_DATA_SIZE)
		data_len = LAYOUT_DATA_SIZE;
	/* The image in address order: each piece copied from src, or filled
	 * with byte where src is NULL. The writable part begins with the
	 * code page. */
	_Static_assert(LAYOUT_CODE == LAYOUT_RW_BASE, "the image starts at the code page");
	const struct {
		uint32_t start, end;
		const uint8_t *src;
		uint8_t byte;
	} piece[] = {
		{ LAYOUT_CODE, LAYOUT_CODE + code_len, code, 0 },
		{ LAYOUT_CODE + code_len, LAYOUT_CODE + PAGE_SIZE, NULL, 0xf4 },
		{ LAYOUT_CODE + PAGE_SIZE, LAYOUT_DATA, NULL, 0 },
		{ LAYOUT_DATA, LAYOUT_DATA + data_len, data, 0 },
		{ LAYOUT_DATA + data_len, LAYOUT_RAM_SIZE, NULL, 0 },
	};
	for (unsigned i = 0; i < sizeof(piece) / sizeof(piece[0]); i++) {
		uint32_t l = lo > piece[i].start ? lo : piece[i].start;
		uint32_t h = hi < piece[i].end ? hi : piece[i].end;
		if (l >= h)
			continue;
		if (piece[i].src)
			copy(ram + l, piece[i].src + (l - piece[i].start), h - l);
		else
			fill(ram + l, piece[i].byte, h - l);
	}
}

void layout_case_window(uint8_t *win, const uint8_t *code, uint32_t code_len,
			const uint8_t *data, uint32_t data_len)
{
	fill(win, 0, LAYOUT_CMP_SIZE);
	put_code_and_data(win + (LAYOUT_CODE - LAYOUT_CMP_BASE), code, code_len, data, data_len);
}

uint64_t layout_page_flags(uint64_t gva)
{
	for (unsigned i = 0; i < LAYOUT_NPAGES; i++)
		if (layout_pages[i].gva == (gva & ~(uint64_t)(PAGE_SIZE - 1)))
			return layout_pages[i].flags;
	return 0;
}

int layout_runtime_patched(uint64_t gpa, unsigned len)
{
	/* Ranges of whole entries; the IDT's gates below, byte by byte. */
	static const struct { uint32_t lo, hi; } ranges[] = {
		{ LAYOUT_IVT + 4 * 2, LAYOUT_IVT + 4 * 3 },           /* vector 2 */
		{ LAYOUT_IDT32 + 8 * 2, LAYOUT_IDT32 + 8 * 2 + 2 },   /* gate 2, offset 15:0 */
		{ LAYOUT_IDT32 + 8 * 2 + 6, LAYOUT_IDT32 + 8 * 3 },   /* offset 31:16 */
		{ LAYOUT_PML4 + 8 * 256, LAYOUT_PML4 + 8 * 257 },     /* the trampoline's slot */
		{ LAYOUT_PT32 + 4 * 256, LAYOUT_PT32 + PAGE_SIZE },   /* 1-4 MiB */
		{ LAYOUT_PT_PAE + 8 * 256, LAYOUT_PT_PAE + PAGE_SIZE }, /* 1-2 MiB */
		{ LAYOUT_PD_PAE + 8 * 1, LAYOUT_PD_PAE + 8 * 2 },     /* 2-4 MiB, a 2 MiB page */
	};
	uint64_t end = gpa + len;
	if (gpa >= LAYOUT_RW_BASE)
		return 0;
	for (unsigned i = 0; i < sizeof(ranges) / sizeof(ranges[0]); i++)
		if (gpa < ranges[i].hi && end > ranges[i].lo)
			return 1;
	/* Each 16-byte gate: offset 15:0 at bytes 0-1, 63:16 at 6-11. */
	for (uint64_t a = gpa; a < end; a++)
		if (a >= LAYOUT_IDT && a < LAYOUT_IDT + PAGE_SIZE &&
		    ((a & 15) < 2 || ((a & 15) >= 6 && (a & 15) < 12)))
			return 1;
	return 0;
}
