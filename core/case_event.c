/* Case events: names and validity (case_event.h). */
#include <stdio.h>
#include <string.h>
#include "case_event.h"
#include "layout.h"

static const char *const kind_names[CASE_EVENT_KINDS] = { "none", "nmi", "exception", "intr" };
static const char *const shadow_names[CASE_SHADOWS] = { "none", "mov-ss", "sti" };

const char *case_event_kind_name(unsigned kind)
{
	return kind < CASE_EVENT_KINDS ? kind_names[kind] : "?";
}

const char *case_event_shadow_name(unsigned shadow)
{
	return shadow < CASE_SHADOWS ? shadow_names[shadow] : "?";
}

int case_event_kind_from_name(const char *s)
{
	for (int i = 1; i < CASE_EVENT_KINDS; i++)
		if (!strcmp(s, kind_names[i]))
			return i;
	return -1;
}

int case_event_shadow_from_name(const char *s)
{
	for (int i = 0; i < CASE_SHADOWS; i++)
		if (!strcmp(s, shadow_names[i]))
			return i;
	return -1;
}

const char *case_event_invalid(const struct case_event *e)
{
	if (e->kind >= CASE_EVENT_KINDS)
		return "unknown event kind";
	if (e->shadow >= CASE_SHADOWS)
		return "unknown shadow";
	if (e->kind == CASE_EVENT_NONE)
		return e->shadow || e->vector || e->has_error || e->error || e->after ||
		       e->in_handler || e->pad ? "no event, yet fields" : NULL;
	if (e->pad)
		return "padding set";
	if (e->after > CASE_EVENT_AFTER_MAX)
		return "after= is at most 1023";
	if (e->after && e->in_handler)
		return "after= and at=handler are two different points";
	/* An injected exception is what a VMM re-injects on the next entry:
	 * it has no later point. */
	if (e->kind == CASE_EVENT_EXCEPTION && (e->after || e->in_handler))
		return "an injected exception is pending from the start (no after=, no at=handler)";
	/* The shadow is the one the first instruction runs in. */
	if (e->shadow && (e->after || e->in_handler))
		return "shadow= is the first instruction's: only for an event pending from the start";
	if (e->kind == CASE_EVENT_INTR) {
		/* Vectors 0-31 are the architecture's own (SDM Vol. 3A 6.2);
		 * an interrupt controller delivers 16-255, and below 32 it
		 * would look like an exception: not generated, not accepted.
		 * IF starts clear, so a shadow at the start holds nothing:
		 * the case's own STI or MOV SS makes one. */
		if (e->vector < 32)
			return "an external interrupt's vector is 32-255";
		if (e->has_error || e->error)
			return "an external interrupt has no error code";
		return e->shadow ? "an external interrupt waits for IF: the case's STI makes the shadow" :
				   NULL;
	}
	if (e->kind != CASE_EVENT_EXCEPTION)
		return e->has_error || e->error || e->vector ? "only an exception has a vector or error" : NULL;
	/* The vectors a VMM injects as hardware exceptions: not the NMI,
	 * not #DB/#BP/#OF, whose trap or fault class depends on what caused
	 * them, and not the reserved ones (SDM Vol. 3A 6.3.1 table 6-1). */
	if (e->vector == 2)
		return "vector 2 is the NMI: use event nmi";
	if (e->vector == 1 || e->vector == 3 || e->vector == 4)
		return "#DB, #BP and #OF are not injected as faults";
	if (e->vector == 9 || e->vector == 15 || e->vector >= 22)
		return "reserved vector";
	if (e->vector == 18)
		return "#MC is not injected (CR4.MCE is clear: a shutdown)";
	if (!!e->has_error != !!VECTOR_HAS_ERROR_CODE(e->vector))
		return VECTOR_HAS_ERROR_CODE(e->vector) ? "this vector needs error=" :
							  "this vector has no error code";
	return NULL;
}

int case_event_at_start(const struct case_event *e)
{
	return e->kind != CASE_EVENT_NONE && !e->after && !e->in_handler;
}

