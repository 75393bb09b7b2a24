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
		return e->shadow || e->vector || e->has_error || e->error ? "no event, yet fields" : NULL;
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

char *case_event_format(const struct case_event *e, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s", case_event_kind_name(e->kind));
	if ((e->kind == CASE_EVENT_EXCEPTION || e->kind == CASE_EVENT_INTR) && n >= 0 &&
	    (size_t)n < len)
		n += snprintf(buf + n, len - (size_t)n, " %u", e->vector);
	if (e->has_error && n >= 0 && (size_t)n < len)
		n += snprintf(buf + n, len - (size_t)n, " error=0x%x", e->error);
	if (e->shadow && n >= 0 && (size_t)n < len)
		snprintf(buf + n, len - (size_t)n, " shadow=%s", case_event_shadow_name(e->shadow));
	return buf;
}
