/*
 * The campaign parent: forks the workers, reads their records, restarts a
 * worker that dies (saving the case it died on), writes every file, shows
 * progress, and ends on the limit, SIGINT or SIGTERM with a summary.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include "camp_internal.h"
#include "report.h"

/* A worker that keeps dying is a harness bug, not a finding: stop
 * restarting it after this many deaths. */
#define MAX_RESTARTS 200
/* After SIGTERM, how long workers get to flush before SIGKILL. */
#define STOP_GRACE_S 5.0

static volatile sig_atomic_t stop_signal;
/* The status line is live (\r) on a terminal: messages then start on a
 * fresh line. */
static const char *msg_nl = "";

static void on_stop(int sig)
{
	stop_signal = sig;
}

struct wslot {
	pid_t pid;
	int fd;                      /* read end, -1 when closed */
	struct camp_shared *shared;
	uint64_t k_next, k_end;
	unsigned restarts;
	struct camp_counts reported; /* REC_COUNTS deltas of this incarnation */
	int finished;                /* exited normally: no restart */
	char *buf;                   /* partial records */
	size_t len, cap;
};

struct parent {
	const struct campaign_opts *o;
	const struct campaign_backend *backend;
	struct known_list known;
	struct camp_state st;
	struct wslot *w;
	uint64_t base;
	double t0, deadline;
	double next_report;          /* camp_now() of the next report refresh */
	int report_failed;           /* said once: the report could not be written */
	pid_t report_pid;            /* the child writing it, 0 = none */
	int fatal;                   /* a worker could not start */
	char fatal_msg[SIGNATURE_MAX];
};

static int spawn(struct parent *p, unsigned i)
{
	struct wslot *ws = &p->w[i];
	int fds[2];
	if (pipe2(fds, O_CLOEXEC) < 0) {
		fprintf(stderr, "exitdiff fuzz: pipe: %s\n", strerror(errno));
		return -1;
	}
	memset((void *)&ws->shared->cnt, 0, sizeof(ws->shared->cnt));
	memset(&ws->reported, 0, sizeof(ws->reported));
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0) {
		fprintf(stderr, "exitdiff fuzz: fork: %s\n", strerror(errno));
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	if (pid == 0) {
		close(fds[0]);
		for (unsigned j = 0; j < p->o->jobs; j++)
			if (p->w[j].fd >= 0)
				close(p->w[j].fd);
		struct camp_worker_args a = {
			.index = i, .seed = p->o->seed, .base = p->base,
			.k0 = ws->k_next, .k_end = ws->k_end, .deadline = p->deadline,
			.gen = p->o->gen, .gcfg = p->o->gcfg, .known = &p->known, .backend = p->backend,
			.shared = ws->shared, .fd = fds[1], .out = p->o->out,
		};
		camp_worker_main(&a);
	}
	close(fds[1]);
	ws->pid = pid;
	ws->fd = fds[0];
	ws->len = 0;
	return 0;
}

static void name_clean(char *dst, size_t len, const char *src)
{
	snprintf(dst, len, "%.31s", src);
	for (char *q = dst; *q; q++)
		if (*q == ' ' || *q == '\t')
			*q = '_';
}

static void handle_first(struct parent *p, const struct camp_rec *r, const char *t1,
			 const char *t2)
{
	struct camp_bucket *b = camp_bucket_find(&p->st, r->name);
	if (b && (b->known || b->dir[0]))
		return; /* another worker was first */
	if (!b && !(b = camp_bucket_add(&p->st, r->name, 0)))
		return;
	b->seed = r->seed;
	b->mode = r->mode;
	b->knobs = r->knobs;
	b->event = r->event;
	b->env_known = 1;
	b->env_minimized = (int)r->minimized;
	char err[512];
	if (camp_store_new_bucket(p->o->out, b, t1, r->len1, t2, r->len2, err, sizeof(err)) < 0)
		fprintf(stderr, "%sexitdiff fuzz: saving bucket %s: %s\n", msg_nl, r->name, err);
}

