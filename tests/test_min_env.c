/* The minimizer keeps only the environment a divergence needs: knobs are
 * dropped one at a time (cpl3 too: the case goes back to CPL0) and
 * prot32-paged is tried as prot32, each kept only when the same divergence
 * remains.
 *
 * The reference executor runs both sides; the "KVM" side is the reference
 * run with one knob ignored, a stand-in for a hypervisor that forgets to
 * check a control bit. So a case diverges exactly when that knob changes
 * what its code does, and the knobs it needs are known in advance:
 *   - RDTSC at CPL3 with CR4.TSD (SDM Vol. 2B RDTSC: #GP(0) when TSD=1 and
 *     CPL>0), "KVM" ignoring TSD: needs cpl3 and cr4.tsd, nothing else;
 *   - XGETBV with CR4.OSXSAVE (without it #UD, SDM Vol. 2C XGETBV) in
 *     prot32-paged, "KVM" ignoring OSXSAVE: needs cr4.osxsave, and runs
 *     the same in prot32.
 * The case's event is environment too: an external interrupt that never
 * matters (CPL3 cannot STI) is dropped; one a "KVM" that loses interrupts
 * diverges on is kept. */
#include <string.h>
#include "check.h"
#include "executor.h"
#include "knobs.h"
#include "min.h"
#include "noop_executor.h"

static struct executor ref, shadow;
static uint32_t ignored_knob;
static int ignores_event;

static int forgetful_run(struct executor *ex, const struct test_case *c, struct outcome *o)
{
	(void)ex;
	static struct test_case copy;
	copy = *c;
	copy.knobs &= ~ignored_knob;
	if (ignores_event)
		memset(&copy.event, 0, sizeof(copy.event));
	return shadow.ops->run(&shadow, &copy, o);
}

static const struct executor_ops forgetful_ops = { .name = "forgetful-ref", .init = fake_init,
						  .run = forgetful_run, .fini = fake_fini };

static void knob_names(uint32_t k, char *buf, size_t len)
{
	knobs_format(k, buf, len);
	if (!buf[0])
		snprintf(buf, len, "none");
}

/* Minimizes c with the forgetful "KVM"; checks the knobs and mode left. */
static void check_env(const char *what, const struct test_case *c, uint32_t ignore,
		      uint32_t want_knobs, enum cpu_mode want_mode)
{
	static struct outcome oref, okvm;
	static struct test_case out;
	struct executor kvm = { .ops = &forgetful_ops };
	ignored_knob = ignore;
	struct min_both b = { .ref = &ref, .kvm = &kvm, .oref = &oref, .okvm = &okvm };
	int d = min_both_pred(&b, c);
	CHECK(d == 1, "%s: the input diverges (%s)", what, d == 1 ? b.d.signature : "no");
	if (d != 1)
		return;
	char sig[SIGNATURE_MAX];
	snprintf(sig, sizeof(sig), "%s", b.d.signature);
	b.signature = sig;
	int rc = min_case(c, min_both_pred, &b, &out, NULL);
	char got[96], want[96];
	knob_names(out.knobs, got, sizeof(got));
	knob_names(want_knobs, want, sizeof(want));
	CHECK(rc == MIN_OK, "%s: minimized (rc %d)", what, rc);
	CHECK(out.knobs == want_knobs, "%s: knobs left: %s (wanted %s)", what, got, want);
	CHECK(out.mode == want_mode, "%s: mode %s (wanted %s)", what, mode_name(out.mode),
	      mode_name(want_mode));
	CHECK(out.event[0].kind == (ignores_event ? c->event[0].kind : 0),
	      "%s: the event %s (kind %u left)", what, ignores_event ? "kept" : "dropped",
	      out.event[0].kind);
	CHECK(min_both_pred(&b, &out) == 1, "%s: the result still diverges as %s", what, sig);
}

int main(void)
{
	char err[256];
	ref.ops = &ref_executor_ops;
	shadow.ops = &ref_executor_ops;
	if (ref.ops->init(&ref, err, sizeof(err)) < 0 || shadow.ops->init(&shadow, err, sizeof(err)) < 0) {
		printf("FAILED: reference executor: %s\n", err);
		return 1;
	}
	const uint32_t noise = KNOB_CR0_EM | KNOB_CR4_UMIP | KNOB_CR4_OSXSAVE | KNOB_CR4_FSGSBASE |
			       KNOB_NO_SCE;

	static struct test_case c;
	case_init(&c);
	snprintf(c.id, sizeof(c.id), "rdtsc-cpl3-tsd");
	static const uint8_t rdtsc[] = { 0x0f, 0x31, 0xf4 };
	memcpy(c.code, rdtsc, sizeof(rdtsc));
	c.code_len = sizeof(rdtsc);
	c.knobs = KNOB_CPL3 | KNOB_CR4_TSD | KNOB_CR0_TS | noise;
	c.event[0] = (struct case_event){ .kind = CASE_EVENT_INTR, .vector = 0x30 };
	check_env("RDTSC, KVM ignores TSD", &c, KNOB_CR4_TSD, KNOB_CPL3 | KNOB_CR4_TSD, MODE_LONG64);

	/* sti; nop; inc eax; hlt with an interrupt a "KVM" never delivers. */
	case_init(&c);
	snprintf(c.id, sizeof(c.id), "intr-lost");
	static const uint8_t sti[] = { 0xfb, 0x90, 0xff, 0xc0, 0xf4 };
	memcpy(c.code, sti, sizeof(sti));
	c.code_len = sizeof(sti);
	c.knobs = KNOB_CR0_TS | KNOB_CR4_UMIP;
	c.event[0] = (struct case_event){ .kind = CASE_EVENT_INTR, .vector = 0x30 };
	ignores_event = 1;
	check_env("STI, KVM loses the interrupt", &c, 0, 0, MODE_LONG64);
	ignores_event = 0;

	/* cpl3 stays: at CPL0 RDTSC does not fault under TSD, so dropping it
	 * loses the divergence. Now prot32-paged, whose knobs prot32 shares. */
	case_init(&c);
	c.mode = MODE_PROT32PG;
	snprintf(c.id, sizeof(c.id), "xgetbv-osxsave-paged");
	static const uint8_t xgetbv[] = { 0x0f, 0x01, 0xd0, 0xf4 };
	memcpy(c.code, xgetbv, sizeof(xgetbv));
	c.code_len = sizeof(xgetbv);
	c.knobs = KNOB_CR0_TS | KNOB_CR0_EM | KNOB_CR4_UMIP | KNOB_CR4_TSD | KNOB_CR4_OSXSAVE;
	check_env("XGETBV, KVM ignores OSXSAVE", &c, KNOB_CR4_OSXSAVE, KNOB_CR4_OSXSAVE, MODE_PROT32);

	ref.ops->fini(&ref);
	shadow.ops->fini(&shadow);
	return check_done("test_min_env");
}
