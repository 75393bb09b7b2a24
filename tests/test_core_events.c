/* Events with a trigger point and more than one per case (case_event.h,
 * docs/formats.md "Events"): the text lines parse, print and parse back
 * to the same case; every bad combination is refused with FILE:LINE and
 * its reason; the binary format carries both records and their points, an
 * old one-event record decodes as before, and any bytes still decode to
 * a valid case. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "case_bin.h"
#include "case_text.h"
#include "check.h"
#include "knobs.h"

static struct case_file cf, cf2;

static int parse(const char *text, struct case_file *into, char *err, size_t errlen)
{
	return case_parse(text, strlen(text), "ev.case", into, err, errlen);
}

static void good(const char *events, const char *want_first, const char *want_second)
{
	char text[512], err[512];
	snprintf(text, sizeof(text), "id e\nmode long64\n%scode fb 90 f4\n", events);
	int r = parse(text, &cf, err, sizeof(err));
	CHECK(r == 0, "parses: %s (%s)", events, r ? err : "ok");
	if (r)
		return;
	char a[96] = "", b[96] = "";
	if (cf.c.event[0].kind)
		case_event_format(&cf.c.event[0], a, sizeof(a));
	if (cf.c.event[1].kind)
		case_event_format(&cf.c.event[1], b, sizeof(b));
	CHECK(!strcmp(a, want_first) && !strcmp(b, want_second),
	      "formats as '%s' / '%s' (got '%s' / '%s')", want_first, want_second, a, b);
	/* print -> parse: the same case */
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	case_print(m, &cf);
	fclose(m);
	r = case_parse(buf, len, "rt.case", &cf2, err, sizeof(err));
	CHECK(r == 0 && !memcmp(cf.c.event, cf2.c.event, sizeof(cf.c.event)),
	      "print -> parse keeps the events of '%s' (%s)", events, r ? err : "ok");
	free(buf);
	/* encode -> decode: the same events */
	static uint8_t bin[8192];
	static struct test_case d;
	size_t n = case_encode(&cf.c, bin, sizeof(bin));
	CHECK(n > 0, "encodes");
	case_decode(bin, n, &d);
	CHECK(!memcmp(cf.c.event, d.event, sizeof(d.event)), "binary round trip keeps '%s'",
	      events);
}

static void bad(const char *head, const char *events, const char *want)
{
	char text[512], err[512];
	snprintf(text, sizeof(text), "id e\nmode long64\n%s%scode f4\n", head, events);
	int r = parse(text, &cf, err, sizeof(err));
	CHECK(r != 0 && strstr(err, want) != NULL, "refused: %s -> '%s' (got '%s')", events,
	      want, r ? err : "accepted");
}

int main(void)
{
	good("event intr 48\nevent nmi at=handler\n", "intr 48", "nmi at=handler");
	good("event nmi\nevent intr 200 at=handler\n", "nmi", "intr 200 at=handler");
	good("event nmi after=3\n", "nmi after=3", "");
	good("event intr 48 after=1023\nevent nmi after=1023\n", "intr 48 after=1023",
	     "nmi after=1023");
	good("event exception 14 error=0x2\nevent nmi at=handler\n", "exception 14 error=0x2",
	     "nmi at=handler");
	good("event nmi shadow=mov-ss\nevent nmi at=handler\n", "nmi shadow=mov-ss",
	     "nmi at=handler");
	good("event nmi at=handler\n", "nmi at=handler", "");

	bad("", "event nmi after=0\n", "ev.case:3: event: after=0 is not 1-1023");
	bad("", "event nmi after=1024\n", "ev.case:3: event: after=1024 is not 1-1023");
	bad("", "event nmi after=2 shadow=mov-ss\n", "ev.case:3: event: shadow= is the first");
	bad("", "event nmi after=2 at=handler\n", "ev.case:3: event: after= and at=handler");
	bad("", "event exception 6 after=2\n", "ev.case:3: event: an injected exception is pending from the start");
	bad("", "event nmi\nevent nmi at=handler\nevent intr 40 at=handler\n",
	    "ev.case:5: event: at most 2 events per case");
	bad("", "event nmi\nevent intr 40 after=2\n", "ev.case:4: event: an event pending from the start and one after=N do not mix");
	bad("", "event nmi after=2\nevent intr 40 at=handler\n", "ev.case:4: event: after=N and at=handler do not mix");
	bad("", "event nmi after=2\nevent nmi after=2\n", "ev.case:4: event: two NMIs made pending at one point");
	bad("", "event nmi after=2\nevent intr 40 after=3\n", "ev.case:4: event: events made pending after N share one N");
	bad("", "event nmi at=handler\nevent intr 40\n", "ev.case:4: event: events come in order");
	bad("", "event intr 40\nevent intr 41 at=handler\n", "ev.case:4: event: at most one external interrupt");
	bad("", "event nmi\nevent exception 6\n", "ev.case:4: event: an injected exception is the first event");
	bad("knobs cpl3\n", "event nmi after=1\n", "ev.case:4: event: after= needs CPL0");
	bad("", "event nmi at=handlr\n", "ev.case:3: event: unknown field 'at=handlr'");

	/* The record an older encoder wrote for one NMI (kind 1, nothing
	 * else): the same event, from the start. */
	static const uint8_t old[] = { 0x00, 0, 0, 0, 0, 0x00, 0x00, 0x02, 1, 0, 0, 0, 0, 0, 0, 0, 0xf4 };
	static struct test_case d;
	case_decode(old, sizeof(old), &d);
	CHECK(d.event[0].kind == CASE_EVENT_NMI && case_event_at_start(&d.event[0]) &&
	      d.event[1].kind == 0, "an old one-event record decodes as before");
	/* A second record that does not go with the first is dropped: an
	 * NMI after=5 with an NMI from the start. */
	static const uint8_t mixed[] = { 0x00, 0, 0, 0, 0, 0x00, 0x00, 0x06,
					 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 5, 0, 0, 0, 0xf4 };
	case_decode(mixed, sizeof(mixed), &d);
	CHECK(d.event[0].kind == CASE_EVENT_NMI && d.event[1].kind == 0,
	      "a second record that does not go with the first is dropped");
	CHECK(d.code_len == 1 && d.code[0] == 0xf4, "the code after both records");
	/* CPL3 (knob bit in byte 1..4): after= dropped, the event kept. */
	static const uint8_t cpl3[] = { 0x00, (uint8_t)KNOB_CPL3, (uint8_t)(KNOB_CPL3 >> 8),
					(uint8_t)(KNOB_CPL3 >> 16), (uint8_t)(KNOB_CPL3 >> 24),
					0x00, 0x00, 0x02, 1, 0, 0, 0, 7, 0, 0, 0, 0xf4 };
	case_decode(cpl3, sizeof(cpl3), &d);
	CHECK(d.event[0].kind == CASE_EVENT_NMI && d.event[0].after == 0,
	      "cpl3: after= dropped (KVM cannot step there), the NMI kept (after %u)",
	      d.event[0].after);
	return check_done("test_core_events");
}
