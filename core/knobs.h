/* Environment knobs by name: the table behind the KNOB_* bits of case.h.
 * Each knob sets or clears one bit of CR0, CR4 or EFER, lowers the CPL, or
 * sets the hypervisor up otherwise (an MSR filter),
 * and applies to some modes only (a knob outside its modes is an error in
 * a case file and never generated). */
#ifndef EXITDIFF_KNOBS_H
#define EXITDIFF_KNOBS_H

#include <stddef.h>
#include <stdint.h>
#include "case.h"

/* KNOB_REG_VM: no register of the vCPU; the hypervisor is set up
 * otherwise (the MSR filter). KNOB_REG_RFLAGS: a system bit of the first
 * RFLAGS (mode_env.rflags), which a case's own rflags line cannot set. */
enum knob_reg { KNOB_REG_CPL, KNOB_REG_CR0, KNOB_REG_CR4, KNOB_REG_EFER, KNOB_REG_VM,
		KNOB_REG_RFLAGS };

struct knob_def {
	uint32_t bit;         /* KNOB_* */
	const char *name;     /* "cpl3", "cr4.umip", "no-osfxsr" ... */
	enum knob_reg reg;
	uint64_t mask;        /* the register bit it changes */
	uint8_t set;          /* 1: the knob sets mask, 0: clears it */
	uint8_t modes;        /* 1 << MODE_* it applies to */
	const char *why;      /* what changes, for `exitdiff gen --help` and docs */
};

extern const struct knob_def knob_defs[];
extern const unsigned knob_def_count;

/* The definition of one KNOB_* bit, or NULL. */
const struct knob_def *knob_by_bit(uint32_t bit);
/* The definition named name, or NULL. */
const struct knob_def *knob_by_name(const char *name);
/* 1 when every bit of knobs applies to mode m. */
int knobs_valid_for(uint32_t knobs, enum cpu_mode m);
/* Every knob that applies to mode m. */
uint32_t knobs_for_mode(enum cpu_mode m);
/* "cpl3 cr4.tsd" (space-separated names), "" for none. Returns buf. */
char *knobs_format(uint32_t knobs, char *buf, size_t len);

#endif
