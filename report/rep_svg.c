/* SVG line charts (rep_svg.h). */
#include <math.h>
#include <string.h>
#include "rep_html.h"
#include "rep_svg.h"

enum { W = 580, ML = 64, MR = 16, MT = 30, PLOT_H = 150 };

/* Distinguishable on white and for the common colour-vision deficiencies
 * (Okabe-Ito order), then darker repeats. */
static const char *const palette[] = {
	"#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9", "#000000",
	"#7a5195", "#8c564b", "#2f4b7c",
};
#define NPALETTE (sizeof(palette) / sizeof(palette[0]))

/* The smallest of 1, 2, 2.5, 5, 10 x 10^k that is >= v. */
static double nice_step(double v)
{
	if (!(v > 0))
		return 1;
	double e = pow(10, floor(log10(v))), f = v / e;
	return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 2.5 ? 2.5 : f <= 5 ? 5 : 10) * e;
}

void svg_fmt_count(char *buf, size_t len, double v)
{
	double a = fabs(v);
	if (a >= 1e9)
		snprintf(buf, len, "%.3gG", v / 1e9);
	else if (a >= 1e6)
		snprintf(buf, len, "%.3gM", v / 1e6);
	else if (a >= 1e4)
		snprintf(buf, len, "%.3gk", v / 1e3);
	else
		snprintf(buf, len, "%.4g", v);
}

void svg_fmt_secs(char *buf, size_t len, double s)
{
	if (s < 120)
		snprintf(buf, len, "%.3gs", s);
	else if (s < 7200)
		snprintf(buf, len, "%.3gm", s / 60);
	else
		snprintf(buf, len, "%.3gh", s / 3600);
}

/* A tick step for a time axis: whole seconds, minutes or hours. */
static double time_step(double span)
{
	static const double steps[] = { 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800,
					3600, 7200, 3 * 3600, 6 * 3600, 12 * 3600, 86400 };
	for (unsigned i = 0; i < sizeof(steps) / sizeof(steps[0]); i++)
		if (span / steps[i] <= 8)
			return steps[i];
	return nice_step(span / 8);
}

void svg_line_chart(FILE *f, const struct svg_chart *c)
{
	double x0 = c->n ? c->x[0] : 0, x1 = c->n ? c->x[c->n - 1] : 1;
	if (!(x1 > x0))
		x1 = x0 + 1;
	double ymax = 0;
	for (size_t k = 0; k < c->ns; k++)
		for (size_t i = 0; i < c->n; i++)
			if (isfinite(c->s[k].y[i]) && c->s[k].y[i] > ymax)
				ymax = c->s[k].y[i];
	if (c->percent && ymax <= 0)
		ymax = 0.01;
	double ystep = nice_step((ymax > 0 ? ymax : 1) / 4);
	double ytop = ystep * ceil((ymax > 0 ? ymax : 1) / ystep);
	const double pw = W - ML - MR;
	/* Legend rows under the axis: about 7 px per character. */
	unsigned rows = 1;
	double lx = 0;
	for (size_t k = 0; k < c->ns; k++) {
		double w = 24 + 7.0 * (double)strlen(c->s[k].name);
		if (lx + w > pw && lx > 0) {
			rows++;
			lx = 0;
		}
		lx += w;
	}
	int h = MT + PLOT_H + 34 + 16 * (int)rows;
	fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" width=\"%d\" height=\"%d\" "
		"viewBox=\"0 0 %d %d\" role=\"img\" font-family=\"sans-serif\" font-size=\"12\">", W, h, W, h);
	fputs("<title>", f);
	html_esc(f, c->title);
	fputs("</title>", f);
	fprintf(f, "<text x=\"%d\" y=\"18\" font-size=\"14\" font-weight=\"bold\">", ML);
	html_esc(f, c->title);
	fputs("</text>", f);
	fprintf(f, "<text x=\"12\" y=\"%d\" transform=\"rotate(-90 12 %d)\" text-anchor=\"middle\" fill=\"#555\">",
		MT + PLOT_H / 2, MT + PLOT_H / 2);
	html_esc(f, c->ylabel);
	fputs("</text>", f);
	/* Grid and y labels. */
	for (double v = 0; v <= ytop + ystep / 2; v += ystep) {
		double y = MT + PLOT_H - v / ytop * PLOT_H;
		char lab[32];
		if (c->percent)
			snprintf(lab, sizeof(lab), "%.3g%%", 100 * v);
		else
			svg_fmt_count(lab, sizeof(lab), v);
		fprintf(f, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#ddd\"/>"
			"<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\" fill=\"#555\">%s</text>",
			ML, y, W - MR, y, ML - 4, y + 4, lab);
	}
	double xstep = time_step(x1 - x0);
	for (double v = ceil(x0 / xstep) * xstep; v <= x1 + 1e-9; v += xstep) {
		double x = ML + (v - x0) / (x1 - x0) * pw;
		char lab[32];
		svg_fmt_secs(lab, sizeof(lab), v);
		fprintf(f, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#999\"/>"
			"<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\" fill=\"#555\">%s</text>",
			x, MT + PLOT_H, x, MT + PLOT_H + 4, x, MT + PLOT_H + 17, lab);
	}
	fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" stroke=\"#999\"/>",
		ML, MT, (int)pw, PLOT_H);
	size_t stride = c->n > SVG_MAX_POINTS ? (c->n + SVG_MAX_POINTS - 1) / SVG_MAX_POINTS : 1;
	for (size_t k = 0; k < c->ns; k++) {
		fprintf(f, "<path fill=\"none\" stroke=\"%s\" stroke-width=\"1.6\" d=\"", palette[k % NPALETTE]);
		int pen = 0;
		for (size_t i = 0; i < c->n; i++) {
			if (i % stride && i != c->n - 1)
				continue;
			double v = c->s[k].y[i];
			if (!isfinite(v)) {
				pen = 0;
				continue;
			}
			double x = ML + (c->x[i] - x0) / (x1 - x0) * pw;
			double y = MT + PLOT_H - v / ytop * PLOT_H;
			fprintf(f, "%c%.1f %.1f", pen ? 'L' : 'M', x, y);
			pen = 1;
		}
		/* A lone sample still shows as a dot. */
		fputs("\" stroke-linecap=\"round\"/>", f);
	}
	/* Legend. */
	double ly = MT + PLOT_H + 38;
	lx = 0;
	for (size_t k = 0; k < c->ns; k++) {
		double w = 24 + 7.0 * (double)strlen(c->s[k].name);
		if (lx + w > pw && lx > 0) {
			ly += 16;
			lx = 0;
		}
		fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"14\" height=\"4\" fill=\"%s\"/>"
			"<text x=\"%.1f\" y=\"%.1f\">", ML + lx, ly - 5, palette[k % NPALETTE], ML + lx + 18, ly);
		html_esc(f, c->s[k].name);
		fputs("</text>", f);
		lx += w;
	}
	fputs("</svg>\n", f);
}
