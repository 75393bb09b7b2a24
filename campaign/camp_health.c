/*
 * Is the harness healthy? A campaign that runs for days must not turn into
 * a loop of failing execs that ends "rc 0" (a worker once failed 3.3M execs
 * in a row after losing its vCPU). Per worker slot: executor failures,
 * hypervisor failures, VM rebuilds (recoveries) and restarts; per stats
 * period: the share of execs an executor failed. Shown in stats.jsonl, the
 * status line and the summary; an unhealthy run exits CAMP_EXIT_UNHEALTHY.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include "camp_internal.h"

static const char *const state_names[] = {
	[CAMP_W_RUNNING] = "running", [CAMP_W_FINISHED] = "finished",
	[CAMP_W_ABANDONED] = "abandoned",
};

int camp_health_init(struct camp_state *s, unsigned workers)
{
	struct camp_health *h = &s->health;
	h->w = calloc(workers ? workers : 1, sizeof(*h->w));
	if (!h->w)
		return -1;
	h->nw = workers;
	h->win_execs0 = h->run_execs0 = s->tot.execs;
	h->win_fail0 = h->run_fail0 = s->tot.exec_failures;
	return 0;
}

void camp_health_period(struct camp_state *s)
{
	struct camp_health *h = &s->health;
	uint64_t execs = s->tot.execs - h->win_execs0;
	uint64_t fails = s->tot.exec_failures - h->win_fail0;
	if (execs < CAMP_HEALTH_MIN_EXECS) {
		/* The window grows into the next period; a worker stuck
		 * failing every exec shows at once. */
		h->unhealthy_now = execs && fails == execs;
		if (h->unhealthy_now)
			h->last_share = 1.0;
		return;
	}
	h->win_execs0 = s->tot.execs;
	h->win_fail0 = s->tot.exec_failures;
	h->periods++;
	h->last_share = (double)fails / (double)execs;
	h->unhealthy_now = h->last_share > CAMP_UNHEALTHY_SHARE;
	if (h->unhealthy_now)
		h->unhealthy_periods++;
	if (h->last_share > h->worst_share)
		h->worst_share = h->last_share;
}

static unsigned abandoned(const struct camp_health *h)
{
	unsigned n = 0;
	for (unsigned i = 0; i < h->nw; i++)
		n += h->w[i].state == CAMP_W_ABANDONED;
	return n;
}

int camp_health_bad(const struct camp_state *s, char *why, size_t len)
{
	const struct camp_health *h = &s->health;
	uint64_t execs = s->tot.execs - h->run_execs0, fails = s->tot.exec_failures - h->run_fail0;
	double share = execs ? (double)fails / (double)execs : 0.0;
	unsigned gone = abandoned(h);
	int bad = h->unhealthy_periods || gone || share > CAMP_UNHEALTHY_SHARE;
	if (!bad)
		return 0;
	snprintf(why, len, "executor failures were %" PRIu64 " of %" PRIu64 " execs (%.2f%%) this run, "
		 "over %.0f%% in %u of %u judged windows (worst %.2f%%); %" PRIu64
		 " worker restarts; %u worker(s) abandoned", fails, execs, 100.0 * share,
		 100.0 * CAMP_UNHEALTHY_SHARE, h->unhealthy_periods, h->periods,
		 100.0 * h->worst_share, h->restarts, gone);
	return 1;
}

void camp_health_json(FILE *f, const struct camp_state *s)
{
	const struct camp_health *h = &s->health;
	fputc('[', f);
	for (unsigned i = 0; i < h->nw; i++) {
		const struct camp_worker_health *w = &h->w[i];
		fprintf(f, "%s{\"worker\":%u,\"state\":\"%s\",\"execs\":%" PRIu64 ",\"exec_failures\":%" PRIu64
			",\"hv_failures\":%" PRIu64 ",\"recoveries\":%" PRIu64 ",\"restarts\":%" PRIu64 "}",
			i ? "," : "", i, state_names[w->state], w->execs, w->exec_failures,
			w->hv_failures, w->recoveries, w->restarts);
	}
	fputc(']', f);
}

int camp_health_status(char *buf, size_t len, int n, const struct camp_state *s)
{
	const struct camp_health *h = &s->health;
	if (n < 0 || (size_t)n >= len)
		return n;
	if (h->unhealthy_now)
		n += snprintf(buf + n, len - (size_t)n, "  UNHEALTHY: executor failures %.1f%% of execs "
			      "in the last window", 100.0 * h->last_share);
	/* Per worker: failures/recoveries/restarts, "w0 3/1/0". */
	for (unsigned i = 0; i < h->nw && i < 8 && n > 0 && (size_t)n < len; i++)
		n += snprintf(buf + n, len - (size_t)n, "%sw%u %" PRIu64 "/%" PRIu64 "/%" PRIu64,
			      i ? " " : "  | fail/rec/restart ", i, h->w[i].exec_failures,
			      h->w[i].recoveries, h->w[i].restarts);
	return n;
}

void camp_health_summary(FILE *f, const struct camp_state *s)
{
	const struct camp_health *h = &s->health;
	fprintf(f, "  workers (this run): %-8s %10s %10s %10s %10s %9s\n", "worker", "execs", "failures",
		"hv-fail", "recovered", "restarts");
	for (unsigned i = 0; i < h->nw; i++) {
		const struct camp_worker_health *w = &h->w[i];
		fprintf(f, "  %-19s w%-7u %10" PRIu64 " %10" PRIu64 " %10" PRIu64 " %10" PRIu64 " %9" PRIu64 "  %s\n",
			"", i, w->execs, w->exec_failures, w->hv_failures, w->recoveries, w->restarts,
			state_names[w->state]);
	}
	char why[400];
	if (camp_health_bad(s, why, sizeof(why)))
		fprintf(f, "WARNING: the harness was unhealthy: %s (exit status %d)\n", why,
			CAMP_EXIT_UNHEALTHY);
}
