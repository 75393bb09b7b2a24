/*
 * TMK runtime: one case run in its own mode with its knobs, from the state
 * every executor gives it (core/mode.c), to what the runtime observed when
 * it ended. Both images call it: the one with cases compiled in (rt_main.c,
 * which then checks the expectation) and the VMM executor's batch image
 * (tmk/batch/, which reports the observation to exitdiff instead).
 */
#include "tmk.h"
#include "layout.h"
#include "mode.h"
#include "knobs.h"

_Static_assert(__builtin_offsetof(struct rt_leg, idt_base) == LEG_IDTR + 2, "rt_leg");
_Static_assert(__builtin_offsetof(struct rt_leg, seg) == LEG_SEG, "rt_leg");
_Static_assert(__builtin_offsetof(struct rt_leg, far_eip) == LEG_FAR, "rt_leg");
_Static_assert(__builtin_offsetof(struct rt_leg, gdt_limit) == LEG_GDTR, "rt_leg");
_Static_assert(__builtin_offsetof(struct rt_leg, bgdt_limit) == LEG_BGDTR, "rt_leg");
_Static_assert(__builtin_offsetof(struct rt_leg, out_gpr) == LEG_OUT_GPR, "rt_leg");
_Static_assert(__builtin_offsetof(struct rt_leg, out_esp) == LEG_OUT_ESP, "rt_leg");
_Static_assert(__builtin_offsetof(struct rt_leg, efer) == LEG_EFER, "rt_leg");
_Static_assert(sizeof(struct rt_leg) == LEG_SIZE, "rt_leg");

struct __attribute__((packed)) boot_dtr {
	uint16_t limit;
	uint64_t base;
};
extern const struct boot_dtr boot_gdtr;

static void write_cr0(uint64_t v) { __asm__ volatile("movq %0, %%cr0" : : "r"(v)); }
static void write_cr4(uint64_t v) { __asm__ volatile("movq %0, %%cr4" : : "r"(v)); }

/* long64: the IRETQ frame and data selectors of the mode's environment
 * (CPL3 for the cpl3 knob), and its CR0/CR4/EFER knob bits, set last:
 * nothing the runtime runs before the IRETQ depends on them (no x87/SSE,
 * no user pages under SMAP). rt_env_build() restores them afterwards. */
static void run_long64(const struct tmk_case *c, const struct mode_env *env)
{
	uint64_t *td = (uint64_t *)tramp_data;
	for (int i = 0; i < 16; i++)
		td[TD_GPR / 8 + i] = c->gpr[i];
	td[TD_FRAME / 8 + 0] = env->rip;
	td[TD_FRAME / 8 + 1] = env->seg[SR_CS].sel;
	td[TD_FRAME / 8 + 2] = c->rflags;
	td[TD_FRAME / 8 + 3] = c->gpr[4];
	td[TD_FRAME / 8 + 4] = env->seg[SR_SS].sel;
	td[TD_SEGS / 8 + 0] = env->seg[SR_DS].sel;
	td[TD_SEGS / 8 + 1] = env->seg[SR_ES].sel;
	td[TD_SEGS / 8 + 2] = env->seg[SR_FS].sel;
	td[TD_SEGS / 8 + 3] = env->seg[SR_GS].sel;
	uint64_t efer = env->efer & ~(1ull << 10); /* LMA is read-only */
	rt_wrmsr(0xc0000080u, efer);
	write_cr4(env->cr4);
	write_cr0(env->cr0);
	rt_run_case();
}

/* prot32, prot32-paged, prot32-pae, real16: rt_leg from the mode's environment; real
 * mode runs from the blob's own copy at RM_BLOB_ADDR. */
