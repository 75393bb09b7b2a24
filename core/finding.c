/* Bucket keys and the known-list lookup of a divergence (finding.h): one
 * definition for every caller. */
#include <stdio.h>
#include <string.h>
#include "finding.h"
#include "knobs.h"
#include "mode.h"

void finding_key(char key[SIGNATURE_MAX], const char *signature, unsigned mode)
{
	if (key != signature)
		snprintf(key, SIGNATURE_MAX, "%s", signature);
	if (mode == MODE_LONG64 || mode >= MODE_COUNT)
		return;
	const char *mn = mode_name((enum cpu_mode)mode);
	size_t ml = strlen(mn) + 1, len = strnlen(key, SIGNATURE_MAX - 1);
	if (len + ml > SIGNATURE_MAX - 1)
		len = SIGNATURE_MAX - 1 - ml;
	key[len] = '@';
	memcpy(key + len + 1, mn, ml);
}

unsigned finding_key_mode(const char *key)
{
	const char *at = strrchr(key, '@');
	if (at)
		for (unsigned m = 0; m < MODE_COUNT; m++)
			if (!strcmp(at + 1, mode_name((enum cpu_mode)m)))
				return m;
	return MODE_LONG64;
}

void finding_key_base(char base[SIGNATURE_MAX], const char *key)
{
	if (base != key)
		snprintf(base, SIGNATURE_MAX, "%s", key);
	char *at = strrchr(base, '@');
	if (at && finding_key_mode(base) != MODE_LONG64)
		*at = 0;
}

const struct known_entry *finding_known(const struct known_list *k, const char *key,
					uint32_t knobs, char known_key[SIGNATURE_MAX])
{
	known_key[0] = 0;
	const struct known_entry *e = k ? known_find_for(k, key, knobs) : NULL;
	if (!e)
		return NULL;
	if (!e->knobs) {
		snprintf(known_key, SIGNATURE_MAX, "%s", key);
		return e;
	}
	/* The entry's knobs, comma-separated: "KEY[cr4.smap]". */
	char names[24], *p = names;
	knobs_format(e->knobs, names, sizeof(names));
	while ((p = strchr(p, ' ')))
		*p = ',';
	snprintf(known_key, SIGNATURE_MAX, "%.100s[%.23s]", key, names);
	return e;
}

void finding_resolve(const struct known_list *k, const struct test_case *c,
		     const char *signature, struct finding *f)
{
	snprintf(f->base, sizeof(f->base), "%s", signature);
	finding_key(f->key, signature, c->mode);
	f->known = finding_known(k, f->key, c->knobs, f->known_key);
}
