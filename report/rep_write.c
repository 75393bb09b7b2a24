/* The report page and plot_data.tsv (report.h): sections in the order a
 * person asks — is it still finding things, what did it find, how much of
 * the instruction space does the reference model, where did it run. */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "rep_campaign.h"
#include "rep_html.h"
#include "rep_outcome.h"
#include "rep_svg.h"
#include "report.h"

static const char style[] =
	"body{font-family:sans-serif;margin:1.5em;max-width:1200px;color:#222}"
	"h1{font-size:1.5em}h2{font-size:1.2em;margin-top:1.8em;border-bottom:1px solid #ccc}"
	"table{border-collapse:collapse;font-size:13px;margin:.5em 0}"
	"td,th{border:1px solid #ccc;padding:2px 6px;text-align:left;vertical-align:top}"
	"th{background:#f3f3f3}td.n{text-align:right;font-variant-numeric:tabular-nums}"
	"code,.k,.sbs td{font-family:monospace;font-size:12px}"
	"tr.d td{background:#fde8e0}td.eq{color:#666}tr.ex td{border-top:none;padding-top:0}tr.cluster td.k{min-width:30em}"
	"details{margin:.2em 0}summary{cursor:pointer;color:#0550ae}"
	"p.note{color:#666;font-size:13px}nav a{margin-right:1em}"
	"div.charts{display:flex;flex-wrap:wrap;gap:0 1.5em}svg.chart{display:block;margin:.6em 0}"
	".v-kvm{color:#b00020}.v-ref{color:#6a4c00}";

static void fmt_count(char *buf, size_t len, double v)
{
	if (isfinite(v))
		svg_fmt_count(buf, len, v);
	else
		snprintf(buf, len, "-");
}

static void fmt_when(char *buf, size_t len, double t)
{
	if (isfinite(t))
		svg_fmt_secs(buf, len, t);
	else
		snprintf(buf, len, "-");
}

/* Links from the page to the campaign's files: relative when the page is
 * in OUT (the default; the directory can be copied whole), else OUT's
 * absolute path. */
static void link_base(const char *out, const char *html, char *buf, size_t len)
{
	char dir[PATH_MAX], ro[PATH_MAX], rd[PATH_MAX];
	snprintf(dir, sizeof(dir), "%s", html);
	char *slash = strrchr(dir, '/');
	if (slash)
		*(slash == dir ? slash + 1 : slash) = 0;
	else
		snprintf(dir, sizeof(dir), ".");
	if (realpath(out, ro) && realpath(dir, rd) && !strcmp(ro, rd))
		buf[0] = 0;
	else if (realpath(out, ro))
		snprintf(buf, len, "%s/", ro);
	else
		snprintf(buf, len, "%s/", out);
}

static void chart(FILE *f, const struct rep_campaign *c, const double *x, const char *title,
		  const char *ylabel, const struct svg_series *s, size_t ns, int percent)
{
	struct svg_chart ch = { .title = title, .ylabel = ylabel, .x = x, .n = c->ns, .s = s,
				.ns = ns, .percent = percent };
	svg_line_chart(f, &ch);
}

/* One field of every sample as an array: a chart draws arrays. */
#define COLUMN(dst, field) for (size_t i_ = 0; i_ < c->ns; i_++) (dst)[i_] = c->s[i_].field