/* The worker slot's health counters (camp_health.c) follow its counts. */
static void health_add(struct parent *p, const struct wslot *ws, const struct camp_counts *d)
{
	struct camp_worker_health *h = &p->st.health.w[ws - p->w];
	h->execs += d->execs;
	h->exec_failures += d->exec_failures;
	h->hv_failures += d->hv_failures;
	h->recoveries += d->recoveries;
}

/* Consumes whole records from a worker's buffer. */
static void consume(struct parent *p, struct wslot *ws)
{
	size_t off = 0;
	while (ws->len - off >= offsetof(struct camp_rec, c)) {
		struct camp_rec r;
		uint32_t type;
		memcpy(&type, ws->buf + off, sizeof(type));
		size_t size = camp_rec_size(type);
		if (ws->len - off < size)
			break;
		memcpy(&r, ws->buf + off, size);
		size_t need = size + (r.type == REC_FIRST ? (size_t)r.len1 + r.len2 : 0);
		if (ws->len - off < need)
			break;
		const char *payload = ws->buf + off + size;
		r.name[sizeof(r.name) - 1] = 0;
		char nm[32];
		struct camp_bucket *b;
		switch (r.type) {
		case REC_COUNTS:
			camp_counts_add(&p->st.tot, &r.c);
			camp_counts_add(&ws->reported, &r.c);
			health_add(p, ws, &r.c);
			break;
		case REC_HIT:
			if (r.known) {
				camp_known_hit(&p->st, r.name, r.n);
				break;
			}
			b = camp_bucket_find(&p->st, r.name);
			if (!b)
				b = camp_bucket_add(&p->st, r.name, (int)r.known);
			if (b) {
				b->hits += r.n;
				b->dirty = 1;
			}
			break;
		case REC_UNSUP:
			name_clean(nm, sizeof(nm), r.name);
			camp_names_add(&p->st.unsup, &p->st.nunsup, &p->st.capunsup, nm, r.n);
			if (r.lane < LANE_COUNT)
				camp_names_add(&p->st.lunsup[r.lane], &p->st.nlunsup[r.lane],
					       &p->st.caplunsup[r.lane], nm, r.n);
			break;
		case REC_REACHED:
			name_clean(nm, sizeof(nm), r.name);
			camp_names_add(&p->st.reached, &p->st.nreached, &p->st.capreached, nm, 0);
			break;
		case REC_FIRST:
			handle_first(p, &r, payload, payload + r.len1);
			break;
		case REC_FATAL:
			p->fatal = 1;
			snprintf(p->fatal_msg, sizeof(p->fatal_msg), "%s", r.name);
			break;
		}
		off += need;
	}
	memmove(ws->buf, ws->buf + off, ws->len - off);
	ws->len -= off;
}

