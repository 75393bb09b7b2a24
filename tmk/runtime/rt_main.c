/*
 * TMK runtime main: replays the cases of the generated cases.c one after
 * the other in the environment of core/layout.h, each in its own mode with
 * its knobs (core/mode.c's mode_env_init(); long64 through the trampoline,
 * prot32 / prot32-paged / real16 through rt_modes.S), and prints
 * kvm-unit-tests-style lines on COM1:
 *   START: <id>                       a case begins
 *   PASS: <id>
 *   FAIL: <id>: <field> wanted 0x.. got 0x..
 *   SKIP: <id>: <reason>
 *   SUMMARY: N tests, F unexpected failures[, S skipped]
 * then exits through isa-debug-exit: 0 when all passed (QEMU status 1),
 * 1 otherwise (QEMU status 3).
 *
 * The multiboot command line selects cases: each word "test=ID" runs that
 * case only (several may be given); no such word runs them all. "from=K"
 * skips the cases before index K: a runner restarts the image there after
 * a case took the whole VM down (a triple fault, a KVM internal error).
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

#define MBI_FLAG_CMDLINE (1u << 2)
#define MB_BOOT_MAGIC    0x2badb002u

static char cmdline[512];
static uint8_t initial_window[LAYOUT_CMP_SIZE];

/* The multiboot info may live anywhere the loader chose (QEMU: after the
 * image; exitdiff tmk: low memory the layout overwrites), so copy the
 * command line before anything is built. */
static void copy_cmdline(void)
{
	if (mb_magic != MB_BOOT_MAGIC || !mb_info)
		return;
	const uint32_t *mbi = (const uint32_t *)(uintptr_t)rt_phys(mb_info);
	if (!(mbi[0] & MBI_FLAG_CMDLINE) || !mbi[4])
		return;
	const char *s = (const char *)rt_phys(mbi[4]);
	unsigned i = 0;
	for (; s[i] && i < sizeof(cmdline) - 1; i++)
		cmdline[i] = s[i];
	cmdline[i] = 0;
}

/* Is "test=<id>" a word of the command line? *any is set when the command
 * line names any test at all. */
static int selected(const char *id, int *any)
{
	const char *p = cmdline;
	int hit = 0;
	*any = 0;
	while (*p) {
		while (*p == ' ')
			p++;
		const char *w = p;
		while (*p && *p != ' ')
			p++;
		if (p - w > 5 && !memcmp(w, "test=", 5)) {
			*any = 1;
			const char *a = w + 5, *b = id;
			while (a < p && *b && *a == *b)
				a++, b++;
			if (a == p && !*b)
				hit = 1;
		}
	}
	return hit;
}

/* The K of a "from=K" word, 0 when there is none. */
static unsigned first_case(void)
{
	const char *p = cmdline;
	while (*p) {
		while (*p == ' ')
			p++;
		if (!memcmp(p, "from=", 5)) {
			unsigned k = 0;
			for (p += 5; *p >= '0' && *p <= '9'; p++)
				k = k * 10 + (unsigned)(*p - '0');
			return k;
		}
		while (*p && *p != ' ')
			p++;
	}
	return 0;
}

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
	__asm__ volatile("wrmsr" : : "c"(0xc0000080u), "a"((uint32_t)efer),
			 "d"((uint32_t)(efer >> 32)));
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
	l->eflags = (uint32_t)c->rflags;
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
	rt_leg_mode = c->mode == MODE_REAL16;
	uint8_t *blob = rt_phys(RM_BLOB_ADDR);
	uint8_t *blob_leg = blob + (rm_data - rm_blob);
	if (rt_leg_mode) {
		memcpy(blob, rm_blob, (unsigned long)(rm_blob_end - rm_blob));
		memcpy(blob_leg, l, sizeof(*l));
	}
	rt_run_legacy();
	if (rt_leg_mode)
		memcpy(l, blob_leg, sizeof(*l));
}

static void cpuid(uint32_t leaf, uint32_t r[4])
{
	__asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3])
			 : "a"(leaf), "c"(0));
}

/* A knob whose CR4 bit this CPU does not have: setting it would #GP in
 * the runtime (SDM Vol. 3A 2.5: reserved CR4 bits). QEMU's default TCG
 * CPU lacks UMIP, SMAP and FSGSBASE (use -cpu max). NULL when all are
 * there. */
