/* An event the hypervisor makes pending before a case's first instruction
 * (KVM_SET_VCPU_EVENTS): an NMI, or a hardware exception injected as a VMM
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
};

const char *case_event_kind_name(unsigned kind);      /* "nmi", "exception", "intr" */
const char *case_event_shadow_name(unsigned shadow);  /* "mov-ss", "sti" */
/* -1 when unknown. */
int case_event_kind_from_name(const char *s);
int case_event_shadow_from_name(const char *s);
/* NULL when e is a valid event, else why not ("vector 2 is the NMI"). */
const char *case_event_invalid(const struct case_event *e);
/* "exception 14 error=0x2 shadow=mov-ss", "intr 48": the text format's words after
 * "event". */
char *case_event_format(const struct case_event *e, char *buf, size_t len);

#endif