/* Reads what is available; returns 0 at EOF. */
static int drain(struct parent *p, struct wslot *ws)
{
	for (;;) {
		if (ws->cap - ws->len < 65536) {
			size_t cap = ws->cap ? 2 * ws->cap : 1 << 20;
			char *nb = realloc(ws->buf, cap);
			if (!nb)
				return 1;
			ws->buf = nb;
			ws->cap = cap;
		}
		ssize_t n = read(ws->fd, ws->buf + ws->len, ws->cap - ws->len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno == EAGAIN ? 1 : 0;
		if (n == 0)
			return 0;
		ws->len += (size_t)n;
		consume(p, ws);
		if ((size_t)n < 65536)
			return 1;
	}
}

/* A worker's pipe closed: reap it, and restart it if it died early. */
static void reap(struct parent *p, unsigned i)
{
	struct wslot *ws = &p->w[i];
	int status = 0;
	while (waitpid(ws->pid, &status, 0) < 0 && errno == EINTR)
		;
	close(ws->fd);
	ws->fd = -1;
	ws->pid = 0;
	struct camp_worker_health *wh = &p->st.health.w[i];
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		ws->finished = 1;
		wh->state = CAMP_W_FINISHED;
		return;
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 3) {
		ws->finished = 1; /* setup failure: REC_FATAL said why */
		wh->state = CAMP_W_FINISHED;
		p->fatal = 1;
		return;
	}
	/* A worker whose KVM executor died said why on stderr and saved the
	 * case as a bucket: a restart, not a crash of ours. */
	int executor_dead = WIFEXITED(status) && WEXITSTATUS(status) == CAMP_EXIT_EXECUTOR_DEAD;
	char why[160];
	if (WIFSIGNALED(status))
		snprintf(why, sizeof(why), "worker %u died by signal %d (%s)", i,
			 WTERMSIG(status), strsignal(WTERMSIG(status)));
	else if (executor_dead)
		snprintf(why, sizeof(why), "worker %u exited: its KVM executor is dead", i);
	else
		snprintf(why, sizeof(why), "worker %u exited with status %d", i, WEXITSTATUS(status));
	if (!executor_dead)
		p->st.crashes++;
	/* What the dead worker counted but never reported. */
	struct camp_counts shared = ws->shared->cnt, lost;
	camp_counts_sub(&lost, &shared, &ws->reported);
	camp_counts_add(&p->st.tot, &lost);
	health_add(p, ws, &lost);
	uint64_t k = ws->shared->k;
	if (__atomic_load_n(&ws->shared->busy, __ATOMIC_ACQUIRE)) {
		/* The case is regenerated from its seed: generators are
		 * deterministic, so this is the very case it died on. */
		static struct test_case c;
		gen_make_ex(p->o->gen, p->o->gcfg, ws->shared->seed, &c, NULL);
		char full[256], path[4200], err[512];
		snprintf(full, sizeof(full), "%s while running this case (exec %" PRIu64 ")", why, k);
		if (camp_store_crash(p->o->out, &c, full, path, sizeof(path), err, sizeof(err)) < 0)
			fprintf(stderr, "%sexitdiff fuzz: saving crash case: %s\n", msg_nl, err);
		else
			fprintf(stderr, "%sexitdiff fuzz: %s; case saved as %s\n", msg_nl, why, path);
		ws->k_next = k + 1;
	} else {
		fprintf(stderr, "%sexitdiff fuzz: %s%s\n", msg_nl, why,
			executor_dead ? " (its last case is saved as a bucket); restarting it" :
			" outside a case");
		ws->k_next = k + 1;
	}
	ws->shared->busy = 0;
	if (stop_signal || ws->k_next >= ws->k_end ||
	    (p->deadline > 0 && camp_now() >= p->deadline)) {
		ws->finished = 1;
		wh->state = CAMP_W_FINISHED;
	} else if (++ws->restarts > MAX_RESTARTS) {
		fprintf(stderr, "%sexitdiff fuzz: worker %u died %u times; not restarting it\n",
			msg_nl, i, ws->restarts - 1);
		ws->finished = 1;
		wh->state = CAMP_W_ABANDONED;
	} else if (spawn(p, i) < 0) {
		ws->finished = 1;
		wh->state = CAMP_W_ABANDONED;
	} else {
		wh->restarts++;
		p->st.health.restarts++;
	}
}

/* The report writer still running from the last refresh, reaped (and
 * its failure noted) without waiting. */
static void reap_report(struct parent *p, int wait)
{
	int status;
	if (p->report_pid <= 0)
		return;
	pid_t r;
	while ((r = waitpid(p->report_pid, &status, wait ? 0 : WNOHANG)) < 0 && errno == EINTR)
		;
	if (r == 0)
		return;
	if (r == p->report_pid && !(WIFEXITED(status) && WEXITSTATUS(status) == 0))
		p->report_failed = 1;
	p->report_pid = 0;
}

/* OUT/report.html, rewritten from what is on disk (report/) after the
 * tick that calls this flushed every file. While workers run it is written
 * by a child: reading a day's stats.jsonl takes seconds, in which the
 * parent must keep draining the workers' pipes. A failure is said once and
 * the campaign goes on: the report is a view, not a result. */
