/* A worker's table of every signature (and signature|knobs key) it has
 * seen (camp_internal.h): entries in blocks that never move, a hash index
 * that doubles as it fills. */
#include <stdlib.h>
#include <string.h>
#include "camp_internal.h"

/* Entries are allocated in blocks of this many, so a pointer to one stays
 * valid while the table grows (a worker holds one across recursive
 * lookups). */
#define SIG_ENTRIES_PER_BLOCK 1024

uint32_t camp_hash_str(const char *s)
{
	uint32_t h = 2166136261u;
	while (*s)
		h = (h ^ (uint8_t)*s++) * 16777619u;
	return h;
}

struct sig_slot *sigtab_entry(const struct sig_table *t, size_t i)
{
	return &t->blocks[i / SIG_ENTRIES_PER_BLOCK][i % SIG_ENTRIES_PER_BLOCK];
}

/* Doubles the index and puts every entry back. Returns 0 or -1. */
static int index_grow(struct sig_table *t)
{
	size_t cap = t->index_cap ? 2 * t->index_cap : 4 * SIG_ENTRIES_PER_BLOCK;
	uint32_t *ix = calloc(cap, sizeof(*ix));
	if (!ix)
		return -1;
	for (size_t i = 0; i < t->n; i++) {
		size_t j = camp_hash_str(sigtab_entry(t, i)->sig) & (cap - 1);
		while (ix[j])
			j = (j + 1) & (cap - 1);
		ix[j] = (uint32_t)(i + 1);
	}
	free(t->index);
	t->index = ix;
	t->index_cap = cap;
	return 0;
}

/* A new entry at the end of the table, zeroed. NULL when out of memory. */
static struct sig_slot *append(struct sig_table *t)
{
	if (t->n == t->nblocks * SIG_ENTRIES_PER_BLOCK) {
		struct sig_slot **nb = realloc(t->blocks, (t->nblocks + 1) * sizeof(*nb));
		if (!nb)
			return NULL;
		t->blocks = nb;
		if (!(nb[t->nblocks] = calloc(SIG_ENTRIES_PER_BLOCK, sizeof(**nb))))
			return NULL;
		t->nblocks++;
	}
	struct sig_slot *s = sigtab_entry(t, t->n);
	s->self = (uint32_t)t->n++;
	return s;
}

struct sig_slot *sigtab_slot(struct sig_table *t, const char *sig, int *fresh)
{
	*fresh = 0;
	if (2 * (t->n + 1) > t->index_cap && index_grow(t) < 0)
		return NULL;
	size_t j = camp_hash_str(sig) & (t->index_cap - 1);
	for (; t->index[j]; j = (j + 1) & (t->index_cap - 1)) {
		struct sig_slot *s = sigtab_entry(t, t->index[j] - 1);
		if (!strcmp(s->sig, sig))
			return s;
	}
	struct sig_slot *s = append(t);
	if (!s)
		return NULL;
	t->index[j] = (uint32_t)t->n;
	snprintf(s->sig, sizeof(s->sig), "%s", sig);
	*fresh = 1;
	return s;
}