unsigned case_events_count(const struct case_event *ev)
{
	unsigned n = 0;
	while (n < CASE_EVENTS_MAX && ev[n].kind != CASE_EVENT_NONE)
		n++;
	return n;
}

unsigned case_events_after(const struct case_event *ev)
{
	for (unsigned i = 0; i < CASE_EVENTS_MAX; i++)
		if (ev[i].after)
			return ev[i].after;
	return 0;
}

/* The rules that keep every executor exact (docs/formats.md "Events"):
 * KVM steps to after=N with nothing pending (an event pending from the
 * start and one after N do not mix, and all after= share one N); one
 * external interrupt (the VMM holds one vector); one injected exception,
 * first; two NMIs only at two different points (NMIs made pending at
 * once are one, SDM Vol. 3A 6.7.1); one NMI or exception from the start;
 * after=N and at=handler not together. In order: from the start, after N,
 * at=handler. */
const char *case_events_invalid(const struct case_event *ev, int cpl3)
{
	unsigned n = case_events_count(ev), intrs = 0, start = 0, later = 0, handler = 0;
	unsigned start_nmi_exc = 0;
	for (unsigned i = n; i < CASE_EVENTS_MAX; i++)
		if (case_event_invalid(&ev[i]) || ev[i].kind != CASE_EVENT_NONE)
			return "an event after an empty slot";
	for (unsigned i = 0; i < n; i++) {
		const struct case_event *e = &ev[i];
		const char *why = case_event_invalid(e);
		if (why)
			return why;
		if (e->after && cpl3)
			return "after= needs CPL0: KVM single-steps to it (knob cpl3)";
		intrs += e->kind == CASE_EVENT_INTR;
		start += case_event_at_start(e);
		later += e->after != 0;
		handler += e->in_handler;
		start_nmi_exc += case_event_at_start(e) && e->kind != CASE_EVENT_INTR;
		if (e->kind == CASE_EVENT_EXCEPTION && i)
			return "an injected exception is the first event";
		if (i && (ev[i - 1].in_handler > e->in_handler ||
			  (!e->in_handler && ev[i - 1].after > e->after)))
			return "events come in order: from the start, after=N, at=handler";
		if (i && e->after != ev[i - 1].after && e->after && ev[i - 1].after)
			return "events made pending after N share one N";
		for (unsigned j = 0; j < i; j++)
			if (ev[j].kind == CASE_EVENT_NMI && e->kind == CASE_EVENT_NMI &&
			    ev[j].after == e->after && ev[j].in_handler == e->in_handler)
				return "two NMIs made pending at one point are one NMI";
	}
	if (intrs > 1)
		return "at most one external interrupt";
	if (start_nmi_exc > 1)
		return "one NMI or injected exception pending from the start";
	if (later && handler)
		return "after=N and at=handler do not mix (KVM steps to N; a handler reached "
		       "while stepping is the case's end)";
	if (start && later)
		return "an event pending from the start and one after=N do not mix (KVM steps to N "
		       "with nothing pending)";
	return NULL;
}

char *case_event_format(const struct case_event *e, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s", case_event_kind_name(e->kind));
	if ((e->kind == CASE_EVENT_EXCEPTION || e->kind == CASE_EVENT_INTR) && n >= 0 &&
	    (size_t)n < len)
		n += snprintf(buf + n, len - (size_t)n, " %u", e->vector);
	if (e->has_error && n >= 0 && (size_t)n < len)
		n += snprintf(buf + n, len - (size_t)n, " error=0x%x", e->error);
	if (e->shadow && n >= 0 && (size_t)n < len)
		n += snprintf(buf + n, len - (size_t)n, " shadow=%s", case_event_shadow_name(e->shadow));
	if (e->after && n >= 0 && (size_t)n < len)
		n += snprintf(buf + n, len - (size_t)n, " after=%u", e->after);
	if (e->in_handler && n >= 0 && (size_t)n < len)
		snprintf(buf + n, len - (size_t)n, " at=handler");
	return buf;
}