static int write_charts(FILE *f, const struct rep_campaign *c)
{
	size_t n = c->ns;
	/* x, then up to 24 series of n values. */
	double *m = malloc((n ? n : 1) * 25 * sizeof(double));
	if (!m)
		return -1;
	double *x = m, *col[24];
	for (unsigned k = 0; k < 24; k++)
		col[k] = m + (k + 1) * n;
	COLUMN(x, t);
	struct svg_series s[24];
	char names[24][48];

	/* Throughput: each worker, and the campaign's own rate. */
	size_t ns = 0;
	COLUMN(col[ns], rate);
	s[ns++] = (struct svg_series){ "all workers", col[0] };
	for (unsigned w = 0; w < c->nworkers && ns < 24; w++, ns++) {
		COLUMN(col[ns], wrate[w]);
		snprintf(names[ns], sizeof(names[ns]), "worker %u", w);
		s[ns] = (struct svg_series){ names[ns], col[ns] };
	}
	chart(f, c, x, "Execs per second", "execs/s", s, ns, 0);

	COLUMN(col[0], execs);
	s[0] = (struct svg_series){ "execs", col[0] };
	chart(f, c, x, "Total execs", "execs", s, 1, 0);

	COLUMN(col[0], clusters);
	COLUMN(col[1], buckets);
	s[0] = (struct svg_series){ "clusters", col[0] };
	s[1] = (struct svg_series){ "buckets (new, not known)", col[1] };
	chart(f, c, x, "Discovery: is the campaign still finding things?", "count", s, 2, 0);

	COLUMN(col[0], exec_failures);
	COLUMN(col[1], hv_failures);
	COLUMN(col[2], restarts);
	COLUMN(col[3], crashes);
	s[0] = (struct svg_series){ "executor failures", col[0] };
	s[1] = (struct svg_series){ "of them hypervisor", col[1] };
	s[2] = (struct svg_series){ "worker restarts", col[2] };
	s[3] = (struct svg_series){ "worker crashes", col[3] };
	chart(f, c, x, "Executor failures, restarts and crashes (cumulative)", "count", s, 4, 0);

	ns = 0;
	for (unsigned l = 0; l < c->nlanes; l++, ns++) {
		COLUMN(col[ns], lane_unsup[l]);
		s[ns] = (struct svg_series){ c->lane[l], col[ns] };
	}
	chart(f, c, x, "UNSUPPORTED share per lane (per stats period)", "of execs", s, ns, 1);
	free(m);
	return 0;
}

static void verdict_cell(FILE *f, const char *v, size_t others)
{
	fputs("<td>", f);
	if (!v[0])
		fputs("<span class=\"note\">not triaged</span>", f);
	else {
		/* "KVM wrong (...)", or the VMM's "vmm:qemu-tcg wrong (...)". */
		const char *cls = !strncmp(v, "reference wrong", 15) ? "v-ref" :
				  strstr(v, " wrong (") ? "v-kvm" : "";
		fprintf(f, "<span class=\"%s\">", cls);
		html_esc(f, v);
		fputs("</span>", f);
		if (others)
			fprintf(f, " <i>(%zu other verdict%s among its buckets)</i>", others,
				others == 1 ? "" : "s");
	}
	fputs("</td>", f);
}

static void write_clusters(FILE *f, const struct rep_campaign *c, const char *base)
{
	fprintf(f, "<h2 id=\"clusters\">Clusters (%zu)</h2>", c->nc);
	if (!c->nc) {
		fputs("<p>No divergence saved yet.</p>", f);
		return;
	}
	fputs("<p class=\"note\">A cluster key: REF/KVM terminals, class of the first differing field, "
	      "instruction family, mode, [needed knobs]. Verdicts are those <code>exitdiff triage OUT</code> "
	      "wrote (the host CPU or Unicorn as third judge). Each example opens to its outcomes side by "
	      "side (differing rows marked) and the commands to rerun it and export it as a TMK.</p>", f);
	fputs("<table><tr><th>#</th><th>cluster</th><th>hits</th><th>buckets</th><th>verdict</th>"
	      "<th>first seen</th><th>example</th></tr>", f);
	for (size_t i = 0; i < c->nc; i++) {
		const struct rep_cluster *cl = &c->c[i];
		const struct rep_bucket *b = &c->b[cl->example];
		char when[32], div[512];
		fmt_when(when, sizeof(when), cl->first_seen);
		fprintf(f, "<tr id=\"c%zu\" class=\"cluster\"><td class=\"n\">%zu</td><td class=\"k\">", i + 1, i + 1);
		html_esc(f, cl->key);
		fprintf(f, "</td><td class=\"n\">%" PRIu64 "</td><td class=\"n\">%zu</td>", cl->hits,
			cl->nbuckets);
		verdict_cell(f, b->verdict, cl->nverdicts);
		fprintf(f, "<td class=\"n\">%s</td><td><a href=\"", when);
		html_escf(f, "%sbuckets/%s/case.case", base, b->name);
		fprintf(f, "\">case</a> &#183; <a href=\"#tmk%zu\">TMK export</a></td></tr>", i + 1);
		/* The example on a row of its own, the table's full width: two
		 * outcomes side by side need it. */
		fputs("<tr class=\"ex\"><td></td><td colspan=\"6\"><details><summary class=\"k\">example: ", f);
		html_esc(f, b->sig);
		fputs("</summary>", f);
		rep_divergence_line(c->out, b->name, div, sizeof(div));
		if (div[0]) {
			fputs("<p class=\"k\">", f);
			html_esc(f, div);
			fputs("</p>", f);
		}
		rep_outcomes_html(f, c->out, b->name, rep_hv(c));
		fprintf(f, "<p id=\"tmk%zu\">rerun: <code>", i + 1);
		html_escf(f, "exitdiff run %s/buckets/%s/case.case", c->out, b->name);
		fputs("</code><br/>TMK: <code>", f);
		/* The directory name ends in the signature's hash: short and unique. */
		const char *h = strrchr(b->name, '-');
		html_escf(f, "exitdiff export %s/buckets/%s/case.case -o tmk-%.40s", c->out, b->name,
			  h ? h + 1 : b->name);
		fputs("</code></p></details></td></tr>", f);
	}
	fputs("</table>", f);
}

