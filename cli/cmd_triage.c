/* exitdiff triage OUT: a campaign's new buckets in the order to look at
 * them. Each bucket's case runs again on both executors and on Unicorn,
 * the third oracle; the buckets where Unicorn takes the reference's side
 * (KVM suspects) come first, then those where it takes neither, and those
 * where it takes KVM's (reference suspects) last; by hits within each.
 * A bucket whose case no longer diverges says so. docs/unicorn.md. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "case_text.h"
#include "cli.h"
#include "diff.h"

/* Sort key after the oracle sides: the case agrees now, or failed to run. */
enum { SIDE_NONE = ORACLE_FAILED + 1, SIDE_GONE, SIDE_ERROR };

struct row {
	int side;
	unsigned long long hits;
	char sig[SIGNATURE_MAX];
	char *path;
};

static int by_side_then_hits(const void *a, const void *b)
{
	const struct row *x = a, *y = b;
	if (x->side != y->side)
		return x->side - y->side;
	return (y->hits > x->hits) - (y->hits < x->hits);
}

static const char *side_name(int side)
{
	if (side == SIDE_NONE)
		return "-";
	if (side == SIDE_GONE)
		return "agrees now";
	if (side == SIDE_ERROR)
		return "error";
	return oracle_side_name((enum oracle_side)side);
}

/* The bucket's hits file, next to its case.case: signature and count. */
static void read_hits(const char *case_path, struct row *r)
{
	char p[4200], line[512];
	snprintf(p, sizeof(p), "%.*s/hits", (int)(strrchr(case_path, '/') - case_path), case_path);
	FILE *f = fopen(p, "r");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = 0;
		if (!strncmp(line, "hits ", 5))
			r->hits = strtoull(line + 5, NULL, 0);
		else if (!strncmp(line, "signature ", 10))
			snprintf(r->sig, sizeof(r->sig), "%.127s", line + 10);
	}
	fclose(f);
}

int cmd_triage(int argc, char **argv)
{
	const char *out = NULL;
	int oracle = 1;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--no-oracle"))
			oracle = 0;
		else if (argv[i][0] == '-') {
			cli_error("triage", "unknown option '%s' (usage: exitdiff triage OUT [--no-oracle])", argv[i]);
			return 2;
		} else if (!out)
			out = argv[i];
		else {
			cli_error("triage", "one campaign directory only ('%s' is extra)", argv[i]);
			return 2;
		}
	}
	if (!out) {
		cli_error("triage", "no campaign directory (usage: exitdiff triage OUT [--no-oracle])");
		return 2;
	}
	char dir[4200];
	snprintf(dir, sizeof(dir), "%s/buckets", out);
	char *args[] = { dir };
	char **paths = NULL;
	int n = collect_case_paths("triage", args, 1, &paths), npaths = n;
	if (n < 0)
		return 2;
	struct session s;
	if (session_open(&s, NEED_KVM | NEED_REF | (oracle ? NEED_UNICORN : 0)) < 0) {
		paths_free(paths, n);
		return 2;
	}
	struct row *rows = calloc((size_t)n + 1, sizeof(*rows));
	struct case_file *cf = malloc(sizeof(*cf));
	struct outcome *ref = malloc(sizeof(*ref)), *kvm = malloc(sizeof(*kvm));
	if (!rows || !cf || !ref || !kvm) {
		cli_error("triage", "out of memory");
		n = -1;
	}
	int counts[SIDE_ERROR + 1] = { 0 };
	for (int i = 0; i < n; i++) {
		struct row *r = &rows[i];
		char err[512] = "", detail[640];
		r->path = paths[i];
		read_hits(paths[i], r);
		if (case_load(paths[i], cf, err, sizeof(err)) < 0 ||
		    s.ref.ops->run(&s.ref, &cf->c, ref) < 0 || s.kvm.ops->run(&s.kvm, &cf->c, kvm) < 0) {
			fprintf(stderr, "exitdiff triage: %s: %s\n", paths[i],
				err[0] ? err : "an executor failed");
			r->side = SIDE_ERROR;
		} else {
			struct divergence d;
			if (outcome_diff(ref, kvm, &d) != VERDICT_DIVERGE)
				r->side = SIDE_GONE;
			else if (!oracle)
				r->side = SIDE_NONE;
			else
				r->side = (int)oracle_judge(&s, &cf->c, ref, kvm, detail, sizeof(detail));
			if (!r->sig[0])
				snprintf(r->sig, sizeof(r->sig), "%s", d.signature);
		}
		counts[r->side]++;
	}
	if (n >= 0) {
		qsort(rows, (size_t)n, sizeof(*rows), by_side_then_hits);
		printf("%-14s %8s  %-60s %s\n", "unicorn", "hits", "bucket", "case");
		for (int i = 0; i < n; i++)
			printf("%-14s %8llu  %-60s %s\n", side_name(rows[i].side), rows[i].hits,
			       rows[i].sig, rows[i].path);
		printf("%d bucket(s):", n);
		for (int k = 0; k <= SIDE_ERROR; k++)
			if (counts[k])
				printf(" %s %d,", side_name(k), counts[k]);
		printf(" (unicorn siding with the reference points at KVM, with kvm at the reference)\n");
	}
	free(rows);
	free(cf);
	free(ref);
	free(kvm);
	session_close(&s);
	paths_free(paths, npaths);
	return n < 0 ? 2 : 0;
}
