/* The reference's page walk, #PF error codes, canonical checks, MMIO
 * events and split accesses, checked directly on a private guest RAM built
 * with layout_build(). Expected values come from layout.h and SDM Vol. 3A
 * 4.5-4.7, not from the walker. */
#include <string.h>
#include "check.h"
#include "ref_internal.h"

static uint8_t ram[LAYOUT_RAM_SIZE];
static struct outcome out;
static struct test_case tc;
static struct ref_cpu cpu;

static void fresh(void)
{
	layout_build(ram);
	layout_reset_rw(ram, NULL, 0, NULL, 0);
	case_init(&tc);
	outcome_init(&out);
	ref_cpu_reset(&cpu, &tc, ram, &out);
}

static void put64(uint64_t gpa, uint64_t v)
{
	memcpy(ram + gpa, &v, 8);
}

static void check_walk(const char *what, uint64_t la, enum ref_access acc,
		       int want_ok, uint64_t want_gpa, uint32_t want_pfec)
{
	uint64_t gpa = ~0ull;
	uint32_t pfec = ~0u;
	int r = ref_translate(&cpu, la, acc, &gpa, &pfec);
	if (want_ok) {
		CHECK(r == 0, "%s: 0x%llx translates", what, (unsigned long long)la);
		CHECK_EQ_U64(gpa, want_gpa, what);
	} else {
		CHECK(r < 0, "%s: 0x%llx faults", what, (unsigned long long)la);
		CHECK_EQ_U64(pfec, want_pfec, what);
	}
}

static void check_exception(const char *what, unsigned vector, uint32_t ec, uint64_t cr2)
{
	const struct exit_event *t = outcome_terminal(&out);
	CHECK(t && t->kind == EXIT_EXCEPTION, "%s: ends in an exception", what);
	if (!t)
		return;
	CHECK_EQ_U64(t->addr, vector, "  vector");
	CHECK_EQ_U64(t->has_error_code, 1, "  has error code");
	CHECK_EQ_U64(t->error_code, ec, "  error code");
	CHECK_EQ_U64(t->cr2, cr2, "  event cr2");
}

/* PAE paging (prot32-pae, SDM Vol. 3A 4.4): the PDPT at CR3 picks one
 * of four GiBs, then PD and PT with 8-byte entries and NX under
 * EFER.NXE; the IDT32 is mapped (read-only) as 32-bit paging maps it. */
static void pae_walk(void)
{
	fresh();
	struct mode_env env;
	mode_env_init(&env, MODE_PROT32PAE, 0);
	cpu.cr0 = env.cr0;
	cpu.cr3 = env.cr3;
	cpu.cr4 = env.cr4;
	cpu.efer = env.efer;
	CHECK_EQ_U64(cpu.cr3, LAYOUT_PDPT_PAE, "prot32-pae: CR3 is the PAE PDPT");
	CHECK((cpu.efer & (1ull << 10)) == 0, "prot32-pae: EFER.LMA clear");
	check_walk("pae: code fetch", LAYOUT_CODE + 4, REF_ACC_FETCH, 1, LAYOUT_CODE + 4, 0);
	check_walk("pae: data write", LAYOUT_DATA + 0x1ff8, REF_ACC_WRITE, 1, LAYOUT_DATA + 0x1ff8, 0);
	check_walk("pae: data fetch (NX)", LAYOUT_DATA, REF_ACC_FETCH, 0, 0, PFEC_P | PFEC_ID);
	check_walk("pae: IDT32 read", LAYOUT_IDT32 + 8 * 14, REF_ACC_READ, 1, LAYOUT_IDT32 + 8 * 14, 0);
	check_walk("pae: IDT32 write (RO, WP=1)", LAYOUT_IDT32, REF_ACC_WRITE, 0, 0, PFEC_P | PFEC_W);
	check_walk("pae: 0x11000 read", 0x11000, REF_ACC_READ, 0, 0, 0);
	check_walk("pae: MMIO write (PDPTE 3, PD_HI)", LAYOUT_MMIO + 8, REF_ACC_WRITE, 1,
		   LAYOUT_MMIO + 8, 0);
	check_walk("pae: 1 GiB read (PDPTE 1 not present)", 0x40000000u, REF_ACC_READ, 0, 0, 0);
	check_walk("pae: 2 MiB fetch (no PDE)", 0x200000u, REF_ACC_FETCH, 0, 0, PFEC_ID);
	/* A PDPTE restricts nothing: the leaf's R/W and U/S decide. With
	 * PDPTE 0 not present every low address faults P=0. */
	put64(LAYOUT_PDPT_PAE, 0);
	check_walk("pae: code fetch, PDPTE 0 gone", LAYOUT_CODE, REF_ACC_FETCH, 0, 0, PFEC_ID);
	fresh();
}

