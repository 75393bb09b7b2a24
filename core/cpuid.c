#include <stddef.h>
#include "executor.h"

const struct cpuid_entry *cpuid_lookup(const struct cpuid_table *t,
				       uint32_t leaf, uint32_t subleaf)
{
	for (uint32_t i = 0; t && i < t->n; i++)
		if (t->e[i].leaf == leaf && t->e[i].subleaf == subleaf)
			return &t->e[i];
	return NULL;
}