static void write_buckets(FILE *f, const struct rep_campaign *c, const char *base)
{
	fprintf(f, "<h2 id=\"buckets\">Buckets (%zu)</h2>", c->nb);
	if (!c->nb)
		return;
	fputs("<table><tr><th>bucket key (signature)</th><th>hits</th><th>cluster</th><th>verdict</th>"
	      "<th>first seen</th><th>environment</th></tr>", f);
	for (size_t i = 0; i < c->nb; i++) {
		const struct rep_bucket *b = &c->b[i];
		char when[32];
		fmt_when(when, sizeof(when), b->first_seen);
		fputs("<tr class=\"bucket\"><td class=\"k\"><a href=\"", f);
		html_escf(f, "%sbuckets/%s/case.case", base, b->name);
		fputs("\">", f);
		html_esc(f, b->sig);
		fprintf(f, "</a></td><td class=\"n\">%" PRIu64 "</td><td class=\"k\">", b->hits);
		html_esc(f, b->cluster);
		fputs("</td>", f);
		verdict_cell(f, b->verdict, 0);
		fprintf(f, "<td class=\"n\">%s</td><td class=\"k\">", when);
		html_esc(f, b->env);
		fputs("</td></tr>", f);
	}
	fputs("</table>", f);
}

static void top_list(FILE *f, const struct json_doc *d, const struct json_node *arr)
{
	int first = 1;
	for (const struct json_node *u = json_first(d, arr); u; u = json_next(d, u)) {
		char n[32];
		fmt_count(n, sizeof(n), json_num(d, u, "count", NAN));
		fputs(first ? "" : ", ", f);
		fputs("<code>", f);
		html_esc(f, json_str_of(d, u, "mnemonic"));
		fprintf(f, "</code> (%s)", n);
		first = 0;
	}
}

static void write_lanes(FILE *f, const struct rep_campaign *c)
{
	const struct json_doc *d = &c->last;
	const struct json_node *r = rep_last(c), *lanes = json_get(d, r, "lanes");
	fputs("<h2 id=\"lanes\">Lanes: agreement and modeled share</h2>", f);
	fputs("<p class=\"note\">Agree: cases both executors ended alike, of those that ran. Modeled: the "
	      "share of executed instructions the reference models (an UNSUPPORTED case counts the one it "
	      "stopped at).</p>", f);
	fputs("<table><tr><th>lane</th><th>execs</th><th>agree</th><th>diverge</th><th>unsupported</th>"
	      "<th>modeled</th><th>buckets</th><th>top unsupported mnemonics</th></tr>", f);
	for (const struct json_node *l = json_first(d, lanes); l; l = json_next(d, l)) {
		double execs = json_num(d, l, "execs", NAN), fail = json_num(d, l, "exec_failures", 0);
		double ran = execs - fail;
		char e[32];
		fmt_count(e, sizeof(e), execs);
		fputs("<tr><td class=\"k\">", f);
		html_esc(f, json_key(d, l));
		fprintf(f, "</td><td class=\"n\">%s</td><td class=\"n\">%.2f%%</td><td class=\"n\">%.2f%%</td>"
			"<td class=\"n\">%.2f%%</td><td class=\"n\">%.2f%%</td><td class=\"n\">%.0f</td><td>", e,
			100 * json_num(d, l, "agree_rate", NAN),
			ran > 0 ? 100 * json_num(d, l, "diverge", NAN) / ran : NAN,
			ran > 0 ? 100 * json_num(d, l, "unsupported", NAN) / ran : NAN,
			100 * json_num(d, l, "modeled_share", NAN), json_num(d, l, "buckets", NAN));
		top_list(f, d, json_get(d, l, "unsupported_top"));
		fputs("</td></tr>", f);
	}
	fputs("</table><p>Top unsupported mnemonics over all lanes: ", f);
	top_list(f, d, json_get(d, r, "unsupported_top"));
	fprintf(f, " &#8212; the reference reached %.0f distinct mnemonics.</p>",
		json_num(d, r, "ref_mnemonics", NAN));
}