static const char *missing_feature(uint32_t knobs)
{
	static const struct { uint32_t knob, leaf; uint8_t reg, bit; const char *name; } need[] = {
		{ KNOB_CR4_UMIP, 7, 2, 2, "cr4.umip (CPUID.7:ECX.UMIP)" },
		{ KNOB_CR4_SMAP, 7, 1, 20, "cr4.smap (CPUID.7:EBX.SMAP)" },
		{ KNOB_CR4_FSGSBASE, 7, 1, 0, "cr4.fsgsbase (CPUID.7:EBX.FSGSBASE)" },
		{ KNOB_CR4_OSXSAVE, 1, 2, 26, "cr4.osxsave (CPUID.1:ECX.XSAVE)" },
	};
	uint32_t r[4];
	cpuid(0, r);
	uint32_t max = r[0];
	for (unsigned i = 0; i < sizeof(need) / sizeof(need[0]); i++) {
		if (!(knobs & need[i].knob))
			continue;
		if (need[i].leaf > max)
			return need[i].name;
		cpuid(need[i].leaf, r);
		if (!(r[need[i].reg] & (1u << need[i].bit)))
			return need[i].name;
	}
	return NULL;
}

/* Returns 1 on a pass, 0 on a failure, -1 when skipped. */
static int run_case(const struct tmk_case *c)
{
	if (c->skip) {
		rt_puts("SKIP: ");
		rt_puts(c->id);
		rt_puts(": ");
		rt_puts(c->skip);
		rt_puts("\n");
		return -1;
	}
	const char *missing = missing_feature(c->knobs);
	if (missing) {
		rt_puts("SKIP: ");
		rt_puts(c->id);
		rt_puts(": this CPU lacks the knob's feature: ");
		rt_puts(missing);
		rt_puts("\n");
		return -1;
	}
	uint8_t *ram = rt_phys(0);
	rt_puts("START: ");
	rt_puts(c->id);
	rt_puts("\n");
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
	struct tmk_obs o;
	rt_xmm_zero();
	rt_timer_arm();
	if (mode_long((enum cpu_mode)c->mode)) {
		run_long64(c, &env);
		rt_timer_disarm();
		rt_observe(c->mode, &o);
	} else {
		run_legacy(c, &env);
		rt_timer_disarm();
		rt_observe_legacy(c, &o);
	}
	rt_env_build(); /* back to a known system state before printing */
	rt_xmm_read(o.xmm);
	return rt_check(c, &o, initial_window);
}

void rt_main(void)
{
	copy_cmdline();
	rt_puts("TMK: exitdiff test microkernel, ");
	rt_putdec(tmk_ncases);
	rt_puts(" case(s)\n");
	rt_env_build();
	rt_platform_init();

	unsigned tests = 0, failures = 0, skipped = 0;
	int any = 0;
	for (unsigned i = first_case(); i < tmk_ncases; i++) {
		const struct tmk_case *c = tmk_cases[i];
		int hit = selected(c->id, &any);
		if (any && !hit)
			continue;
		tests++;
		if (c->expect.kind == TMK_SHUTDOWN) {
			/* A triple fault resets the machine: nothing inside it
			 * survives to compare (docs/tmk.md). */
			rt_puts("SKIP: ");
			rt_puts(c->id);
			rt_puts(": expected a triple fault (shutdown), which resets the guest\n");
			skipped++;
			continue;
		}
		int r = run_case(c);
		if (r == 0)
			failures++;
		else if (r < 0)
			skipped++;
	}
	if (any && !tests) {
		rt_puts("FAIL: command line names no test this image carries: ");
		rt_puts(cmdline);
		rt_puts("\n");
		failures++;
	}
	rt_puts("SUMMARY: ");
	rt_putdec(tests);
	rt_puts(" tests, ");
	rt_putdec(failures);
	rt_puts(" unexpected failures");
	if (skipped) {
		rt_puts(", ");
		rt_putdec(skipped);
		rt_puts(" skipped");
	}
	rt_puts("\n");
	rt_exit(failures ? 1 : 0);
}

/* An exception while the runtime itself ran (not a case): a runtime bug
 * or a broken platform. Say where and stop with a failure. */
void rt_runtime_fault(uint64_t vector, uint64_t *frame)
{
	rt_puts("FAIL: runtime: unexpected exception vector ");
	rt_putdec(vector & 0xff);
	rt_puts(" frame ");
	rt_puthex(frame[0]);
	rt_puts(" ");
	rt_puthex(frame[1]);
	rt_puts("\nSUMMARY: 1 tests, 1 unexpected failures\n");
	rt_exit(1);
}
