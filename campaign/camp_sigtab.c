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

const struct sig_slot *sigtab_find(const struct sig_table *t, const char *sig)
{
	if (!t->index_cap)
		return NULL;
	size_t j = camp_hash_str(sig) & (t->index_cap - 1);
	for (; t->index[j]; j = (j + 1) & (t->index_cap - 1)) {
		const struct sig_slot *s = sigtab_entry(t, t->index[j] - 1);
		if (!strcmp(s->sig, sig))
			return s;
	}
	return NULL;
}

int sigtab_known(const struct sig_table *t, const char *sig)
{
	const struct sig_slot *s = sigtab_find(t, sig);
	for (int hops = 0; s && hops < 8; hops++) {
		if (!s->alias)
			return s->known;
		s = sigtab_entry(t, s->alias - 1);
	}
	return 0;
}

/* 1 when following s's aliases ends on an entry of the known list (or
 * goes on for more than 8 hops, which no chain the worker builds does). */
static int ends_known(const struct sig_table *t, const struct sig_slot *s)
{
	for (int hops = 0; hops < 8; hops++) {
		if (!s->alias)
			return s->known;
		s = sigtab_entry(t, s->alias - 1);
	}
	return 1;
}

/* Puts every entry [0, n) back into an empty index. */
static void index_rebuild(struct sig_table *t)
{
	memset(t->index, 0, t->index_cap * sizeof(*t->index));
	for (size_t i = 0; i < t->n; i++) {
		size_t j = camp_hash_str(sigtab_entry(t, i)->sig) & (t->index_cap - 1);
		while (t->index[j])
			j = (j + 1) & (t->index_cap - 1);
		t->index[j] = (uint32_t)(i + 1);
	}
}

size_t sigtab_bound(struct sig_table *t, size_t max)
{
	if (t->n < max)
		return 0;
	size_t before = t->n;
	/* Pass 1: drop what leads to the known list. Each kept entry's new
	 * position is at most its old one, so moving in order is safe; the
	 * aliases of kept entries lead only to kept entries (a chain that
	 * ends on a new bucket is kept whole), renumbered through newpos. */
	uint32_t *newpos = malloc(before * sizeof(*newpos));
	size_t kept = 0;
	if (newpos) {
		for (size_t i = 0; i < before; i++)
			newpos[i] = ends_known(t, sigtab_entry(t, i)) ? UINT32_MAX : (uint32_t)kept++;
	}
	if (!newpos || kept > max / 2) {
		/* Mostly new buckets (or no memory to sort them out): start
		 * empty. A bucket met again is found saved under OUT (the
		 * worker asks before sending; the parent drops a copy). */
		kept = 0;
	} else {
		for (size_t i = 0; i < before; i++) {
			if (newpos[i] == UINT32_MAX)
				continue;
			struct sig_slot *to = sigtab_entry(t, newpos[i]);
			if (newpos[i] != i)
				*to = *sigtab_entry(t, i);
			to->self = newpos[i];
			if (to->alias)
				to->alias = newpos[to->alias - 1] + 1;
		}
	}
	free(newpos);
	t->n = kept;
	/* Entries past n are zeroed for append, which expects a fresh slot. */
	for (size_t i = kept; i < before; i++)
		memset(sigtab_entry(t, i), 0, sizeof(struct sig_slot));
	index_rebuild(t);
	return before - kept;
}

size_t sigtab_bytes(const struct sig_table *t)
{
	return t->nblocks * (SIG_ENTRIES_PER_BLOCK * sizeof(struct sig_slot) + sizeof(*t->blocks)) +
	       t->index_cap * sizeof(*t->index);
}

void sigtab_free(struct sig_table *t)
{
	for (size_t i = 0; i < t->nblocks; i++)
		free(t->blocks[i]);
	free(t->blocks);
	free(t->index);
	memset(t, 0, sizeof(*t));
}