static void write_env(FILE *f, const struct rep_campaign *c)
{
	fputs("<h2 id=\"env\">Environment and options</h2>", f);
	if (!c->nruns) {
		fputs("<p>No <code>runs.jsonl</code>: this campaign predates it, so its host and options "
		      "were not recorded.</p>", f);
		return;
	}
	fputs("<table><tr><th>run</th><th>started</th><th>at campaign time</th><th>host</th><th>vendor</th>"
	      "<th>kernel</th><th>backend</th><th>cpu</th><th>jobs</th><th>generator</th><th>seed</th>"
	      "<th>command</th></tr>", f);
	for (size_t i = 0; i < c->nruns; i++) {
		const struct rep_run *u = &c->runs[i];
		char when[64] = "-", at[32];
		time_t tt = (time_t)u->unix_time;
		struct tm tm;
		if (isfinite(u->unix_time) && gmtime_r(&tt, &tm))
			strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", &tm);
		fmt_when(at, sizeof(at), u->time);
		fprintf(f, "<tr><td class=\"n\">%zu</td><td>%s</td><td class=\"n\">%s</td><td>", i + 1, when, at);
		html_esc(f, u->host);
		fputs("</td><td>", f);
		html_esc(f, u->vendor);
		fputs("</td><td>", f);
		html_esc(f, u->kernel);
		fputs("</td><td>", f);
		html_esc(f, u->backend);
		fputs("</td><td>", f);
		html_esc(f, u->cpu);
		fprintf(f, "</td><td class=\"n\">%u</td><td>", u->jobs);
		html_esc(f, u->generator);
		fputs("</td><td class=\"n\">", f);
		html_esc(f, u->seed);
		fputs("</td><td><code>", f);
		html_esc(f, u->command);
		fputs("</code></td></tr>", f);
	}
	fputs("</table><p>Fingerprint of the last run: <code>", f);
	html_esc(f, c->runs[c->nruns - 1].env);
	fputs("</code>; known list <code>", f);
	html_esc(f, c->runs[c->nruns - 1].known[0] ? c->runs[c->nruns - 1].known : "(none)");
	fputs("</code>.</p>", f);
}

static void write_head(FILE *f, const struct rep_campaign *c)
{
	const struct json_doc *d = &c->last;
	const struct json_node *r = rep_last(c);
	char now[64], t[32], e[32], rate[32];
	time_t tt = time(NULL);
	struct tm tm;
	strftime(now, sizeof(now), "%Y-%m-%d %H:%M:%S UTC", gmtime_r(&tt, &tm));
	fmt_when(t, sizeof(t), json_num(d, r, "time", NAN));
	fmt_count(e, sizeof(e), json_num(d, r, "execs", NAN));
	fmt_count(rate, sizeof(rate), json_num(d, r, "execs_per_s", NAN));
	fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"/>"
	      "<meta name=\"viewport\" content=\"width=device-width\"/><title>exitdiff report: ", f);
	html_esc(f, c->out);
	fprintf(f, "</title><style>%s</style></head><body><h1>exitdiff campaign report: <code>", style);
	html_esc(f, c->out);
	fprintf(f, "</code></h1><p>%s of campaign time, %s execs (last period %s/s), <b>%zu clusters</b>, "
		"<b>%zu buckets</b>, %.0f known-divergence hits, unsupported %.2f%%, executor failures %.0f"
		"%s. Written %s by <code>exitdiff report</code>; the data of the charts is in "
		"<a href=\"plot_data.tsv\">plot_data.tsv</a>.</p>", t, e, rate, c->nc, c->nb,
		json_num(d, r, "known_hits", NAN), 100 * json_num(d, r, "unsupported_rate", NAN),
		json_num(d, r, "exec_failures", NAN),
		json_get(d, r, "unhealthy") && json_get(d, r, "unhealthy")->type == JSON_TRUE ?
		" &#8212; <b class=\"v-kvm\">UNHEALTHY</b>" : "", now);
	fputs("<nav><a href=\"#charts\">charts</a><a href=\"#clusters\">clusters</a><a href=\"#buckets\">"
	      "buckets</a><a href=\"#lanes\">lanes</a><a href=\"#env\">environment</a></nav>", f);
}

