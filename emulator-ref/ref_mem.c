/* Linear memory: segmentation outside 64-bit mode, canonical check, the
 * page walks (none, 32-bit 2-level, PAE, 4-level), RAM and MMIO.
 *
 * Outside 64-bit mode an access first goes through its segment: offset
 * truncated to the address size, limit/type check (ref_seg.c), linear =
 * base + offset truncated to 32 bits (SDM Vol. 3A 3.4; KVM __linearize).
 * Without paging linear == physical. Physical memory as KVM sees it:
 * below LAYOUT_RW_BASE a read-only memslot (reads are RAM, a write is an
 * MMIO write exit that changes nothing), LAYOUT_RW_BASE..LAYOUT_RAM_SIZE
 * RAM, everything above MMIO. An access straddling two of these is split
 * per page, as KVM's emulator splits it (emulator_read_write: one
 * fragment per page, each RAM or MMIO on its own); the kinds only change
 * at page boundaries in this layout.
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

/* A walk ended at a not-present entry at gpa: where a TMK's or VMM's
 * runtime makes that entry present (its trampoline, its image), the
 * access succeeds there, so the outcome is the layout's alone. */
static void note_absent_entry(const struct ref_cpu *cpu, uint64_t gpa)
{
	if (layout_runtime_patched(gpa, 1))
		cpu->out->read_runtime_bytes = 1;
}

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

/* 32-bit paging (SDM Vol. 3A 4.3): 4-byte entries, PD then PT, 4 MiB
 * pages when PDE.PS and CR4.PSE; no NX, no reserved bits except a 4 MiB
 * PDE's bits 21:13 above MAXPHYADDR (none here: PSE-36 off the table). */
static int walk32(const struct ref_cpu *cpu, uint64_t la, uint64_t *gpa, uint64_t *rights,
		  uint32_t *fail)
{
	uint64_t table = cpu->cr3 & 0xfffff000u;
	*rights = PTE_W | PTE_U;
	for (int level = 2, shift = 22; level >= 1; level--, shift -= 10) {
		uint64_t ea = table + 4 * ((la >> shift) & 1023), e = 0;
		if (ea <= LAYOUT_RAM_SIZE - 4) {
			uint32_t e32;
			memcpy(&e32, cpu->ram + ea, 4);
			e = e32;
		}
		if (!(e & PTE_P)) {
			note_absent_entry(cpu, ea);
			*fail = 0;
			return -1;
		}
		*rights &= e;
		if (level == 2 && (e & PTE_PS) && (cpu->cr4 & (1u << 4))) {
			*gpa = (e & 0xffc00000u) | (la & 0x3fffff);
			return 0;
		}
		if (level == 1) {
			*gpa = (e & 0xfffff000u) | (la & 0xfff);
			return 0;
		}
		table = e & 0xfffff000u;
	}
	return -1;
}

/* The walk through 8-byte entries from level top (4: the PML4 of 4-level
 * paging, SDM Vol. 3A 4.5; 2: the page directory PAE paging reaches
 * through its PDPTE, 4.4) at table: rights = W and U over all levels,
 * nx = NX anywhere. */
static int walk_from(const struct ref_cpu *cpu, uint64_t la, int top, uint64_t table,
		     uint64_t *gpa, uint64_t *rights, uint64_t *no_exec, uint32_t *fail)
{
	const int nxe = (cpu->efer & (1u << 11)) != 0;
	*rights = PTE_W | PTE_U;
	*no_exec = 0;
	for (int level = top, shift = 12 + 9 * (top - 1); level >= 1; level--, shift -= 9) {
		uint64_t e, ea = table + 8 * ((la >> shift) & 511);
		read_entry(cpu, ea, &e);
		if (!(e & PTE_P)) {
			note_absent_entry(cpu, ea);
			*fail = 0;
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
			*fail = PFEC_P | PFEC_RSVD;
			return -1;
		}
		/* Rights are the intersection over all levels (SDM 3A 4.6). */
		*rights &= e;
		if (nxe)
			*no_exec |= e & PTE_NX;
		if (leaf) {
			uint64_t off_mask = (1ull << shift) - 1;
			*gpa = (e & PTE_ADDR_MASK & ~off_mask) | (la & off_mask);
			return 0;
		}
		table = e & PTE_ADDR_MASK;
	}
	return -1;
}

static int walk64(const struct ref_cpu *cpu, uint64_t la, uint64_t *gpa, uint64_t *rights,
		  uint64_t *no_exec, uint32_t *fail)
{
	return walk_from(cpu, la, 4, cpu->cr3 & PTE_ADDR_MASK, gpa, rights, no_exec, fail);
}

