/* Known divergences and saved findings of the execution fuzz target. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "case_text.h"
#include "fuzz_exec.h"
#include "known.h"

/* The known list, parsed by core/known.c (the built-in campaign reads the
 * same file the same way, prefix entries included). */
static struct known_list known;

void fx_known_free(void)
{
	known_free(&known);
	memset(&known, 0, sizeof(known));
}

int fx_known_load(const char *path, int optional, char *err, size_t errlen)
{
	fx_known_free();
	if (optional && access(path, F_OK) < 0 && errno == ENOENT)
		return 0;
	if (known_load(&known, path, err, errlen) < 0)
		return -1;
	return (int)known.n;
}

const struct known_list *fx_known_list(void)
{
	return &known;
}

/* Signatures hold '/', '#' and ':' (exception#UD/hlt:terminal:lzcnt): keep
 * a file name to [A-Za-z0-9._-]. */
static void sanitize(const char *in, char *out, size_t len)
{
	size_t i = 0;
	for (; *in && i + 1 < len; in++)
		out[i++] = (*in >= 'a' && *in <= 'z') || (*in >= 'A' && *in <= 'Z') ||
			   (*in >= '0' && *in <= '9') || *in == '.' || *in == '-' ? *in : '_';
	out[i] = 0;
}

/* Prints text with "# " in front of every line. */
static void print_commented(FILE *f, const char *text, size_t len)
{
	int bol = 1;
	for (size_t i = 0; i < len; i++) {
		if (bol)
			fputs("#   ", f);
		fputc(text[i], f);
		bol = text[i] == '\n';
	}
	if (!bol)
		fputc('\n', f);
}

static int write_finding(FILE *f, const char *engine, const struct fx_result *r)
{
	static struct case_file cf; /* ~30 KiB: not on the fuzz stack */
	char desc[256];
	divergence_describe(&r->d, desc, sizeof(desc));
	fprintf(f, "# exitdiff fuzz finding (engine: %s)\n", engine);
	fprintf(f, "# signature: %s\n", r->d.signature);
	if (strcmp(r->key, r->d.signature))
		fprintf(f, "# bucket key: %s\n", r->key);
	fprintf(f, "# divergence: %s\n", desc);
	fprintf(f, "# replay: exitdiff run THIS.case (expect = reference outcome)\n");
	fprintf(f, "# kvm outcome:\n");
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	if (m) {
		outcome_print(m, r->kvm, r->c);
		fclose(m);
		print_commented(f, buf, len);
		free(buf);
	}
	memset(&cf, 0, sizeof(cf));
	cf.c = *r->c;
	cf.has_expect = 1;
	cf.expect = *r->ref;
	case_print(f, &cf);
	return ferror(f) ? -1 : 0;
}

int fx_save_finding(const char *dir, const char *engine, const struct fx_result *r,
		    char *out, size_t outlen, char *err, size_t errlen)
{
	if (mkdir(dir, 0777) < 0 && errno != EEXIST) {
		snprintf(err, errlen, "%s: cannot create findings dir: %s", dir, strerror(errno));
		return -1;
	}
	/* One file per key, shared by every process and engine writing
	 * to this dir (persistent AFL children and libFuzzer -fork jobs each
	 * rediscover the same signatures): DIR/<signature>-<hash>.case, the
	 * hash keeping signatures apart that sanitize alike. */
	char name[SIGNATURE_MAX];
	sanitize(r->key, name, sizeof(name));
	uint32_t h = fx_hash(FX_HASH_INIT, r->key, strlen(r->key));
	char path[4096], tmp[4200];
	snprintf(path, sizeof(path), "%s/%s-%08x.case", dir, name, h);
	if (access(path, F_OK) == 0)
		return 1;
	snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid());
	FILE *f = fopen(tmp, "w");
	if (!f) {
		snprintf(err, errlen, "%s: cannot write: %s", tmp, strerror(errno));
		return -1;
	}
	int bad = write_finding(f, engine, r);
	if (fclose(f) != 0 || bad) {
		snprintf(err, errlen, "%s: write failed: %s", tmp, strerror(errno));
		unlink(tmp);
		return -1;
	}
	/* link() publishes the complete file and fails if another process
	 * got there first: the first writer wins, nobody overwrites. */
	int rc = link(tmp, path);
	int saved_errno = errno;
	unlink(tmp);
	if (rc < 0 && saved_errno == EEXIST)
		return 1;
	if (rc < 0) {
		snprintf(err, errlen, "%s: link to %s failed: %s", tmp, path, strerror(saved_errno));
		return -1;
	}
	snprintf(out, outlen, "%s", path);
	return 0;
}