static int write_html(FILE *f, const struct rep_campaign *c, const char *base)
{
	write_head(f, c);
	fputs("<h2 id=\"charts\">Over time</h2><div class=\"charts\">", f);
	if (write_charts(f, c) < 0)
		return -1;
	fputs("</div>", f);
	write_clusters(f, c, base);
	write_lanes(f, c);
	write_buckets(f, c, base);
	write_env(f, c);
	fputs("</body></html>\n", f);
	return 0;
}

static void tsv_num(FILE *f, double v)
{
	/* Empty for no value: gnuplot (separator "\t") and spreadsheets both
	 * read it as missing. */
	if (isfinite(v))
		fprintf(f, "\t%.6g", v);
	else
		fputc('\t', f);
}

static void write_tsv(FILE *f, const struct rep_campaign *c)
{
	fputs("time\texecs\texecs_per_s\tclusters\tbuckets\texec_failures\thv_failures\trestarts\tcrashes"
	      "\tunsupported_rate", f);
	for (unsigned w = 0; w < c->nworkers; w++)
		fprintf(f, "\tw%u_execs_per_s", w);
	for (unsigned l = 0; l < c->nlanes; l++)
		fprintf(f, "\tunsupported_share_%s", c->lane[l]);
	fputc('\n', f);
	for (size_t i = 0; i < c->ns; i++) {
		const struct rep_sample *s = &c->s[i];
		fprintf(f, "%.1f", s->t);
		tsv_num(f, s->execs);
		tsv_num(f, s->rate);
		tsv_num(f, s->clusters);
		tsv_num(f, s->buckets);
		tsv_num(f, s->exec_failures);
		tsv_num(f, s->hv_failures);
		tsv_num(f, s->restarts);
		tsv_num(f, s->crashes);
		tsv_num(f, s->unsupported_rate);
		for (unsigned w = 0; w < c->nworkers; w++)
			tsv_num(f, s->wrate[w]);
		for (unsigned l = 0; l < c->nlanes; l++)
			tsv_num(f, s->lane_unsup[l]);
		fputc('\n', f);
	}
}

/* Writes path through path.tmp and a rename. */
static int write_file(const char *path, int (*fn)(FILE *, const struct rep_campaign *, const char *),
		      const struct rep_campaign *c, const char *base, char *err, size_t errlen)
{
	char tmp[PATH_MAX];
	size_t len = strlen(path);
	if (len + sizeof(".tmp") > sizeof(tmp)) {
		snprintf(err, errlen, "%.200s...: path too long", path);
		return -1;
	}
	memcpy(tmp, path, len);
	memcpy(tmp + len, ".tmp", sizeof(".tmp"));
	FILE *f = fopen(tmp, "w");
	if (!f) {
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		return -1;
	}
	int rc = fn(f, c, base);
	if (ferror(f))
		rc = -1;
	if (fclose(f) != 0 || rc < 0 || rename(tmp, path) < 0) {
		snprintf(err, errlen, "%s: %s", path, errno ? strerror(errno) : "write failed");
		unlink(tmp);
		return -1;
	}
	return 0;
}

static int tsv_fn(FILE *f, const struct rep_campaign *c, const char *base)
{
	(void)base;
	write_tsv(f, c);
	return 0;
}

int report_write(const char *out, const char *html, char *err, size_t errlen)
{
	struct rep_campaign c;
	if (rep_load(&c, out, err, errlen) < 0)
		return -1;
	char base[PATH_MAX + 2], tsv[PATH_MAX];
	link_base(out, html, base, sizeof(base));
	const char *slash = strrchr(html, '/');
	if (slash)
		snprintf(tsv, sizeof(tsv), "%.*s/plot_data.tsv", (int)(slash - html), html);
	else
		snprintf(tsv, sizeof(tsv), "plot_data.tsv");
	errno = 0;
	int rc = write_file(html, write_html, &c, base, err, errlen);
	if (rc == 0)
		rc = write_file(tsv, tsv_fn, &c, base, err, errlen);
	rep_free(&c);
	return rc;
}