/* PAE paging (SDM Vol. 3A 4.4): CR3 holds four PDPTEs (32-byte aligned),
 * one per GiB; a PDPTE has no R/W, U/S or NX bit, so it restricts
 * nothing (4.4.1). Its reserved bits are checked when CR3 is loaded
 * (#GP), never here. Below it the PD and PT are 4-level paging's. */
static int walk_pae(const struct ref_cpu *cpu, uint64_t la, uint64_t *gpa, uint64_t *rights,
		    uint64_t *no_exec, uint32_t *fail)
{
	uint64_t pdpte;
	read_entry(cpu, (cpu->cr3 & 0xffffffe0u) + 8 * ((la >> 30) & 3), &pdpte);
	if (!(pdpte & PTE_P)) {
		*rights = *no_exec = 0;
		*fail = 0;
		return -1;
	}
	return walk_from(cpu, la, 2, pdpte & PTE_ADDR_MASK, gpa, rights, no_exec, fail);
}

int ref_translate(const struct ref_cpu *cpu, uint64_t la, enum ref_access acc,
		  uint64_t *gpa, uint32_t *pfec)
{
	const int kind = acc & 3;
	if (!(cpu->cr0 & (1ull << 31))) {
		*gpa = la & 0xffffffffu; /* paging off: linear is physical */
		return 0;
	}
	const int nxe = (cpu->efer & (1u << 11)) != 0;
	const int user = cpu->cpl == 3 && !(acc & REF_ACC_SUPER);
	/* Error code bits that depend only on the access (SDM Vol. 3A 4.7):
	 * W/R for writes, I/D for fetches when NXE is on (32-bit paging has
	 * no NX: never I/D there), U/S for user-mode accesses. */
	uint32_t acc_bits = 0;
	if (kind == REF_ACC_WRITE)
		acc_bits |= PFEC_W;
	if (user)
		acc_bits |= PFEC_U;
	uint64_t rights, no_exec = 0;
	uint32_t fail = 0;
	int r;
	if (cpu->cr4 & (1u << 5)) { /* PAE: 4-level under EFER.LMA, else PAE paging */
		if (kind == REF_ACC_FETCH && nxe)
			acc_bits |= PFEC_ID;
		r = ref_lma(cpu) ? walk64(cpu, la, gpa, &rights, &no_exec, &fail)
				 : walk_pae(cpu, la, gpa, &rights, &no_exec, &fail);
	} else {
		r = walk32(cpu, la, gpa, &rights, &fail);
	}
	if (r < 0) {
		*pfec = fail | acc_bits;
		return -1;
	}
	/* Access rights (SDM Vol. 3A 4.6.1): user accesses need U at every
	 * level and W for writes; supervisor writes need W when CR0.WP=1;
	 * with CR4.SMAP a supervisor data access to a user page faults
	 * unless RFLAGS.AC (implicit supervisor accesses always do). */
	int bad = 0;
	if (user) {
		bad = !(rights & PTE_U) || (kind == REF_ACC_WRITE && !(rights & PTE_W));
	} else {
		if (kind == REF_ACC_WRITE && (cpu->cr0 & (1u << 16)) && !(rights & PTE_W))
			bad = 1;
		if (kind != REF_ACC_FETCH && (rights & PTE_U) && (cpu->cr4 & (1u << 21)) &&
		    ((acc & REF_ACC_SUPER) || !(cpu->rflags & (1u << 18))))
			bad = 1;
	}
	if (kind == REF_ACC_FETCH && no_exec)
		bad = 1;
	if (bad) {
		*pfec = PFEC_P | acc_bits;
		return -1;
	}
	return 0;
}

/* 1 when a write to gpa..gpa+len-1 lands in RAM KVM lets the guest
 * write: the read-only memslot below LAYOUT_RW_BASE turns writes into
 * MMIO exits (KVM_MEM_READONLY) that leave the bytes as they were. */
static int gpa_writable(uint64_t gpa, unsigned len)
{
	return gpa >= LAYOUT_RW_BASE && ref_gpa_is_ram(gpa, len);
}

/* One linear access: canonical check (64-bit mode), translate all pages,
 * then RAM/MMIO per page fragment. buf holds the little-endian bytes
 * (written for reads). walk is the intent the pages are translated with:
 * the read of a read-modify-write operand walks as a write, so a
 * not-present or read-only page faults with W=1 before anything is read
 * (measured on Intel hardware: ADD to a not-present page reports error
 * code W, CMP does not; SDM Vol. 3A 4.7). */
/* Bytes [gpa, gpa+len) against the undefined memory bits (an RFLAGS image
 * with undefined flags, outcome.undefined_mem): a write defines them
 * again; a read carries them on, which the run loop ends as unsupported. */
