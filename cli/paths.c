/* Expands the file and directory arguments of run/replay into .case paths. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "cli.h"

struct path_list {
	char **v;
	int n, cap;
};

static int push(struct path_list *l, const char *path)
{
	if (l->n == l->cap) {
		int cap = l->cap ? 2 * l->cap : 64;
		char **v = realloc(l->v, cap * sizeof(*v));
		if (!v)
			return -1;
		l->v = v;
		l->cap = cap;
	}
	if (!(l->v[l->n] = strdup(path)))
		return -1;
	l->n++;
	return 0;
}

static int ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);
	return a >= b && !strcmp(s + a - b, suffix);
}

static int walk(const char *cmd, const char *dir, struct path_list *l)
{
	struct dirent **ents;
	int n = scandir(dir, &ents, NULL, alphasort);
	if (n < 0) {
		cli_error(cmd, "cannot read directory %s: %s", dir, strerror(errno));
		return -1;
	}
	int rc = 0;
	for (int i = 0; i < n; i++) {
		const char *name = ents[i]->d_name;
		char path[4096];
		struct stat st;
		if (name[0] == '.' || rc < 0)
			goto next;
		snprintf(path, sizeof(path), "%s/%s", dir, name);
		if (stat(path, &st) < 0)
			goto next;
		if (S_ISDIR(st.st_mode))
			rc = walk(cmd, path, l);
		else if (ends_with(name, ".case"))
			rc = push(l, path);
next:
		free(ents[i]);
	}
	free(ents);
	return rc;
}

int collect_case_paths(const char *cmd, char **args, int nargs, char ***out)
{
	struct path_list l = { 0 };
	for (int i = 0; i < nargs; i++) {
		struct stat st;
		if (stat(args[i], &st) < 0) {
			cli_error(cmd, "cannot open %s: %s", args[i], strerror(errno));
			paths_free(l.v, l.n);
			return -1;
		}
		if ((S_ISDIR(st.st_mode) ? walk(cmd, args[i], &l) : push(&l, args[i])) < 0) {
			paths_free(l.v, l.n);
			return -1;
		}
	}
	*out = l.v;
	return l.n;
}

void paths_free(char **paths, int n)
{
	for (int i = 0; i < n; i++)
		free(paths[i]);
	free(paths);
}
