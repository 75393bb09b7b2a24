/* Line charts as inline SVG, drawn by exitdiff itself: no script, no
 * font or library fetched, readable in any browser and as XML. */
#ifndef EXITDIFF_REP_SVG_H
#define EXITDIFF_REP_SVG_H

#include <stddef.h>
#include <stdio.h>

struct svg_series {
	const char *name;
	const double *y;        /* n values on the chart's x; NaN = no value (a gap) */
};

struct svg_chart {
	const char *title;
	const char *ylabel;
	const double *x;        /* n increasing values: campaign seconds */
	size_t n;
	const struct svg_series *s;
	size_t ns;
	int percent;            /* y values are shares 0..1, labelled as % */
};

/* One <svg> element (with a <title> for screen readers). Past
 * SVG_MAX_POINTS samples a series is thinned to that many (the first and
 * last kept), which bounds the report's size on long campaigns. */
#define SVG_MAX_POINTS 600
void svg_line_chart(FILE *f, const struct svg_chart *c);

/* "12", "3.4k", "1.2M": the chart's tick labels, also used by tables. */
void svg_fmt_count(char *buf, size_t len, double v);
/* Seconds as "45s", "12m", "3.5h". */
void svg_fmt_secs(char *buf, size_t len, double s);

#endif
