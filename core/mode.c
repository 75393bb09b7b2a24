/* The initial system state per mode (see mode.h) and the exception frame
 * reader every executor shares. */
#include <string.h>
#include "mode.h"
#include "knobs.h"
#include "layout.h"


#define CR0_PE (1ull << 0)
#define CR0_MP (1ull << 1)
#define CR0_ET (1ull << 4)
#define CR0_NE (1ull << 5)
#define CR0_WP (1ull << 16)
#define CR0_PG (1ull << 31)
#define CR4_OSFXSR_XMM 0x600ull
#define CR4_PAE (1ull << 5)
#define EFER_NXE (1ull << 11)

static struct seg_desc flat(uint16_t sel, uint8_t type, uint8_t db, uint8_t l)
{
	return (struct seg_desc){ .base = 0, .limit = 0xffffffffu, .sel = sel,
				  .type = type, .s = 1, .dpl = (uint8_t)(sel & 3),
				  .present = 1, .db = db, .l = l, .g = 1 };
}

static struct seg_desc real_seg(uint16_t sel, uint8_t type)
{
	return (struct seg_desc){ .base = (uint64_t)sel << 4, .limit = 0xffff, .sel = sel,
				  .type = type, .s = 1, .present = 1 };
}

static void set_data_segs(struct mode_env *e, struct seg_desc d)
{
	e->seg[SR_ES] = e->seg[SR_SS] = e->seg[SR_DS] = e->seg[SR_FS] = e->seg[SR_GS] = d;
}

static void long64(struct mode_env *e, uint32_t knobs)
{
	e->cr0 = LM_CR0;
	e->cr3 = LM_CR3;
	e->cr4 = LM_CR4;
	e->efer = LM_EFER;
	e->paging = 4;
	e->code_bits = 64;
	e->idt_base = LAYOUT_IDT;
	e->idt_limit = 0xfff;
	if (knobs & KNOB_CPL3) {
		/* SDM 3A 5.5: the CPL is CS.RPL; SS must match it. */
		e->cpl = 3;
		e->seg[SR_CS] = flat(SEL_UCODE64, 0xb, 0, 1);
		set_data_segs(e, flat(SEL_UDATA, 0x3, 1, 0));
	} else {
		e->seg[SR_CS] = flat(SEL_CODE64, 0xb, 0, 1);
		set_data_segs(e, flat(SEL_DATA, 0x3, 1, 0));
	}
}

/* Long mode's CPL0 state with the 32-bit code segment: CS.L=0 under
 * EFER.LMA is compatibility mode (SDM Vol. 3A 5.2.1). */
static void compat32(struct mode_env *e)
{
	long64(e, 0);
	e->code_bits = 32;
	e->seg[SR_CS] = flat(SEL_CODE32, 0xb, 1, 0);
}

/* paging: 0 none, 2 32-bit paging, 3 PAE paging (NX on: EFER.NXE, the
 * layout's data pages are NX as in long mode). */
static void prot32(struct mode_env *e, int paging)
{
	e->cr0 = CR0_PE | CR0_MP | CR0_ET | CR0_NE;
	e->cr4 = CR4_OSFXSR_XMM;
	if (paging) {
		e->cr0 |= CR0_PG | CR0_WP;
		e->cr3 = paging == 3 ? LAYOUT_PDPT_PAE : LAYOUT_PD32;
		e->paging = (uint8_t)paging;
	}
	if (paging == 3) {
		e->cr4 |= CR4_PAE;
		e->efer = EFER_NXE;
	}
	e->code_bits = 32;
	e->idt_base = LAYOUT_IDT32;
	e->idt_limit = 256 * 8 - 1;
	e->seg[SR_CS] = flat(SEL_CODE32, 0xb, 1, 0);
	set_data_segs(e, flat(SEL_DATA, 0x3, 1, 0));
}

/* Virtual-8086 mode (SDM Vol. 3B 20.2): 32-bit protected mode without
 * paging, RFLAGS.VM=1, every segment loaded the real-mode way (base =
 * selector * 16, limit 0xffff, DPL 3: 20.2.1) and CPL3 (20.2.5). The
 * 32-bit TSS gives the level-0 stack an exception switches to (SS0:ESP0)
 * and the I/O permission bitmap (20.2.8.1); the IDT32 gates lead to the
 * same stubs at CPL0. IOPL is 0 unless the iopl3 knob raises it. */
static void v86(struct mode_env *e)
{
	e->cr0 = CR0_PE | CR0_MP | CR0_ET | CR0_NE;
	e->cr4 = CR4_OSFXSR_XMM;
	e->code_bits = 16;
	e->cpl = 3;
	e->rip = 0;
	e->rflags = RFLAGS_VM;
	e->idt_base = LAYOUT_IDT32;
	e->idt_limit = 256 * 8 - 1;
	e->gdt_limit = LAYOUT_GDT_ENTRIES_V86 * 8 - 1;
	struct seg_desc code = real_seg(REAL_SEG, 0xb), data = real_seg(REAL_SEG, 0x3);
	code.dpl = data.dpl = 3;
	e->seg[SR_CS] = code;
	set_data_segs(e, data);
	e->tr = (struct seg_desc){ .base = LAYOUT_TSS32, .limit = LAYOUT_TSS32_LIMIT,
				   .sel = SEL_TSS32, .type = 0xb, .present = 1 };
}

