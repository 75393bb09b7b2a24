/* An event the hypervisor makes pending before a case's first instruction
 * (KVM_SET_VCPU_EVENTS), after its Nth instruction, or while it halts in an
 * exception handler: an NMI, or a hardware exception injected as a VMM
 * injects one, optionally with the interrupt shadow of a MOV SS or STI
 * just executed, which holds an NMI back past the first instruction (SDM
 * Vol. 3A 6.8.3); or an external interrupt (vector 32-255) a device raised,
 * which the VMM injects when the guest opens an interrupt window (IF = 1,
 * no STI/MOV SS shadow: Vol. 3A 6.8.1, 6.8.3). Long mode only for now
 * (docs/formats.md "Events"). */
#ifndef EXITDIFF_CASE_EVENT_H
#define EXITDIFF_CASE_EVENT_H

#include <stddef.h>
#include <stdint.h>

enum case_event_kind { CASE_EVENT_NONE = 0, CASE_EVENT_NMI, CASE_EVENT_EXCEPTION,
		       CASE_EVENT_INTR, CASE_EVENT_KINDS };
enum case_event_shadow { CASE_SHADOW_NONE = 0, CASE_SHADOW_MOV_SS, CASE_SHADOW_STI,
			 CASE_SHADOWS };

struct case_event {
	uint8_t kind;       /* enum case_event_kind */
	uint8_t vector;     /* CASE_EVENT_EXCEPTION, CASE_EVENT_INTR */
	uint8_t shadow;     /* enum case_event_shadow */
	uint8_t has_error;  /* the vector's own rule (VECTOR_HAS_ERROR_CODE) */
	uint32_t error;
	/* When the hypervisor makes it pending (nmi and intr only): after the
	 * case retired `after` instructions (0: before the first), or, with
	 * in_handler, when the vCPU halts in an exception stub (the HLT of
	 * the handler an event or exception was delivered to). */
	uint16_t after;     /* 0..CASE_EVENT_AFTER_MAX */
	uint8_t in_handler;
	uint8_t pad;
};

/* Events per case: enough for an NMI during an interrupt's handler and an
 * interrupt held in an NMI's (docs/formats.md "Events"). */
#define CASE_EVENTS_MAX 2
/* The largest N of after=N: a step per instruction costs a KVM exit. */
#define CASE_EVENT_AFTER_MAX 1023

const char *case_event_kind_name(unsigned kind);      /* "nmi", "exception", "intr" */
const char *case_event_shadow_name(unsigned shadow);  /* "mov-ss", "sti" */
/* -1 when unknown. */
int case_event_kind_from_name(const char *s);
int case_event_shadow_from_name(const char *s);
/* NULL when e is a valid event, else why not ("vector 2 is the NMI"). */
const char *case_event_invalid(const struct case_event *e);
/* NULL when the events of one case (packed: the first CASE_EVENT_NONE
 * ends them) go together, else why not. cpl3: the case runs at CPL3, where
 * KVM cannot step to after=N (docs/formats.md "Events"). */
const char *case_events_invalid(const struct case_event *ev, int cpl3);
/* How many events ev[0..CASE_EVENTS_MAX) holds. */
unsigned case_events_count(const struct case_event *ev);
/* The N of the case's after=N events (they share it), 0 when none. */
unsigned case_events_after(const struct case_event *ev);
/* 1 when the event is pending from the start (no after=, no at=handler). */
int case_event_at_start(const struct case_event *e);
/* "exception 14 error=0x2 shadow=mov-ss", "intr 48 after=3", "nmi at=handler":
 * the text format's words after "event". */
char *case_event_format(const struct case_event *e, char *buf, size_t len);

#endif