int main(void)
{
	fresh();
	/* Identity mapping of every layout page, unmapped pages fault with
	 * P=0 and the access bits. */
	check_walk("code read", LAYOUT_CODE + 0x123, REF_ACC_READ, 1, LAYOUT_CODE + 0x123, 0);
	check_walk("code fetch", LAYOUT_CODE, REF_ACC_FETCH, 1, LAYOUT_CODE, 0);
	check_walk("data1 write", LAYOUT_DATA + 0x1ff8, REF_ACC_WRITE, 1, LAYOUT_DATA + 0x1ff8, 0);
	check_walk("stub fetch", LAYOUT_STUBS + 14, REF_ACC_FETCH, 1, LAYOUT_STUBS + 14, 0);
	check_walk("mmio write", LAYOUT_MMIO + 8, REF_ACC_WRITE, 1, LAYOUT_MMIO + 8, 0);
	check_walk("null page read", 0x10, REF_ACC_READ, 0, 0, 0);
	check_walk("0x11000 write", 0x11000, REF_ACC_WRITE, 0, 0, PFEC_W);
	check_walk("0x14000 fetch", 0x14000, REF_ACC_FETCH, 0, 0, PFEC_ID);
	check_walk("0x16000 read (above stack)", 0x16000, REF_ACC_READ, 0, 0, 0);
	check_walk("4 GiB read (no PDPT entry)", 0x100000000ull, REF_ACC_READ, 0, 0, 0);
	check_walk("GDT read", LAYOUT_GDT, REF_ACC_READ, 1, LAYOUT_GDT, 0);
	check_walk("GDT write (RO, WP=1)", LAYOUT_GDT + 8, REF_ACC_WRITE, 0, 0, PFEC_P | PFEC_W);
	check_walk("PML4 write", LAYOUT_PML4, REF_ACC_WRITE, 0, 0, PFEC_P | PFEC_W);
	check_walk("data fetch (NX)", LAYOUT_DATA, REF_ACC_FETCH, 0, 0, PFEC_P | PFEC_ID);
	check_walk("stack fetch (NX)", LAYOUT_STACK, REF_ACC_FETCH, 0, 0, PFEC_P | PFEC_ID);

	/* CR0.WP=0: a supervisor write ignores R/W (SDM Vol. 3A 4.6.1). */
	cpu.cr0 &= ~(1ull << 16);
	check_walk("GDT write with WP=0", LAYOUT_GDT + 8, REF_ACC_WRITE, 1, LAYOUT_GDT + 8, 0);
	cpu.cr0 |= 1ull << 16;
	/* EFER.NXE=0: XD is a reserved bit, so the NX data page now faults
	 * on any access with RSVD, and fetches no longer report I/D. */
	cpu.efer &= ~(1ull << 11);
	check_walk("data read with NXE=0", LAYOUT_DATA, REF_ACC_READ, 0, 0, PFEC_P | PFEC_RSVD);
	check_walk("code fetch with NXE=0", LAYOUT_CODE, REF_ACC_FETCH, 1, LAYOUT_CODE, 0);
	check_walk("unmapped fetch with NXE=0", 0x11000, REF_ACC_FETCH, 0, 0, 0);
	cpu.efer |= 1ull << 11;

	/* Reserved physical-address bits (MAXPHYADDR 46 -> bits 51:46). */
	cpu.pte_rsvd = ((1ull << 52) - 1) & ~((1ull << 46) - 1);
	put64(LAYOUT_PT + 8 * 0x12, LAYOUT_DATA | PTE_P | PTE_W | (1ull << 47));
	check_walk("leaf with bit 47 set", LAYOUT_DATA, REF_ACC_READ, 0, 0, PFEC_P | PFEC_RSVD);
	check_walk("same, write", LAYOUT_DATA, REF_ACC_WRITE, 0, 0, PFEC_P | PFEC_RSVD | PFEC_W);
	fresh();

	/* Large pages: a 2 MiB PDE and a 1 GiB PDPTE, both mapping GPA 0. */
	put64(LAYOUT_PD + 8 * 1, 0 | PTE_P | PTE_W | PTE_PS);
	check_walk("2 MiB page", 0x200000 + 0x5123, REF_ACC_READ, 1, 0x5123, 0);
	put64(LAYOUT_PD + 8 * 2, 0x2000 | PTE_P | PTE_W | PTE_PS); /* bit 13 reserved */
	check_walk("2 MiB page with bit 13", 0x400000, REF_ACC_READ, 0, 0, PFEC_P | PFEC_RSVD);
	put64(LAYOUT_PDPT + 8 * 2, 0 | PTE_P | PTE_PS);
	check_walk("1 GiB page", 0x80000000ull + 0x12345, REF_ACC_READ, 1, 0x12345, 0);
	check_walk("1 GiB RO page write", 0x80000000ull, REF_ACC_WRITE, 0, 0, PFEC_P | PFEC_W);
	put64(LAYOUT_PML4 + 8 * 1, LAYOUT_PDPT | PTE_P | PTE_PS); /* PS in a PML4E */
	check_walk("PML4E with PS", 1ull << 39, REF_ACC_READ, 0, 0, PFEC_P | PFEC_RSVD);
	/* XD on a non-leaf entry forbids fetches below it (SDM 3A 4.6). */
	put64(LAYOUT_PD, LAYOUT_PT | PTE_P | PTE_W | PTE_U | PTE_NX);
	check_walk("code fetch under an NX PDE", LAYOUT_CODE, REF_ACC_FETCH, 0, 0, PFEC_P | PFEC_ID);
	fresh();

	/* Accesses through ref_mem_*: faults end in an exception event. */
	uint64_t v = 0;
	CHECK(ref_mem_read(&cpu, SEG_DS, 0x11000, 4, &v) < 0, "read of 0x11000 fails");
	check_exception("read of 0x11000", 14, 0, 0x11000);
	CHECK_EQ_U64(cpu.cr2, 0x11000, "  cpu cr2");
	CHECK(cpu.rflags & RFLAGS_RF, "  fault sets RF in the reported RFLAGS");
	fresh();
	CHECK(ref_mem_write(&cpu, SEG_DS, LAYOUT_GDT + 0x10, 8, 0) < 0, "write to the GDT fails");
	check_exception("write to the RO GDT page", 14, PFEC_P | PFEC_W, LAYOUT_GDT + 0x10);
	fresh();
	CHECK(ref_mem_read(&cpu, SEG_DS, 0x0000800000000000ull, 8, &v) < 0, "non-canonical read");
	check_exception("non-canonical DS read", 13, 0, 0);
	fresh();
	CHECK(ref_mem_write(&cpu, SEG_SS, 0xffff7fffffffff00ull, 8, 0) < 0, "non-canonical SS write");
	check_exception("non-canonical SS write", 12, 0, 0);
	fresh();
	/* Crossing the canonical boundary: the last byte decides. */
	CHECK(ref_mem_read(&cpu, SEG_DS, 0x00007ffffffffffeull, 4, &v) < 0, "read across the canonical edge");
	check_exception("read across the canonical edge", 13, 0, 0);

	/* MMIO: one event per access, reads answered with all ones. */
	fresh();
	CHECK(ref_mem_read(&cpu, SEG_DS, LAYOUT_MMIO + 4, 4, &v) == 0, "MMIO read succeeds");
	CHECK_EQ_U64(v, 0xffffffffu, "MMIO read value");
	CHECK_EQ_U64(out.n_events, 1, "MMIO read: one event");
	CHECK_EQ_U64(out.events[0].kind, EXIT_MMIO, "  kind mmio");
	CHECK_EQ_U64(out.events[0].dir, DIR_IN, "  dir in");
	CHECK_EQ_U64(out.events[0].size, 4, "  size");
	CHECK_EQ_U64(out.events[0].addr, LAYOUT_MMIO + 4, "  gpa");
	CHECK_EQ_U64(out.events[0].data, 0xffffffffu, "  data");
	CHECK(ref_mem_write(&cpu, SEG_DS, LAYOUT_MMIO + 0x10, 2, 0xbeef) == 0, "MMIO write succeeds");
	CHECK_EQ_U64(out.n_events, 2, "MMIO write: second event");
	CHECK_EQ_U64(out.events[1].dir, DIR_OUT, "  dir out");
	CHECK_EQ_U64(out.events[1].size, 2, "  size");
	CHECK_EQ_U64(out.events[1].data, 0xbeef, "  data");
	/* Split at the end of the MMIO page: the next page is unmapped, so
	 * the whole access faults and no event is produced. */
	CHECK(ref_mem_write(&cpu, SEG_DS, LAYOUT_MMIO + 0xffe, 4, 1) < 0, "MMIO write into the unmapped page");
	CHECK_EQ_U64(out.n_events, 3, "  only the #PF was added");
	check_exception("MMIO split write", 14, PFEC_W, LAYOUT_MMIO + 0x1000);

	/* Split across data page 0/1 works; across data page 1 and the
	 * unmapped page faults and writes nothing. */
	fresh();
	CHECK(ref_mem_write(&cpu, SEG_DS, LAYOUT_DATA + 0xffe, 4, 0x44332211) == 0, "split write data0/1");
	CHECK_EQ_U64(ram[LAYOUT_DATA + 0xffe], 0x11, "  byte in page 0");
	CHECK_EQ_U64(ram[LAYOUT_DATA + 0x1001], 0x44, "  byte in page 1");
	CHECK(ref_mem_read(&cpu, SEG_DS, LAYOUT_DATA + 0xffd, 8, &v) == 0, "split read data0/1");
	CHECK_EQ_U64(v, 0x0000004433221100ull, "  value");
	CHECK_EQ_U64(out.n_events, 0, "  no events for RAM");
	CHECK(strcmp(out.writer_mem, "") == 0, "writer_mem stays empty without an instruction");
	CHECK(ref_mem_write(&cpu, SEG_DS, LAYOUT_DATA + 0x1ffe, 4, 0xaabbccdd) < 0, "split write data1/unmapped");
	check_exception("split write data1/unmapped", 14, PFEC_W, LAYOUT_DATA + 0x2000);
	CHECK(ram[LAYOUT_DATA + 0x1ffe] == 0 && ram[LAYOUT_DATA + 0x1fff] == 0, "  nothing written");

	/* Instruction fetch: stops at the first unfetchable byte. */
	fresh();
	uint8_t buf[15];
	uint64_t fla = 0;
	CHECK_EQ_U64(ref_fetch(&cpu, LAYOUT_CODE + 0xffa, buf, 15, &fla), 6, "fetch at page end: 6 bytes");
	CHECK_EQ_U64(fla, LAYOUT_CODE + 0x1000, "  stops at 0x11000");
	CHECK_EQ_U64(buf[0], 0xf4, "  padding is HLT");
	CHECK_EQ_U64(ref_fetch(&cpu, LAYOUT_DATA, buf, 15, &fla), 0, "fetch from NX data: 0 bytes");
	CHECK_EQ_U64(ref_fetch(&cpu, LAYOUT_MMIO, buf, 15, &fla), 0, "fetch from MMIO: 0 bytes");
	pae_walk();
	return check_done("test_ref_mem");
}