static void track_undefined_mem(struct ref_cpu *cpu, uint64_t gpa, unsigned len, int write)
{
	struct outcome *o = cpu->out;
	uint32_t hit = 0;
	for (uint32_t k = 0; k < o->n_undefined_mem && k < UNDEF_MEM_SLOTS; k++) {
		struct undefined_mem *u = &o->undefined_mem[k];
		for (unsigned b = 0; b < 4; b++) {
			uint32_t bits = 0xffu << (8 * b);
			if (!(u->mask & bits) || u->addr + b < gpa || u->addr + b >= gpa + len)
				continue;
			if (write && (cpu->undef_mem_fresh & (1u << k))) {
				hit |= 1u << k; /* the store the slot was noted for */
				continue;
			}
			if (write)
				u->mask &= ~bits;
			else
				cpu->read_undefined_mem = 1;
		}
	}
	cpu->undef_mem_fresh &= ~hit;
}

static int linear_access(struct ref_cpu *cpu, enum ref_seg seg, uint64_t la,
			 unsigned size, enum ref_access acc, enum ref_access walk,
			 uint8_t *buf)
{
	uint64_t last = la + size - 1;
	if (cpu->code_bits == 64 && (!ref_canonical(la) || !ref_canonical(last))) {
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
	if (cpu->code_bits != 64)
		frag_la[1] &= 0xffffffffu; /* linear addresses wrap at 4 GiB */
	unsigned nfrag = len[1] ? 2 : 1;
	for (unsigned f = 0; f < nfrag; f++) {
		uint32_t pfec;
		if (ref_translate(cpu, frag_la[f], walk, &gpa[f], &pfec) < 0) {
			ref_raise_pf(cpu, frag_la[f], pfec);
			return -1;
		}
	}
	if (cpu->dr[7] & 0xff)
		ref_dbg_data(cpu, la, size, acc == REF_ACC_WRITE);
	unsigned off = 0;
	for (unsigned f = 0; f < nfrag; off += len[f], f++) {
		if (acc == REF_ACC_WRITE ? gpa_writable(gpa[f], len[f])
					 : ref_gpa_is_ram(gpa[f], len[f])) {
			if (acc == REF_ACC_WRITE) {
				memcpy(cpu->ram + gpa[f], buf + off, len[f]);
				ref_ram_note_write(cpu->ram_dirty, gpa[f], len[f]);
			} else {
				memcpy(buf + off, cpu->ram + gpa[f], len[f]);
				if (gpa[f] < LAYOUT_RW_BASE && layout_runtime_patched(gpa[f], len[f]))
					cpu->out->read_runtime_bytes = 1;
			}
			if (cpu->out->n_undefined_mem)
				track_undefined_mem(cpu, gpa[f], len[f], acc == REF_ACC_WRITE);
			continue;
		}
		struct exit_event e = {
			.kind = EXIT_MMIO, .size = (uint8_t)len[f], .addr = gpa[f],
			.dir = acc == REF_ACC_WRITE ? DIR_OUT : DIR_IN,
		};
		if (acc != REF_ACC_WRITE)
			memset(buf + off, env_mmio_byte(cpu->mmio_window_read, gpa[f]), len[f]);
		for (unsigned i = 0; i < len[f]; i++)
			e.data |= (uint64_t)buf[off + i] << (8 * i);
		if (ref_event(cpu, &e) < 0)
			return -1;
	}
	return 0;
}

/* A segment-relative access outside 64-bit mode: limit/type check, then
 * linear = base + offset (32-bit wrap). */
static int seg_access(struct ref_cpu *cpu, enum ref_seg seg, uint64_t off,
		      unsigned size, enum ref_access acc, enum ref_access walk,
		      uint8_t *buf)
{
	/* walk, not acc: the read half of a read-modify-write needs a
	 * writable segment as it needs a writable page. */
	if (ref_seg_check(cpu, seg, off, size, walk) < 0)
		return -1;
	uint64_t la = (cpu->seg[seg].base + off) & 0xffffffffu;
	return linear_access(cpu, seg, la, size, acc, walk, buf);
}

/* The public ref_mem_* take la the way 64-bit semantics compute it (FS/GS
 * base added, others not): outside 64-bit mode that is turned back into
 * the offset, truncated to the current instruction's address size, and
 * goes through the segment. */
static int mem_access(struct ref_cpu *cpu, enum ref_seg seg, uint64_t la,
		      unsigned size, enum ref_access acc, enum ref_access walk,
		      uint8_t *buf)
{
	if (cpu->code_bits == 64)
		return linear_access(cpu, seg, la, size, acc, walk, buf);
	uint64_t off = la;
	if (seg == SEG_FS || seg == SEG_GS)
		off -= cpu->seg[seg].base;
	unsigned as = cpu->insn ? cpu->insn->detail->x86.addr_size : 4;
	off &= as == 2 ? 0xffffull : 0xffffffffull;
	return seg_access(cpu, seg, off, size, acc, walk, buf);
}

static uint64_t le_value(const uint8_t *buf, unsigned size)
{
	uint64_t x = 0;
	for (unsigned i = 0; i < size; i++)
		x |= (uint64_t)buf[i] << (8 * i);
	return x;
}

static int mem_read(struct ref_cpu *cpu, enum ref_seg seg, uint64_t la,
		    unsigned size, enum ref_access walk, uint64_t *v)
{
	uint8_t buf[8] = { 0 };
	if (size == 0 || size > 8 ||
	    mem_access(cpu, seg, la, size, REF_ACC_READ, walk, buf) < 0)
		return -1;
	*v = le_value(buf, size);
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

int ref_mem_read_off(struct ref_cpu *cpu, enum ref_seg s, uint64_t off,
		     unsigned size, uint64_t *v)
{
	uint8_t buf[8] = { 0 };
	if (size == 0 || size > 8)
		return -1;
	int r = cpu->code_bits == 64
		? linear_access(cpu, s, off, size, REF_ACC_READ, REF_ACC_READ, buf)
		: seg_access(cpu, s, off, size, REF_ACC_READ, REF_ACC_READ, buf);
	if (r < 0)
		return -1;
	*v = le_value(buf, size);
	return 0;
}

int ref_mem_write_off(struct ref_cpu *cpu, enum ref_seg s, uint64_t off,
		      unsigned size, uint64_t v)
{
	uint8_t buf[8];
	if (size == 0 || size > 8)
		return -1;
	for (unsigned i = 0; i < size; i++)
		buf[i] = (uint8_t)(v >> (8 * i));
	int r = cpu->code_bits == 64
		? linear_access(cpu, s, off, size, REF_ACC_WRITE, REF_ACC_WRITE, buf)
		: seg_access(cpu, s, off, size, REF_ACC_WRITE, REF_ACC_WRITE, buf);
	if (r < 0)
		return -1;
	ref_note_mem_write(cpu);
	return 0;
}

int ref_mem_sys_read(struct ref_cpu *cpu, uint64_t la, unsigned size, uint64_t *v)
{
	uint8_t buf[8] = { 0 };
	if (size == 0 || size > 8)
		return -1;
	for (unsigned i = 0; i < size; i++) {
		uint64_t gpa;
		uint32_t pfec;
		uint64_t a = cpu->code_bits == 64 ? la + i : (la + i) & 0xffffffffu;
		if (ref_translate(cpu, a, REF_ACC_READ | REF_ACC_SUPER, &gpa, &pfec) < 0) {
			ref_raise_pf(cpu, a, pfec);
			return -1;
		}
		buf[i] = gpa < LAYOUT_RAM_SIZE ? cpu->ram[gpa] : ENV_MMIO_READ_BYTE;
	}
	*v = le_value(buf, size);
	return 0;
}

unsigned ref_fetch(struct ref_cpu *cpu, uint64_t la, uint8_t *buf, unsigned n,
		   uint64_t *fault_la)
{
	unsigned got = 0;
	while (got < n) {
		uint64_t a = la + got, gpa;
		uint32_t pfec;
		if (cpu->code_bits != 64)
			a &= 0xffffffffu;
		if ((cpu->code_bits == 64 && !ref_canonical(a)) ||
		    ref_translate(cpu, a, REF_ACC_FETCH, &gpa, &pfec) < 0)
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

int ref_note_undefined_store(struct ref_cpu *cpu, uint64_t la, unsigned size, uint64_t mask)
{
	/* Every page the layout maps is identity-mapped: la is the GPA. */
	if (!mask)
		return 0;
	if (la < LAYOUT_RW_BASE || la + size > LAYOUT_RAM_SIZE)
		return -1; /* an MMIO write: its data would carry the bits */
	if (la + size <= LAYOUT_CMP_BASE || la >= LAYOUT_CMP_BASE + LAYOUT_CMP_SIZE)
		return 0;  /* RAM nobody compares */
	struct outcome *o = cpu->out;
	if (o->n_undefined_mem >= UNDEF_MEM_SLOTS)
		return -1;
	o->undefined_mem[o->n_undefined_mem].addr = (uint32_t)la;
	o->undefined_mem[o->n_undefined_mem].mask = (uint32_t)mask;
	cpu->undef_mem_fresh |= 1u << o->n_undefined_mem;
	o->n_undefined_mem++;
	return 0;
}

void ref_areg_set(struct ref_cpu *cpu, int gpr, uint64_t v, unsigned asz)
{
	if (asz == 2)
		cpu->gpr[gpr] = (cpu->gpr[gpr] & ~0xffffull) | (v & 0xffffu);
	else
		cpu->gpr[gpr] = asz == 4 ? v & 0xffffffffu : v;
	ref_note_gpr_write(cpu, gpr);
}
