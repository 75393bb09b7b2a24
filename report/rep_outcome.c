/* Side-by-side outcomes (rep_outcome.h). */
#include <stdlib.h>
#include <string.h>
#include "rep_html.h"
#include "rep_outcome.h"

/* More exit rows than this are cut: a report holds hundreds of examples,
 * and a repeated event is folded first (below). */
#define MAX_EXIT_ROWS 12
#define MAX_LINES 256

struct side {
	char *text;                 /* the file, split in place */
	const char *exit[MAX_LINES];
	unsigned exit_rep[MAX_LINES];
	unsigned nexit;
	const char *name[MAX_LINES], *val[MAX_LINES];
	unsigned nfield;
	int found;
};

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return NULL;
	size_t cap = 8192, len = 0;
	char *t = malloc(cap);
	while (t) {
		size_t n = fread(t + len, 1, cap - len - 1, f);
		len += n;
		if (len < cap - 1)
			break;
		char *nt = realloc(t, cap * 2);
		if (!nt) {
			free(t);
			t = NULL;
			break;
		}
		t = nt;
		cap *= 2;
	}
	fclose(f);
	if (t)
		t[len] = 0;
	return t;
}

/* Lines indented by two spaces after the line header: exit events (a run
 * of equal ones folded into one with a count) and "name value" fields.
 * The reference's notes on how it ran (ran, prev, writer, steps, the
 * mnemonic: the signature names it) have no KVM counterpart and are left
 * out. */
static void parse_side(struct side *s, const char *header)
{
	int in = 0;
	for (char *line = strtok(s->text, "\n"); line; line = strtok(NULL, "\n")) {
		if (!in) {
			in = !strcmp(line, header);
			continue;
		}
		if (strncmp(line, "  ", 2))
			break;
		s->found = 1;
		line += 2;
		if (!strncmp(line, "exit ", 5)) {
			if (s->nexit && !strcmp(s->exit[s->nexit - 1], line))
				s->exit_rep[s->nexit - 1]++;
			else if (s->nexit < MAX_LINES) {
				s->exit[s->nexit] = line;
				s->exit_rep[s->nexit++] = 1;
			}
			continue;
		}
		char *sp = strchr(line, ' ');
		if (!sp || s->nfield == MAX_LINES)
			continue;
		*sp = 0;
		if (!strcmp(line, "ran") || !strcmp(line, "prev") || !strcmp(line, "writer") ||
		    !strcmp(line, "steps") || !strcmp(line, "mnemonic"))
			continue;
		s->name[s->nfield] = line;
		s->val[s->nfield++] = sp + 1;
	}
}

/* Exit events equal but for the reference's " by=MNEMONIC" (which
 * instruction made the event: KVM cannot say). */
static int same_exit(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	const char *ba = strstr(a, " by="), *bb = strstr(b, " by=");
	if (ba && !strchr(ba + 1, ' '))
		la = (size_t)(ba - a);
	if (bb && !strchr(bb + 1, ' '))
		lb = (size_t)(bb - b);
	return la == lb && !memcmp(a, b, la);
}

static const char *field_of(const struct side *s, const char *name)
{
	for (unsigned i = 0; i < s->nfield; i++)
		if (!strcmp(s->name[i], name))
			return s->val[i];
	return NULL;
}

static void exit_cell(FILE *f, const struct side *s, unsigned i)
{
	fputs("<td>", f);
	if (i < s->nexit) {
		html_esc(f, s->exit[i]);
		if (s->exit_rep[i] > 1)
			fprintf(f, " <i>(&#215;%u)</i>", s->exit_rep[i]);
	}
	fputs("</td>", f);
}