static void real16(struct mode_env *e)
{
	e->cr0 = CR0_MP | CR0_ET | CR0_NE;
	e->cr4 = CR4_OSFXSR_XMM;
	e->code_bits = 16;
	e->rip = 0;
	e->idt_base = LAYOUT_IVT;
	e->idt_limit = 0x3ff;
	e->seg[SR_CS] = real_seg(REAL_SEG, 0xb);
	set_data_segs(e, real_seg(REAL_SEG, 0x3));
}

void mode_env_init(struct mode_env *e, enum cpu_mode m, uint32_t knobs)
{
	memset(e, 0, sizeof(*e));
	e->xcr0 = 1; /* x87 only: the reset value (SDM 1 13.3) */
	e->rip = LAYOUT_CODE;
	e->gdt_base = LAYOUT_GDT;
	e->gdt_limit = LAYOUT_GDT_ENTRIES * 8 - 1;
	/* The busy TSS and an unusable LDT in every mode; a 64-bit and a
	 * 32-bit busy TSS share type 0xB (SDM 3A 8.2.2). */
	e->tr = (struct seg_desc){ .base = LAYOUT_TSS, .limit = 0x67, .sel = SEL_TSS,
				   .type = 0xb, .present = 1 };
	e->ldtr = (struct seg_desc){ .type = 0x2, .unusable = 1 };
	switch (m) {
	case MODE_PROT32: prot32(e, 0); break;
	case MODE_PROT32PG: prot32(e, 2); break;
	case MODE_PROT32PAE: prot32(e, 3); break;
	case MODE_REAL16: real16(e); break;
	case MODE_COMPAT32: compat32(e); break;
	case MODE_V86: v86(e); break;
	default: long64(e, knobs); break;
	}
	knobs &= knobs_for_mode(m);
	for (unsigned i = 0; i < knob_def_count; i++) {
		const struct knob_def *k = &knob_defs[i];
		uint64_t *reg = k->reg == KNOB_REG_CR0 ? &e->cr0 :
				k->reg == KNOB_REG_CR4 ? &e->cr4 :
				k->reg == KNOB_REG_EFER ? &e->efer :
				k->reg == KNOB_REG_RFLAGS ? &e->rflags : NULL;
		if (!(knobs & k->bit) || !reg)
			continue;
		*reg = k->set ? (*reg | k->mask) : (*reg & ~k->mask);
	}
}

void mode_reset_ram_tracked(uint8_t *ram, const struct test_case *c, uint8_t *holes_dirty)
{
	layout_reset_rw(ram, c->code, c->code_len, c->data, c->data_len);
	if (*holes_dirty)
		layout_clear_holes(ram);
	*holes_dirty = c->mode == MODE_PROT32 || c->mode == MODE_REAL16 || c->mode == MODE_V86;
}

void mode_reset_ram(uint8_t *ram, const struct test_case *c)
{
	uint8_t dirty = 1;
	mode_reset_ram_tracked(ram, c, &dirty);
}

uint64_t mode_reg_mask(enum cpu_mode m)
{
	return m == MODE_LONG64 ? ~0ull : 0xffffffffull;
}

int mode_real_segs(enum cpu_mode m)
{
	return m == MODE_REAL16 || m == MODE_V86;
}

int mode_long(enum cpu_mode m)
{
	return m == MODE_LONG64 || m == MODE_COMPAT32;
}

int mode_frames_on_case_stack(const struct test_case *c)
{
	enum cpu_mode m = (enum cpu_mode)c->mode;
	return !mode_long(m) && !mode_real_segs(m) && !(c->knobs & KNOB_CPL3);
}

uint64_t mode_seg_base(enum cpu_mode m, uint16_t sel)
{
	return mode_real_segs(m) ? (uint64_t)sel << 4 : 0;
}

uint64_t mode_cs_base(enum cpu_mode m, uint16_t cs, uint64_t rflags)
{
	if (m == MODE_V86 && !(rflags & RFLAGS_VM))
		return 0; /* the CPL0 handler's flat CS */
	return mode_seg_base(m, cs);
}

static uint64_t ram_le(const uint8_t *ram, uint64_t gpa, unsigned n)
{
	uint64_t v = 0;
	for (unsigned i = 0; i < n; i++)
		if (gpa + i < LAYOUT_RAM_SIZE)
			v |= (uint64_t)ram[gpa + i] << (8 * i);
	return v;
}

/* Long mode: every gate uses IST1, so the frame starts at a fixed depth
 * below LAYOUT_IST_TOP and its depth says whether an error code was
 * pushed (SDM 3A 6.14.2). */
