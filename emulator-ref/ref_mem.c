/* Linear memory: canonical check, the 4-level page walk, RAM and MMIO.
 *
 * Order of checks for one access (what KVM's emulator and the SDM agree on):
 *   1. canonical check of the first and last byte (SDM Vol. 1 3.3.7.1):
 *      #SS(0) for stack-segment references, #GP(0) otherwise;
 *   2. translate every page the access touches before touching any of them,
 *      so an access split across a page boundary is all-or-nothing;
 *   3. per page fragment: RAM is read/written directly, any GPA outside
 *      RAM (the MMIO window, or a page-table target with no memslot) is an
 *      MMIO exit, one event per fragment as KVM splits them. */
#include <string.h>
#include "ref_internal.h"

/* Reserved bits of large-page leaves: a 1 GiB PDPTE's bits 29:13 and a
 * 2 MiB PDE's bits 20:13 (bit 12 is PAT). SDM Vol. 3A 4.5.4, table 4-16. */
#define RSVD_1G 0x3fffe000ull
#define RSVD_2M 0x001fe000ull

static int read_entry(const struct ref_cpu *cpu, uint64_t gpa, uint64_t *e)
{
	/* A paging structure outside RAM reads as not present: nothing in
	 * the layout points there, and a case cannot change the tables. */
	if (gpa > LAYOUT_RAM_SIZE - 8) {
		*e = 0;
		return -1;
	}
	memcpy(e, cpu->ram + gpa, 8);
	return 0;
}

int ref_translate(const struct ref_cpu *cpu, uint64_t la, enum ref_access acc,
		  uint64_t *gpa, uint32_t *pfec)
{
	const int nxe = (cpu->efer & (1u << 11)) != 0;
	/* Error code bits that depend only on the access (SDM Vol. 3A 4.7):
	 * W/R for writes, I/D for fetches when NXE is on; U/S is 0 at CPL0. */
	uint32_t acc_bits = 0;
	if (acc == REF_ACC_WRITE)
		acc_bits |= PFEC_W;
	if (acc == REF_ACC_FETCH && nxe)
		acc_bits |= PFEC_ID;

	uint64_t table = cpu->cr3 & PTE_ADDR_MASK;
	uint64_t writable = PTE_W, no_exec = 0;
	for (int level = 4, shift = 39; level >= 1; level--, shift -= 9) {
		uint64_t e;
		read_entry(cpu, table + 8 * ((la >> shift) & 511), &e);
		if (!(e & PTE_P)) {
			*pfec = acc_bits;
			return -1;
		}
		int leaf = level == 1 || ((level == 2 || level == 3) && (e & PTE_PS));
		uint64_t rsvd = e & cpu->pte_rsvd;
		if (!nxe)
			rsvd |= e & PTE_NX;
		if (level == 4)
			rsvd |= e & PTE_PS;
		if (leaf && level == 3)
			rsvd |= e & RSVD_1G;
		if (leaf && level == 2)
			rsvd |= e & RSVD_2M;
		if (rsvd) {
			*pfec = PFEC_P | PFEC_RSVD | acc_bits;
			return -1;
		}
		/* Rights are the intersection over all levels (SDM 3A 4.6). */
		writable &= e;
		if (nxe)
			no_exec |= e & PTE_NX;
		if (leaf) {
			uint64_t off_mask = (1ull << shift) - 1;
			*gpa = (e & PTE_ADDR_MASK & ~off_mask) | (la & off_mask);
			break;
		}
		table = e & PTE_ADDR_MASK;
	}
	/* CPL0: writes need W everywhere only when CR0.WP=1; U/S does not
	 * restrict supervisor accesses because CR4.SMEP/SMAP are off. */
	if (acc == REF_ACC_WRITE && (cpu->cr0 & (1u << 16)) && !(writable & PTE_W)) {
		*pfec = PFEC_P | acc_bits;
		return -1;
	}
	if (acc == REF_ACC_FETCH && no_exec) {
		*pfec = PFEC_P | acc_bits;
		return -1;
	}
	return 0;
}

/* One access: canonical check, translate all pages, then RAM/MMIO per page
 * fragment. buf holds the little-endian bytes (written for reads). walk is
 * the intent the pages are translated with: the read of a read-modify-write
 * operand walks as a write, so a not-present or read-only page faults with
 * W=1 before anything is read (measured on Intel hardware: ADD to a
 * not-present page reports error code W, CMP does not; SDM Vol. 3A 4.7). */