static void refresh_report(struct parent *p, int final)
{
	reap_report(p, final);
	if (p->report_pid > 0)
		return; /* the last one is still writing: skip this refresh */
	pid_t pid = final ? -1 : (fflush(NULL), fork());
	if (pid > 0) {
		p->report_pid = pid;
		return;
	}
	char path[4200], err[512];
	snprintf(path, sizeof(path), "%s/report.html", p->o->out);
	int rc = report_write(p->o->out, path, err, sizeof(err));
	if (rc < 0 && !p->report_failed)
		fprintf(stderr, "%sexitdiff fuzz: report: %s\n", msg_nl, err);
	if (pid == 0)
		_exit(rc < 0 ? 1 : 0);
	if (rc < 0)
		p->report_failed = 1;
	else if (final)
		printf("report: %s\n", path);
}

static void tick(struct parent *p, double now, double *last_t, uint64_t *last_execs,
		 int tty, int final)
{
	double t = p->st.elapsed_before + (now - p->t0);
	double dt = now - *last_t;
	double rate = dt > 0 ? (double)(p->st.tot.execs - *last_execs) / dt : 0;
	if (final)
		rate = now > p->t0 ? (double)(p->st.tot.execs - p->st.execs_at_start) / (now - p->t0) : 0;
	*last_t = now;
	*last_execs = p->st.tot.execs;
	camp_health_period(&p->st);
	char err[512];
	if (camp_store_flush(p->o->out, &p->st, t, err, sizeof(err)) < 0)
		fprintf(stderr, "%sexitdiff fuzz: %s\n", msg_nl, err);
	if (camp_store_stats_line(p->o->out, &p->st, t, rate, p->o->jobs) < 0)
		fprintf(stderr, "%sexitdiff fuzz: cannot append to %s/stats.jsonl\n", msg_nl, p->o->out);
	if (p->o->report_period > 0 && (final || now >= p->next_report)) {
		refresh_report(p, final);
		p->next_report = now + p->o->report_period;
	}
	char line[512];
	camp_status_line(line, sizeof(line), &p->st, t, rate);
	if (tty)
		printf("\r%s\033[K", line);
	else
		printf("%s\n", line);
	fflush(stdout);
}

static void stop_workers(struct parent *p, int sig)
{
	for (unsigned i = 0; i < p->o->jobs; i++)
		if (p->w[i].pid > 0)
			kill(p->w[i].pid, sig);
}

static int loop(struct parent *p)
{
	unsigned n = p->o->jobs;
	struct pollfd *pf = calloc(n, sizeof(*pf));
	unsigned *map = calloc(n, sizeof(*map));
	if (!pf || !map) {
		free(pf);
		free(map);
		return -1;
	}
	int tty = isatty(1);
	msg_nl = tty ? "\n" : "";
	double last_t = p->t0, next_tick = p->t0 + p->o->stats_period, stop_at = 0;
	uint64_t last_execs = p->st.tot.execs;
	int stopping = 0;
	for (;;) {
		unsigned np = 0;
		for (unsigned i = 0; i < n; i++)
			if (p->w[i].fd >= 0) {
				pf[np].fd = p->w[i].fd;
				pf[np].events = POLLIN;
				map[np++] = i;
			}
		if (!np)
			break;
		double now = camp_now();
		if ((stop_signal || p->fatal) && !stopping) {
			stopping = 1;
			stop_at = now + STOP_GRACE_S;
			stop_workers(p, SIGTERM);
		}
		if (stopping && now >= stop_at)
			stop_workers(p, SIGKILL);
		int timeout = (int)((next_tick - now) * 1000);
		if (timeout < 0)
			timeout = 0;
		if (timeout > 200)
			timeout = 200;
		int r = poll(pf, np, timeout);
		if (r < 0 && errno != EINTR)
			break;
		for (unsigned j = 0; r > 0 && j < np; j++)
			if (pf[j].revents && !drain(p, &p->w[map[j]]))
				reap(p, map[j]);
		now = camp_now();
		if (now >= next_tick) {
			tick(p, now, &last_t, &last_execs, tty, 0);
			next_tick = now + p->o->stats_period;
		}
	}
	free(pf);
	free(map);
	return 0;
}

