/* The minimizer on events made pending later (docs/formats.md "Events"):
 * it drops events one at a time and keeps the ones the divergence needs,
 * and lowers after=N as far as the divergence stays. The reference runs
 * both sides; the "KVM" side is the reference without the case's later
 * events (a hypervisor that never makes them pending), so a case diverges
 * exactly when such an event is delivered. */
#include <string.h>
#include "check.h"
#include "executor.h"
#include "min.h"
#include "noop_executor.h"

static struct executor ref, shadow;

static int forgetful_run(struct executor *ex, const struct test_case *c, struct outcome *o)
{
	(void)ex;
	static struct test_case copy;
	copy = *c;
	memset(copy.event, 0, sizeof(copy.event));
	unsigned n = 0;
	for (unsigned i = 0; i < CASE_EVENTS_MAX; i++)
		if (case_event_at_start(&c->event[i]))
			copy.event[n++] = c->event[i];
	return shadow.ops->run(&shadow, &copy, o);
}

static const struct executor_ops forgetful_ops = { .name = "forgetful-ref", .init = fake_init,
						  .run = forgetful_run, .fini = fake_fini };

static struct test_case out;

static int minimize(const char *what, const struct test_case *c)
{
	static struct outcome oref, okvm;
	struct executor kvm = { .ops = &forgetful_ops };
	struct min_both b = { .ref = &ref, .kvm = &kvm, .oref = &oref, .okvm = &okvm };
	int d = min_both_pred(&b, c);
	CHECK(d == 1, "%s: the input diverges (%s)", what, d == 1 ? b.d.signature : "no");
	if (d != 1)
		return -1;
	char sig[SIGNATURE_MAX];
	snprintf(sig, sizeof(sig), "%s", b.d.signature);
	b.signature = sig;
	int rc = min_case(c, min_both_pred, &b, &out, NULL);
	CHECK(rc == MIN_OK, "%s: minimized (rc %d)", what, rc);
	CHECK(min_both_pred(&b, &out) == 1, "%s: the result still diverges as %s", what, sig);
	return rc == MIN_OK ? 0 : -1;
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
	static struct test_case c;

	/* sti; hlt with an interrupt and an NMI in its handler: both needed
	 * (without the interrupt no handler is reached; without the NMI
	 * both sides agree). */
	case_init(&c);
	snprintf(c.id, sizeof(c.id), "nmi-in-handler");
	static const uint8_t sti_hlt[] = { 0xfb, 0xf4 };
	memcpy(c.code, sti_hlt, sizeof(sti_hlt));
	c.code_len = sizeof(sti_hlt);
	c.event[0] = (struct case_event){ .kind = CASE_EVENT_INTR, .vector = 0x30 };
	c.event[1] = (struct case_event){ .kind = CASE_EVENT_NMI, .in_handler = 1 };
	if (minimize("nmi in a handler", &c) == 0)
		CHECK(out.event[0].kind == CASE_EVENT_INTR && out.event[1].kind == CASE_EVENT_NMI &&
		      out.event[1].in_handler, "both events kept (%u, %u)", out.event[0].kind,
		      out.event[1].kind);

	/* ud2 with an NMI in its handler and an interrupt that never matters
	 * (IF stays 0): the interrupt is dropped, the NMI moves up. */
	case_init(&c);
	snprintf(c.id, sizeof(c.id), "ud2-nmi");
	static const uint8_t ud2[] = { 0x0f, 0x0b };
	memcpy(c.code, ud2, sizeof(ud2));
	c.code_len = sizeof(ud2);
	c.event[0] = (struct case_event){ .kind = CASE_EVENT_INTR, .vector = 0x40 };
	c.event[1] = (struct case_event){ .kind = CASE_EVENT_NMI, .in_handler = 1 };
	if (minimize("an interrupt that never matters", &c) == 0)
		CHECK(out.event[0].kind == CASE_EVENT_NMI && out.event[0].in_handler &&
		      out.event[1].kind == CASE_EVENT_NONE, "the interrupt dropped (%u, %u)",
		      out.event[0].kind, out.event[1].kind);

	/* inc eax x8; hlt with an NMI after=6: N comes down to 1. */
	case_init(&c);
	snprintf(c.id, sizeof(c.id), "nmi-after");
	for (unsigned i = 0; i < 8; i++) {
		c.code[2 * i] = 0xff;
		c.code[2 * i + 1] = 0xc0;
	}
	c.code[16] = 0xf4;
	c.code_len = 17;
	c.event[0] = (struct case_event){ .kind = CASE_EVENT_NMI, .after = 6 };
	if (minimize("after=6", &c) == 0)
		CHECK(out.event[0].kind == CASE_EVENT_NMI && out.event[0].after == 1,
		      "after= lowered to 1 (%u)", out.event[0].after);

	ref.ops->fini(&ref);
	shadow.ops->fini(&shadow);
	return check_done("test_min_events");
}
