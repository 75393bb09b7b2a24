/* Segmentation: segment register loads and the limit/type checks of every
 * access outside 64-bit mode.
 *
 * Real mode and virtual-8086 mode: a load sets base = selector << 4 and
 * nothing else is checked (SDM Vol. 3B 20.1.1, 20.2.1; v86 keeps CPL3);
 * KVM's emulator also resets the limit to 0xffff.
 * Protected and long mode read the descriptor from the GDT. The LDT is
 * never usable (LDTR is null in every mode), so TI=1 selectors fault.
 * Error codes carry the selector with its RPL bits cleared (SDM Vol. 3A
 * 6.13). Every descriptor of the layout has its accessed bit preset, so no
 * load ever writes the GDT (a write there would be an MMIO exit: the GDT
 * sits in KVM's read-only memslot). */
#include <stdio.h>
#include "ref_internal.h"

#define DESC_CODE 0x8u   /* type bit 3: code */
#define DESC_CONF 0x4u   /* code: conforming; data: expand-down */
#define DESC_RW   0x2u   /* code: readable; data: writable */

static int fault(struct ref_cpu *cpu, unsigned vector, uint16_t sel)
{
	ref_raise(cpu, vector, 1, sel & 0xfffcu);
	return -1;
}

static struct seg_desc parse(uint64_t d, uint16_t sel)
{
	struct seg_desc s = {
		.base = ((d >> 16) & 0xffffff) | (((d >> 56) & 0xff) << 24),
		.limit = (uint32_t)((d & 0xffff) | ((d >> 32) & 0xf0000)),
		.sel = sel,
		.type = (uint8_t)((d >> 40) & 0xf),
		.s = (uint8_t)((d >> 44) & 1),
		.dpl = (uint8_t)((d >> 45) & 3),
		.present = (uint8_t)((d >> 47) & 1),
		.l = (uint8_t)((d >> 53) & 1),
		.db = (uint8_t)((d >> 54) & 1),
		.g = (uint8_t)((d >> 55) & 1),
	};
	if (s.g)
		s.limit = (s.limit << 12) | 0xfff;
	return s;
}

/* Reads the GDT descriptor of sel: 0, or -1 after raising #GP(sel) when
 * sel is outside the GDT or names the (unusable) LDT. */
static int read_desc(struct ref_cpu *cpu, uint16_t sel, struct seg_desc *out)
{
	uint64_t d;
	if ((sel & 4) || (uint32_t)(sel & ~7u) + 7 > cpu->gdtr_limit)
		return fault(cpu, 13, sel);
	if (ref_mem_sys_read(cpu, cpu->gdtr_base + (sel & ~7u), 8, &d) < 0)
		return -1;
	*out = parse(d, sel);
	return 0;
}

int ref_seg_read_desc(struct ref_cpu *cpu, uint16_t sel, struct seg_desc *out)
{
	return read_desc(cpu, sel, out);
}

static int long_mode(const struct ref_cpu *cpu)
{
	return (cpu->efer & (1u << 10)) != 0; /* EFER.LMA */
}

static void real_load(struct ref_cpu *cpu, enum ref_seg s, uint16_t sel)
{
	struct seg_desc *d = &cpu->seg[s];
	d->sel = sel;
	d->base = (uint64_t)sel << 4;
	d->limit = 0xffff;
	d->present = 1;
	d->s = 1;
	d->unusable = 0;
	if (s != SEG_CS)
		d->type = 0x3;
}

int ref_seg_check_cs(struct ref_cpu *cpu, uint16_t sel, uint8_t new_cpl,
		     struct seg_desc *d)
{
	if (ref_real_segs(cpu)) {
		*d = cpu->seg[SEG_CS];
		d->sel = sel;
		d->base = (uint64_t)sel << 4;
		d->limit = 0xffff;
		return 0;
	}
	if ((sel & ~3u) == 0)
		return fault(cpu, 13, 0);
	if (read_desc(cpu, sel, d) < 0)
		return -1;
	/* System descriptors: call gates, task gates, TSS. Not modeled. */
	if (!d->s)
		return 1;
	if (!(d->type & DESC_CODE))
		return fault(cpu, 13, sel);
	unsigned rpl = sel & 3;
	if (new_cpl != cpu->cpl && !(new_cpl == 3 && rpl == 3 && d->dpl == 3 &&
				     !(d->type & DESC_CONF)))
		return 1;
	if (new_cpl == cpu->cpl) {
		/* SDM Vol. 3A 5.8.1.2: conforming needs DPL <= CPL;
		 * nonconforming needs RPL <= CPL and DPL == CPL. */
		if ((d->type & DESC_CONF) ? d->dpl > cpu->cpl
					  : (rpl > cpu->cpl || d->dpl != cpu->cpl))
			return fault(cpu, 13, sel);
	}
	if (!d->present)
		return fault(cpu, 11, sel);
	/* L=1 with D=1 is reserved in IA-32e mode (SDM Vol. 3A 5.2.1). */
	if (long_mode(cpu) && d->l && d->db)
		return fault(cpu, 13, sel);
	d->sel = (uint16_t)((sel & ~3u) | new_cpl);
	return 0;
}

