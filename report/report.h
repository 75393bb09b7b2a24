/*
 * The campaign report (docs/campaigns.md "Report"): one self-contained
 * HTML file drawn from what a campaign left on disk, and plain data for
 * gnuplot and spreadsheets beside it. Read-only on the campaign's files.
 *
 *   rep_json.c     JSON-lines reader (stats.jsonl, runs.jsonl)
 *   rep_load.c     a campaign directory into one model (struct rep_campaign)
 *   rep_outcome.c  a bucket's two outcomes, field by field, side by side
 *   rep_svg.c      inline SVG line charts
 *   rep_html.c     the HTML escaper everything from the files goes through
 *   rep_write.c    the page and plot_data.tsv
 *   rep_compare.c  two campaigns: clusters new, gone, changed verdict
 */
#ifndef EXITDIFF_REPORT_H
#define EXITDIFF_REPORT_H

#include <stddef.h>
#include <stdio.h>

/* Writes the report of campaign directory out to html (temp + rename, so
 * a browser reloading it never sees half a page) and plot_data.tsv in the
 * same directory as html. Returns 0, or -1 with a one-line err naming the
 * file (and line) that was missing or malformed. */
int report_write(const char *out, const char *html, char *err, size_t errlen);

/* What campaign b found that campaign a did not, and the reverse, as
 * text on f: clusters new, gone, and with a changed verdict. Returns 0,
 * or -1 with err. */
int report_compare(const char *a, const char *b, FILE *f, char *err, size_t errlen);

#endif
