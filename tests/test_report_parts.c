/* The report's parts without a campaign: the HTML escaper on markup,
 * control characters and bytes that are not UTF-8; the JSON reader on
 * escapes, nesting and the errors it must name (column, file:line, a
 * truncated last line); the SVG chart on a gap (NaN) and on thinning a
 * long series. Wanted values are written out by hand from the HTML, JSON
 * and SVG rules, not taken from the code. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "check.h"
#include "rep_html.h"
#include "rep_json.h"
#include "rep_svg.h"

static char *escaped(const char *in)
{
	static char buf[1024];
	FILE *f = fmemopen(buf, sizeof(buf), "w");
	html_esc(f, in);
	fclose(f);
	return buf;
}

static size_t count(const char *hay, const char *needle)
{
	size_t n = 0;
	for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

int main(void)
{
	/* Escaper. */
	CHECK(!strcmp(escaped("<a href=\"x\">'&'</a>"),
		      "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"), "markup and both quotes escaped");
	CHECK(!strcmp(escaped("a\x01" "b\x1b[0m\tc\n"), "a?b?[0m\tc\n"), "control characters but tab and newline become ?");
	CHECK(!strcmp(escaped("\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"), "\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"),
	      "valid 2-, 3- and 4-byte UTF-8 kept");
	CHECK(!strcmp(escaped("\xff\xc3(\xc0\xaf\xed\xa0\x80x\xe2\x82"), "?" "?(?????x?" "?"),
	      "a stray byte, a cut sequence, an overlong '/', a surrogate, a truncated end: each byte ?");

	/* JSON. */
	struct json_doc d = { 0 };
	char err[256] = "";
	const char *line = "{\"a\":1.5,\"s\":\"x\\\"y\\\\z\\u00e9\\ud83d\\ude00\\n\",\"arr\":[1,{\"k\":[]},null,true],"
			   "\"o\":{\"deep\":{\"v\":-2e3}}}";
	int rc = json_parse(&d, line, strlen(line), err, sizeof(err));
	CHECK(rc == 0, "a line with escapes, nesting and every type parses (%s)", err);
	const struct json_node *r = &d.n[0];
	CHECK(json_num(&d, r, "a", 0) == 1.5, "number member");
	CHECK(!strcmp(json_str_of(&d, r, "s"), "x\"y\\z\xc3\xa9\xf0\x9f\x98\x80\n"),
	      "string escapes decoded, \\u00e9 and a surrogate pair to UTF-8");
	const struct json_node *arr = json_get(&d, r, "arr"), *e = json_first(&d, arr);
	int n = 0;
	for (; e; e = json_next(&d, e))
		n++;
	CHECK(n == 4, "array of 4 items (got %d)", n);
	CHECK(json_num(&d, json_get(&d, json_get(&d, r, "o"), "deep"), "v", 0) == -2000, "nested object, exponent");
	CHECK(json_num(&d, r, "missing", 42) == 42 && !strcmp(json_str_of(&d, r, "a"), ""),
	      "absent member gives the default, a number asked as string gives \"\"");
	static const struct { const char *text, *want; } bad[] = {
		{ "{\"a\":1,}", "expected a member name at column 8" },
		{ "{\"a\":[1 2]}", "expected ',' or ']' at column 9" },
		{ "{\"a\":\"x", "unterminated string at column 8" },
		{ "{\"a\":1} x", "text after the value at column 9" },
		{ "{\"a\":\"\\q\"}", "bad escape in a string at column 9" },
		{ "{\"a\":1.2.3}", "bad number at column 6" },
	};
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = 0;
		rc = json_parse(&d, bad[i].text, strlen(bad[i].text), err, sizeof(err));
		CHECK(rc < 0 && !strcmp(err, bad[i].want), "'%s' refused: wanted '%s', got '%s'", bad[i].text,
		      bad[i].want, err);
	}
	char deep[200];
	memset(deep, '[', sizeof(deep));
	rc = json_parse(&d, deep, sizeof(deep), err, sizeof(err));
	CHECK(rc < 0 && strstr(err, "nested too deep"), "200 nested arrays refused, not recursed (%s)", err);

	/* JSON lines: line numbers, blank lines, a cut last line. */
	char path[] = "/tmp/test_report_parts.XXXXXX";
	int fd = mkstemp(path);
	FILE *f = fdopen(fd, "w");
	fputs("{\"t\":1}\n\n{\"t\":2}\n{\"t\":3", f);
	fclose(f);
	struct jsonl_reader jr;
	rc = jsonl_open(&jr, path, err, sizeof(err));
	int got = 0;
	while ((rc = jsonl_next(&jr, &d, err, sizeof(err))) > 0)
		got += (int)json_num(&d, &d.n[0], "t", 0);
	char want[512];
	snprintf(want, sizeof(want), "%s:4: truncated line (the file ends inside it)", path);
	CHECK(rc < 0 && got == 3 && !strcmp(err, want), "two lines read past a blank one, then '%s' (got '%s')", want, err);
	jsonl_close(&jr);
	unlink(path);
	rc = jsonl_open(&jr, "/nonexistent/stats.jsonl", err, sizeof(err));
	CHECK(rc < 0 && !strcmp(err, "/nonexistent/stats.jsonl: No such file or directory"), "a missing file named (%s)", err);
	json_doc_free(&d);

	/* SVG: a NaN breaks the line into two pieces (two M commands). */
	double x[5] = { 0, 2, 4, 6, 8 }, y[5] = { 1, 2, NAN, 3, 4 };
	struct svg_series s = { "a<b", y };
	struct svg_chart ch = { .title = "T&T", .ylabel = "n", .x = x, .n = 5, .s = &s, .ns = 1 };
	char *svg = NULL;
	size_t len = 0;
	f = open_memstream(&svg, &len);
	svg_line_chart(f, &ch);
	fclose(f);
	const char *d0 = strstr(svg, "<path fill=\"none\"");
	d0 = d0 ? strstr(d0, " d=\"") : NULL;
	CHECK(d0 && count(d0, "M") >= 2 && strstr(d0, "L") && strchr(d0 + 4, '"'),
	      "a gap starts a new piece of line");
	CHECK(strstr(svg, "<title>T&amp;T</title>") && strstr(svg, ">a&lt;b</text>") && !strstr(svg, "a<b"),
	      "title and series name escaped");
	free(svg);
	/* 5000 samples are thinned to at most SVG_MAX_POINTS (+1: the last). */
	double *bx = malloc(5000 * sizeof(double)), *by = malloc(5000 * sizeof(double));
	for (int i = 0; i < 5000; i++) {
		bx[i] = i;
		by[i] = i % 7;
	}
	s.y = by;
	ch.x = bx;
	ch.n = 5000;
	f = open_memstream(&svg, &len);
	svg_line_chart(f, &ch);
	fclose(f);
	d0 = strstr(strstr(svg, "<path fill=\"none\""), " d=\"");
	size_t pts = count(d0, "L") + 1;
	CHECK(pts <= SVG_MAX_POINTS + 1 && pts >= SVG_MAX_POINTS / 2, "5000 samples drawn with %zu points", pts);
	CHECK(len < 30000, "the thinned chart is %zu bytes", len);
	free(svg);
	free(bx);
	free(by);
	return check_done("test_report_parts");
}