static int mem_access(struct ref_cpu *cpu, enum ref_seg seg, uint64_t la,
		      unsigned size, enum ref_access acc, enum ref_access walk,
		      uint8_t *buf)
{
	uint64_t last = la + size - 1;
	if (!ref_canonical(la) || !ref_canonical(last)) {
		/* Error code 0 for both (SDM Vol. 3A 6.15, #GP and #SS). */
		ref_raise(cpu, seg == SEG_SS ? 12 : 13, 1, 0);
		return -1;
	}
	unsigned n1 = PAGE_SIZE - (unsigned)(la & (PAGE_SIZE - 1));
	if (n1 > size)
		n1 = size;
	uint64_t gpa[2];
	unsigned len[2] = { n1, size - n1 };
	uint64_t frag_la[2] = { la, la + n1 };
	unsigned nfrag = len[1] ? 2 : 1;
	for (unsigned f = 0; f < nfrag; f++) {
		uint32_t pfec;
		if (ref_translate(cpu, frag_la[f], walk, &gpa[f], &pfec) < 0) {
			ref_raise_pf(cpu, frag_la[f], pfec);
			return -1;
		}
	}
	unsigned off = 0;
	for (unsigned f = 0; f < nfrag; off += len[f], f++) {
		if (ref_gpa_is_ram(gpa[f], len[f])) {
			if (acc == REF_ACC_WRITE)
				memcpy(cpu->ram + gpa[f], buf + off, len[f]);
			else
				memcpy(buf + off, cpu->ram + gpa[f], len[f]);
			continue;
		}
		struct exit_event e = {
			.kind = EXIT_MMIO, .size = (uint8_t)len[f], .addr = gpa[f],
			.dir = acc == REF_ACC_WRITE ? DIR_OUT : DIR_IN,
		};
		if (acc != REF_ACC_WRITE)
			memset(buf + off, ENV_MMIO_READ_BYTE, len[f]);
		for (unsigned i = 0; i < len[f]; i++)
			e.data |= (uint64_t)buf[off + i] << (8 * i);
		if (ref_event(cpu, &e) < 0)
			return -1;
	}
	return 0;
}

static int mem_read(struct ref_cpu *cpu, enum ref_seg seg, uint64_t la,
		    unsigned size, enum ref_access walk, uint64_t *v)
{
	uint8_t buf[8] = { 0 };
	if (size == 0 || size > 8 ||
	    mem_access(cpu, seg, la, size, REF_ACC_READ, walk, buf) < 0)
		return -1;
	uint64_t x = 0;
	for (unsigned i = 0; i < size; i++)
		x |= (uint64_t)buf[i] << (8 * i);
	*v = x;
	return 0;
}

int ref_mem_read(struct ref_cpu *cpu, enum ref_seg seg, uint64_t la,
		 unsigned size, uint64_t *v)
{
	return mem_read(cpu, seg, la, size, REF_ACC_READ, v);
}

int ref_mem_read_rmw(struct ref_cpu *cpu, enum ref_seg seg, uint64_t la,
		     unsigned size, uint64_t *v)
{
	return mem_read(cpu, seg, la, size, REF_ACC_WRITE, v);
}

int ref_mem_write(struct ref_cpu *cpu, enum ref_seg seg, uint64_t la,
		  unsigned size, uint64_t v)
{
	uint8_t buf[8];
	if (size == 0 || size > 8)
		return -1;
	for (unsigned i = 0; i < size; i++)
		buf[i] = (uint8_t)(v >> (8 * i));
	if (mem_access(cpu, seg, la, size, REF_ACC_WRITE, REF_ACC_WRITE, buf) < 0)
		return -1;
	ref_note_mem_write(cpu);
	return 0;
}

unsigned ref_fetch(struct ref_cpu *cpu, uint64_t la, uint8_t *buf, unsigned n,
		   uint64_t *fault_la)
{
	unsigned got = 0;
	while (got < n) {
		uint64_t a = la + got, gpa;
		uint32_t pfec;
		if (!ref_canonical(a) || ref_translate(cpu, a, REF_ACC_FETCH, &gpa, &pfec) < 0)
			break;
		unsigned chunk = PAGE_SIZE - (unsigned)(a & (PAGE_SIZE - 1));
		if (chunk > n - got)
			chunk = n - got;
		/* Code is only fetched from RAM: KVM cannot execute from a
		 * GPA without a memslot; the run loop decides what that is. */
		if (!ref_gpa_is_ram(gpa, chunk))
			break;
		memcpy(buf + got, cpu->ram + gpa, chunk);
		got += chunk;
	}
	if (got < n)
		*fault_la = la + got;
	return got;
}