static void frame64(const uint8_t *ram, struct end_state *st, struct exit_event *e)
{
	uint64_t f = st->gpr[RSP];
	if (f == LAYOUT_IST_TOP - 48) {
		e->has_error_code = 1;
		e->error_code = (uint32_t)ram_le(ram, f, 4);
		f += 8;
	}
	if (f < LAYOUT_IST || f > LAYOUT_IST_TOP - 40)
		return;
	st->rip = ram_le(ram, f, 8);
	st->cs = (uint16_t)ram_le(ram, f + 8, 2);
	st->rflags = ram_le(ram, f + 16, 8);
	st->gpr[RSP] = ram_le(ram, f + 24, 8);
	st->ss = (uint16_t)ram_le(ram, f + 32, 2);
}

/* Protected mode, no privilege change: [error code,] EIP, CS, EFLAGS on
 * the current stack (SDM 3A 6.12.1, figure 6-4). */
static void frame32(const uint8_t *ram, struct end_state *st, struct exit_event *e,
		    unsigned vector)
{
	uint32_t esp = (uint32_t)st->gpr[RSP];
	if (VECTOR_HAS_ERROR_CODE(vector)) {
		e->has_error_code = 1;
		e->error_code = (uint32_t)ram_le(ram, esp, 4);
		esp += 4;
	}
	st->rip = ram_le(ram, esp, 4);
	st->cs = (uint16_t)ram_le(ram, esp + 4, 2);
	st->rflags = ram_le(ram, esp + 8, 4);
	st->gpr[RSP] = (uint32_t)(esp + 12);
}

/* Real mode: FLAGS, CS, IP as 16-bit words at SS:SP, which wraps inside
 * the segment (SDM 3B 20.1.4). RFLAGS bits above 15 are not pushed: they
 * keep their value at the stub. */
static void frame16(const uint8_t *ram, struct end_state *st)
{
	uint64_t ss = (uint64_t)st->ss << 4;
	uint16_t sp = (uint16_t)st->gpr[RSP];
	st->rip = ram_le(ram, ss + sp, 2);
	st->cs = (uint16_t)ram_le(ram, ss + (uint16_t)(sp + 2), 2);
	st->rflags = (st->rflags & ~0xffffull) | ram_le(ram, ss + (uint16_t)(sp + 4), 2);
	st->gpr[RSP] = (st->gpr[RSP] & ~0xffffull) | (uint16_t)(sp + 6);
}

/* Virtual-8086 mode: the gate switched to SS0:ESP0 (LAYOUT_IST_TOP) and
 * pushed GS, FS, DS, ES, SS, ESP, EFLAGS, CS, EIP as doublewords, then
 * the error code (SDM Vol. 3A 6.12.1, figure 6-5; Vol. 3B 20.3.1.1), so
 * the depth says whether there is one. The selectors at the exception
 * come from the frame: the delivery zeroed the data segment registers.
 * Any other depth is no v86 frame (a CPU that left VM=0 pushed five
 * slots): the state stays what the stub saw. */
static void frame_v86(const uint8_t *ram, struct end_state *st, struct exit_event *e)
{
	uint64_t f = (uint32_t)st->gpr[RSP];
	if (f == LAYOUT_IST_TOP - 40) {
		e->has_error_code = 1;
		e->error_code = (uint32_t)ram_le(ram, f, 4);
		f += 4;
	}
	if (f != LAYOUT_IST_TOP - 36)
		return;
	st->rip = ram_le(ram, f, 4);
	st->cs = (uint16_t)ram_le(ram, f + 4, 2);
	st->rflags = ram_le(ram, f + 8, 4);
	st->gpr[RSP] = ram_le(ram, f + 12, 4);
	st->ss = (uint16_t)ram_le(ram, f + 16, 2);
	st->es = (uint16_t)ram_le(ram, f + 20, 2);
	st->ds = (uint16_t)ram_le(ram, f + 24, 2);
	st->fs = (uint16_t)ram_le(ram, f + 28, 2);
	st->gs = (uint16_t)ram_le(ram, f + 32, 2);
}

int mode_stub_exception(enum cpu_mode m, const uint8_t *ram, struct end_state *st,
			struct exit_event *e)
{
	uint64_t hlt = mode_cs_base(m, st->cs, st->rflags) + st->rip - 1;
	if (hlt < LAYOUT_STUBS || hlt >= LAYOUT_STUBS + 256)
		return 0;
	unsigned vector = (unsigned)(hlt - LAYOUT_STUBS);
	memset(e, 0, sizeof(*e));
	e->kind = EXIT_EXCEPTION;
	e->addr = vector;
	if (mode_long(m))
		frame64(ram, st, e);
	else if (m == MODE_REAL16)
		frame16(ram, st);
	else if (m == MODE_V86)
		frame_v86(ram, st, e);
	else
		frame32(ram, st, e, vector);
	e->rip = st->rip;
	if (vector == 14)
		e->cr2 = st->cr2;
	return 1;
}