void ref_seg_commit_cs(struct ref_cpu *cpu, const struct seg_desc *d)
{
	cpu->seg[SEG_CS] = *d;
	if (ref_real_segs(cpu)) {
		cpu->code_bits = 16;
		return;
	}
	cpu->cpl = (uint8_t)(d->sel & 3);
	cpu->code_bits = (long_mode(cpu) && d->l) ? 64 : d->db ? 32 : 16;
}

int ref_seg_load(struct ref_cpu *cpu, enum ref_seg s, uint16_t sel)
{
	if (s == SEG_CS) {
		struct seg_desc d;
		int r = ref_seg_check_cs(cpu, sel, cpu->cpl, &d);
		if (r > 0) {
			ref_terminal(cpu, EXIT_UNSUPPORTED, 0, cpu->rip);
			return -1;
		}
		if (r == 0)
			ref_seg_commit_cs(cpu, &d);
		return r;
	}
	if (ref_real_segs(cpu)) {
		real_load(cpu, s, sel);
		return 0;
	}
	int b64 = cpu->code_bits == 64;
	if ((sel & ~3u) == 0) {
		/* A null selector: #GP(0) for SS, except in 64-bit mode below
		 * CPL3 (SDM Vol. 2B MOV, POP "Operation"). Others load an
		 * unusable segment. */
		if (s == SEG_SS && !(b64 && cpu->cpl != 3 && (sel & 3) == cpu->cpl))
			return fault(cpu, 13, 0);
		struct seg_desc *d = &cpu->seg[s];
		d->sel = sel;
		d->unusable = 1;
		d->present = 0;
		/* Loading a null selector into FS/GS in 64-bit mode leaves
		 * the base as it was on Intel; outside it nothing matters. */
		return 0;
	}
	struct seg_desc d;
	if (read_desc(cpu, sel, &d) < 0)
		return -1;
	unsigned rpl = sel & 3;
	if (s == SEG_SS) {
		if (rpl != cpu->cpl || !d.s || (d.type & DESC_CODE) || !(d.type & DESC_RW) ||
		    d.dpl != cpu->cpl)
			return fault(cpu, 13, sel);
		if (!d.present)
			return fault(cpu, 12, sel);
	} else {
		/* Data, or readable code (SDM Vol. 3A 5.6: conforming code
		 * skips the privilege check). */
		if (!d.s || (d.type & (DESC_CODE | DESC_RW)) == DESC_CODE)
			return fault(cpu, 13, sel);
		int conforming_code = (d.type & (DESC_CODE | DESC_CONF)) == (DESC_CODE | DESC_CONF);
		if (!conforming_code && (rpl > d.dpl || cpu->cpl > d.dpl))
			return fault(cpu, 13, sel);
		if (!d.present)
			return fault(cpu, 11, sel);
	}
	cpu->seg[s] = d;
	return 0;
}

int ref_seg_check(struct ref_cpu *cpu, enum ref_seg s, uint64_t off,
		  unsigned size, enum ref_access acc)
{
	if (cpu->code_bits == 64)
		return 0;
	const struct seg_desc *d = &cpu->seg[s];
	int real = ref_real_segs(cpu);
	unsigned vec = s == SEG_SS ? 12 : 13;
	int kind = acc & 3;
	int bad = 0;
	if (!real && d->unusable)
		bad = 1;
	/* Writes need a writable data segment; reads an unreadable code
	 * segment fault (SDM Vol. 3A 5.3; KVM __linearize does the same and
	 * skips the code check in real mode). */
	if (kind == REF_ACC_WRITE && ((!real && (d->type & DESC_CODE)) || !(d->type & DESC_RW)))
		bad = 1;
	if (kind == REF_ACC_READ && (d->type & DESC_CODE) && !(d->type & DESC_RW))
		bad = 1;
	/* The offset must be within the segment; so must the last byte,
	 * except that a 4 GiB segment never faults on size (offsets wrap
	 * at 4 GiB; KVM __linearize: max_size = ~0 when the limit is
	 * 0xffffffff). This makes a word at 0xffff in real mode fault
	 * rather than wrap (SDM Vol. 3B 20.1.3; KVM: size > limit + 1 -
	 * offset). Expand-down data: valid offsets are limit+1 .. 0xffff
	 * or 0xffffffff by the B flag. */
	uint64_t lim = d->limit;
	if (!(d->type & DESC_CODE) && (d->type & DESC_CONF)) {
		if (off <= lim)
			bad = 1;
		lim = d->db ? 0xffffffffull : 0xffffull;
	}
	if (off > lim || (lim != 0xffffffffull && off + size - 1 > lim))
		bad = 1;
	/* An access that wraps past 4 GiB in a 4 GiB segment "may or may not
	 * cause the indicated exceptions. Behavior is implementation-specific"
	 * (SDM Vol. 3A 5.3): not predictable, so not compared. (KVM's
	 * emulator wraps and splits it; its event injection shuts down.) */
	if (!bad && lim == 0xffffffffull && off + size - 1 > lim) {
		ref_terminal(cpu, EXIT_UNSUPPORTED, 0, cpu->rip);
		snprintf(cpu->out->mnemonic, sizeof(cpu->out->mnemonic), "wrap-4g");
		return -1;
	}
	if (!bad)
		return 0;
	ref_raise(cpu, vec, 1, 0);
	return -1;
}