void rep_outcomes_html(FILE *f, const char *out, const char *name, const char *hv)
{
	char path[4600];
	struct side *ref = calloc(1, sizeof(*ref)), *kvm = calloc(1, sizeof(*kvm));
	if (!ref || !kvm)
		goto done;
	snprintf(path, sizeof(path), "%s/buckets/%s/case.case", out, name);
	ref->text = slurp(path);
	snprintf(path, sizeof(path), "%s/buckets/%s/kvm-outcome.txt", out, name);
	kvm->text = slurp(path);
	if (ref->text)
		parse_side(ref, "expect");
	if (kvm->text)
		parse_side(kvm, "kvm outcome:");
	if (!ref->found || !kvm->found) {
		fprintf(f, "<p class=\"note\">%s</p>", !ref->found ?
			"case.case has no expected (reference) outcome" :
			"kvm-outcome.txt has no outcome of the hypervisor");
		goto done;
	}
	fputs("<table class=\"sbs\"><tr><th></th><th>reference</th><th>", f);
	html_esc(f, hv);
	fputs("</th></tr>", f);
	unsigned nrows = ref->nexit > kvm->nexit ? ref->nexit : kvm->nexit;
	for (unsigned i = 0; i < nrows && i < MAX_EXIT_ROWS; i++) {
		int same = i < ref->nexit && i < kvm->nexit && same_exit(ref->exit[i], kvm->exit[i]) &&
			   ref->exit_rep[i] == kvm->exit_rep[i];
		fprintf(f, "<tr%s><th>exit %u</th>", same ? "" : " class=\"d\"", i + 1);
		exit_cell(f, ref, i);
		exit_cell(f, kvm, i);
		fputs("</tr>", f);
	}
	if (nrows > MAX_EXIT_ROWS)
		fprintf(f, "<tr><th></th><td>%u exit rows in all</td><td>%u exit rows in all</td></tr>",
			ref->nexit, kvm->nexit);
	/* Differing fields in the reference's order, then KVM's own; the
	 * equal ones named on one line. */
	unsigned nequal = 0;
	for (unsigned i = 0; i < ref->nfield; i++) {
		const char *kv = field_of(kvm, ref->name[i]);
		if (kv && !strcmp(kv, ref->val[i])) {
			nequal++;
			continue;
		}
		fputs("<tr class=\"d\"><th>", f);
		html_esc(f, ref->name[i]);
		fputs("</th><td>", f);
		html_esc(f, ref->val[i]);
		fputs("</td><td>", f);
		html_esc(f, kv ? kv : "-");
		fputs("</td></tr>", f);
	}
	for (unsigned i = 0; i < kvm->nfield; i++) {
		if (field_of(ref, kvm->name[i]))
			continue;
		fputs("<tr class=\"d\"><th>", f);
		html_esc(f, kvm->name[i]);
		fputs("</th><td>-</td><td>", f);
		html_esc(f, kvm->val[i]);
		fputs("</td></tr>", f);
	}
	if (nequal) {
		fprintf(f, "<tr><th>equal</th><td colspan=\"2\" class=\"eq\">%u fields:", nequal);
		for (unsigned i = 0; i < ref->nfield; i++) {
			const char *kv = field_of(kvm, ref->name[i]);
			if (kv && !strcmp(kv, ref->val[i])) {
				fputc(' ', f);
				html_esc(f, ref->name[i]);
			}
		}
		fputs("</td></tr>", f);
	}
	fputs("</table>", f);
done:
	if (ref)
		free(ref->text);
	if (kvm)
		free(kvm->text);
	free(ref);
	free(kvm);
}

void rep_divergence_line(const char *out, const char *name, char *buf, size_t len)
{
	char path[4600], line[1024];
	buf[0] = 0;
	snprintf(path, sizeof(path), "%s/buckets/%s/kvm-outcome.txt", out, name);
	FILE *f = fopen(path, "r");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = 0;
		if (!strncmp(line, "divergence ", 11) || !strncmp(line, "executor error ", 15) ||
		    !strncmp(line, "kernel log ", 11)) {
			snprintf(buf, len, "%s", line);
			break;
		}
		if (!strcmp(line, "kvm outcome:"))
			break;
	}
	fclose(f);
}
