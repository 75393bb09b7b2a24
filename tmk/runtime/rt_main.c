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
	const char *missing = rt_missing_feature(c->knobs);
	if (missing) {
		rt_puts("SKIP: ");
		rt_puts(c->id);
		rt_puts(": this CPU lacks the knob's feature: ");
		rt_puts(missing);
		rt_puts("\n");
		return -1;
	}
	rt_puts("START: ");
	rt_puts(c->id);
	rt_puts("\n");
	struct tmk_obs o;
	rt_execute(c, TMK_PIT_COUNT, &o, initial_window);
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