int campaign_run(const struct campaign_opts *o, const struct campaign_backend *b)
{
	struct parent p;
	memset(&p, 0, sizeof(p));
	p.o = o;
	p.backend = b;
	char err[512];
	if (o->vmm)
		snprintf(p.known.vmm, sizeof(p.known.vmm), "%s", o->vmm);
	if (o->known_path && known_load(&p.known, o->known_path, err, sizeof(err)) < 0) {
		fprintf(stderr, "exitdiff fuzz: %s\n", err);
		known_free(&p.known);
		return 2;
	}
	if (camp_store_init(o->out, err, sizeof(err)) < 0 ||
	    camp_store_load(o->out, &p.st, err, sizeof(err)) < 0) {
		fprintf(stderr, "exitdiff fuzz: %s\n", err);
		known_free(&p.known);
		return 2;
	}
	p.st.execs_at_start = p.st.tot.execs;
	/* New seeds continue after the execs already done on this OUT. */
	p.base = p.st.tot.execs;
	p.t0 = camp_now();
	p.deadline = o->seconds > 0 ? p.t0 + o->seconds : 0;
	p.next_report = p.t0 + o->report_period;
	if (camp_store_run_line(o->out, o, p.st.elapsed_before) < 0)
		fprintf(stderr, "exitdiff fuzz: cannot append to %s/runs.jsonl\n", o->out);
	p.w = calloc(o->jobs, sizeof(*p.w));
	struct camp_shared *shm = mmap(NULL, o->jobs * sizeof(*shm), PROT_READ | PROT_WRITE,
				       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (!p.w || shm == MAP_FAILED || camp_health_init(&p.st, o->jobs) < 0) {
		fprintf(stderr, "exitdiff fuzz: out of memory\n");
		free(p.w);
		known_free(&p.known);
		camp_state_free(&p.st);
		return 2;
	}
	struct sigaction sa, old_int, old_term;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	stop_signal = 0;

	/* Killed before its first state save, a campaign still left buckets. */
	int resuming = p.st.tot.execs || camp_buckets_new(&p.st);
	printf("exitdiff fuzz: %u worker(s), generator %s, seed %" PRIu64 ", out %s%s\n",
	       o->jobs, o->gen->name, o->seed, o->out, resuming ? " (resuming)" : "");
	/* Said at once: a campaign with no known list saves every divergence
	 * the corpus already explains as new. */
	if (o->known_path)
		printf("known divergences: %s (%zu entries)\n", o->known_path, p.known.n);
	else
		printf("known divergences: none (--known FILE; every divergence counts as new)\n");
	if (resuming)
		printf("resumed: %" PRIu64 " execs, %zu buckets\n", p.st.tot.execs,
		       camp_buckets_new(&p.st));
	for (unsigned i = 0; i < o->jobs; i++)
		p.w[i].fd = -1;
	int rc = 0;
	for (unsigned i = 0; i < o->jobs; i++) {
		struct wslot *ws = &p.w[i];
		ws->shared = &shm[i];
		uint64_t quota = o->execs ? o->execs / o->jobs + (i < o->execs % o->jobs) : UINT64_MAX;
		ws->k_next = 0;
		ws->k_end = quota;
		if (quota == 0)
			ws->finished = 1;
		else if (spawn(&p, i) < 0) {
			stop_signal = SIGTERM;
			rc = 2;
			break;
		}
	}
	loop(&p);
	double now = camp_now();
	double last_t = p.t0;
	uint64_t last_execs = p.st.execs_at_start;
	if (stop_signal)
		printf("%sstopped by signal %d\n", isatty(1) ? "\n" : "", (int)stop_signal);
	tick(&p, now, &last_t, &last_execs, 0, 1);
	if (p.fatal) {
		fprintf(stderr, "exitdiff fuzz: %s\n", p.fatal_msg[0] ? p.fatal_msg : "a worker failed to start");
		rc = 2;
	}
	camp_summary(stdout, &p.st, o->out, now - p.t0);
	char why[400];
	if (rc == 0 && camp_health_bad(&p.st, why, sizeof(why)))
		rc = CAMP_EXIT_UNHEALTHY;
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	for (unsigned i = 0; i < o->jobs; i++)
		free(p.w[i].buf);
	free(p.w);
	munmap(shm, o->jobs * sizeof(*shm));
	known_free(&p.known);
	camp_state_free(&p.st);
	return rc;
}
