#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include "source_tree.h"

#ifndef EXITDIFF_SOURCE_DIR
#define EXITDIFF_SOURCE_DIR "."
#endif

#define KNOWN_IN_TREE "corpus/known-divergences.txt"

const char *source_dir(void)
{
	const char *e = getenv("EXITDIFF_SOURCE_DIR");
	return e && *e ? e : EXITDIFF_SOURCE_DIR;
}

const char *known_default_path(void)
{
	static char path[4096];
	if (access(KNOWN_IN_TREE, R_OK) == 0)
		return KNOWN_IN_TREE;
	snprintf(path, sizeof(path), "%s/%s", source_dir(), KNOWN_IN_TREE);
	return access(path, R_OK) == 0 ? path : NULL;
}