static void run_legacy(const struct tmk_case *c, const struct mode_env *env)
{
	struct rt_leg *l = &rt_leg;
	memset(l, 0, sizeof(*l));
	for (int i = 0; i < 8; i++)
		l->gpr[i] = (uint32_t)c->gpr[i];
	l->eflags = (uint32_t)(c->rflags | env->rflags);
	l->cr0 = (uint32_t)env->cr0;
	l->cr3 = (uint32_t)env->cr3;
	l->cr4 = (uint32_t)env->cr4;
	l->efer = (uint32_t)env->efer;
	l->idt_limit = env->idt_limit;
	l->idt_base = (uint32_t)env->idt_base;
	static const enum seg_reg order[5] = { SR_ES, SR_SS, SR_DS, SR_FS, SR_GS };
	for (int i = 0; i < 5; i++)
		l->seg[i] = env->seg[order[i]].sel;
	l->far_eip = (uint32_t)env->rip;
	l->far_cs = env->seg[SR_CS].sel;
	l->gdt_limit = env->gdt_limit;
	l->gdt_base = (uint32_t)env->gdt_base;
	l->bgdt_limit = boot_gdtr.limit;
	l->bgdt_base = (uint32_t)boot_gdtr.base;
	rt_leg_mode = c->mode == MODE_REAL16 ? 1 : c->mode == MODE_V86 ? 2 : 0;
	uint8_t *blob = rt_phys(RM_BLOB_ADDR);
	uint8_t *blob_leg = blob + (rm_data - rm_blob);
	if (rt_leg_mode == 1) {
		memcpy(blob, rm_blob, (unsigned long)(rm_blob_end - rm_blob));
		memcpy(blob_leg, l, sizeof(*l));
	}
	rt_run_legacy();
	if (rt_leg_mode == 1)
		memcpy(l, blob_leg, sizeof(*l));
}

/* A knob whose CR4 bit this CPU does not have: setting it would #GP in
 * the runtime (SDM Vol. 3A 2.5: reserved CR4 bits). QEMU's default TCG
 * CPU lacks UMIP, SMAP and FSGSBASE (use -cpu max). NULL when all are
 * there. */
const char *rt_missing_feature(uint32_t knobs)
{
	static const struct { uint32_t knob, leaf; uint8_t reg, bit; const char *name; } need[] = {
		{ KNOB_CR4_UMIP, 7, 2, 2, "cr4.umip (CPUID.7:ECX.UMIP)" },
		{ KNOB_CR4_SMAP, 7, 1, 20, "cr4.smap (CPUID.7:EBX.SMAP)" },
		{ KNOB_CR4_FSGSBASE, 7, 1, 0, "cr4.fsgsbase (CPUID.7:EBX.FSGSBASE)" },
		{ KNOB_CR4_OSXSAVE, 1, 2, 26, "cr4.osxsave (CPUID.1:ECX.XSAVE)" },
	};
	uint32_t r[4];
	rt_cpuid(0, 0, r);
	uint32_t max = r[0];
	for (unsigned i = 0; i < sizeof(need) / sizeof(need[0]); i++) {
		if (!(knobs & need[i].knob))
			continue;
		if (need[i].leaf > max)
			return need[i].name;
		rt_cpuid(need[i].leaf, 0, r);
		if (!(r[need[i].reg] & (1u << need[i].bit)))
			return need[i].name;
	}
	return NULL;
}

void rt_execute(const struct tmk_case *c, uint16_t pit_count, struct tmk_obs *o,
		uint8_t *initial_window)
{
	uint8_t *ram = rt_phys(0);
	rt_env_build();
	/* The per-case RAM reset of every executor (core/mode.c), from a
	 * test_case holding this case's mode and bytes (static: 12 KiB). */
	static struct test_case tc;
	tc.mode = c->mode;
	tc.code_len = c->code_len;
	tc.data_len = c->data_len;
	memcpy(tc.code, c->code, c->code_len);
	memcpy(tc.data, c->data, c->data_len);
	mode_reset_ram(ram, &tc);
	/* Without paging, the executors turn every GPA from LAYOUT_RAM_SIZE
	 * up into an MMIO exit that reads all ones. Here it is RAM: the
	 * part a real16 case reaches through its own segments (to 0x1ffff)
	 * is filled with the same answer, so reads agree (writes stay:
	 * docs/tmk.md). */
	if (!mode_long((enum cpu_mode)c->mode))
		memset(ram + LAYOUT_RAM_SIZE, ENV_MMIO_READ_BYTE, RM_BLOB_ADDR - LAYOUT_RAM_SIZE);
	memcpy(initial_window, ram + LAYOUT_CMP_BASE, LAYOUT_CMP_SIZE);

	struct mode_env env;
	mode_env_init(&env, (enum cpu_mode)c->mode, c->knobs);
	rt_xmm_zero();
	rt_carried_restore();
	rt_timer_arm(pit_count);
	rt_env_case_runs();
	if (mode_long((enum cpu_mode)c->mode)) {
		run_long64(c, &env);
		rt_timer_disarm();
		rt_observe(c->mode, o);
	} else {
		run_legacy(c, &env);
		rt_timer_disarm();
		rt_observe_legacy(c, o);
	}
	rt_env_build(); /* back to a known system state before printing */
	rt_xmm_read(o->xmm);
}
