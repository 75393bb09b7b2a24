/* Tables shared by the .case parser and printer (case_text.c,
 * case_text_print.c), so a field's text name is written once. */
#ifndef EXITDIFF_CASE_FIELDS_H
#define EXITDIFF_CASE_FIELDS_H

#include <stddef.h>
#include <stdint.h>
#include "outcome.h"

/* A numeric end-state line of the expect section: "NAME VALUE". */
struct case_state_field {
	const char *name;
	size_t off;          /* offset inside struct outcome */
	uint8_t size;        /* 2, 4 or 8 bytes */
	uint8_t only_nonzero;/* printed only when non-zero */
};
extern const struct case_state_field case_state_fields[];
extern const size_t case_state_field_count;
const struct case_state_field *case_state_field_find(const char *name);

uint64_t case_field_get(const struct outcome *o, const struct case_state_field *f);
void case_field_set(struct outcome *o, const struct case_state_field *f, uint64_t v);

/* Event fields of "exit KIND key=value ..." lines. */
enum case_ev_field {
	EVF_ADDR, EVF_SIZE, EVF_DATA, EVF_RIP, EVF_CR2, EVF_ERROR, EVF_NDATA,
	EVF_BUDGET, EVF_BY,
};
struct case_ev_key {
	const char *key;
	enum case_ev_field field;
	uint32_t kinds;      /* bit per enum exit_kind where the key applies */
};
extern const struct case_ev_key case_ev_keys[];
extern const size_t case_ev_key_count;

/* The direction words of io ("in"/"out") and mmio ("read"/"write"). */
const char *case_dir_name(enum exit_kind k, unsigned dir);

#endif
