/* The VMM process: started through sh with {image} substituted, in a
 * process group of its own (a wrapper script and its VMM end together);
 * its stdin and stdout are pipes carrying the guest's COM1, its stderr an
 * unlinked temporary file whose last line explains a VMM that failed. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "vmm_proc.h"

/* How long a VMM whose output closed may take to exit by itself. */
#define VMM_EXIT_GRACE_MS 2000

/* command with every {image} replaced by image and every {shm} by shm,
 * in a malloc'd string. */
static char *substitute(const char *command, const char *image, const char *shm)
{
	static const char *const keys[] = { "{image}", "{shm}" };
	const char *vals[] = { image, shm };
	size_t n = strlen(command) + 1;
	for (int k = 0; k < 2; k++)
		for (const char *s = command; (s = strstr(s, keys[k])); s += strlen(keys[k]))
			n += strlen(vals[k]);
	char *out = malloc(n), *o = out;
	if (!out)
		return NULL;
	for (const char *s = command; *s;) {
		int k = !strncmp(s, keys[0], strlen(keys[0])) ? 0 :
			!strncmp(s, keys[1], strlen(keys[1])) ? 1 : -1;
		if (k >= 0) {
			memcpy(o, vals[k], strlen(vals[k]));
			o += strlen(vals[k]);
			s += strlen(keys[k]);
		} else {
			*o++ = *s++;
		}
	}
	*o = 0;
	return out;
}

int vmm_proc_start(struct vmm_proc *p, const char *command, const char *image, const char *shm,
		   char *err, size_t errlen)
{
	int in[2], out[2];
	p->pid = 0;
	p->closed = 0;
	p->len = 0;
	char *cmd = substitute(command, image, shm ? shm : "");
	p->errlog = tmpfile();
	if (!cmd || !p->errlog || pipe(in) < 0) {
		snprintf(err, errlen, "vmm: starting '%s': %s", command, strerror(errno));
		free(cmd);
		if (p->errlog)
			fclose(p->errlog);
		p->errlog = NULL;
		return -1;
	}
	if (pipe(out) < 0) {
		snprintf(err, errlen, "vmm: pipe: %s", strerror(errno));
		close(in[0]);
		close(in[1]);
		free(cmd);
		return -1;
	}
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0) {
		setpgid(0, 0);
		dup2(in[0], 0);
		dup2(out[1], 1);
		dup2(fileno(p->errlog), 2);
		close(in[0]);
		close(in[1]);
		close(out[0]);
		close(out[1]);
		signal(SIGPIPE, SIG_DFL);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	free(cmd);
	if (pid < 0) {
		snprintf(err, errlen, "vmm: fork: %s", strerror(errno));
		close(in[1]);
		close(out[0]);
		return -1;
	}
	setpgid(pid, pid);   /* also here: whichever runs first */
	fcntl(in[1], F_SETFD, FD_CLOEXEC);
	fcntl(out[0], F_SETFD, FD_CLOEXEC);
	p->pid = pid;
	p->to = in[1];
	p->from = out[0];
	return 0;
}

static long now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000L + t.tv_nsec / 1000000L;
}

int vmm_proc_line(struct vmm_proc *p, char *line, size_t cap, int ms)
{
	long deadline = now_ms() + ms;
	for (;;) {
		char *nl = memchr(p->buf, '\n', p->len);
		if (nl) {
			size_t n = (size_t)(nl - p->buf);
			size_t k = n < cap - 1 ? n : cap - 1;
			memcpy(line, p->buf, k);
			line[k] = 0;
			if (k && line[k - 1] == '\r')
				line[k - 1] = 0;
			memmove(p->buf, nl + 1, p->len - n - 1);
			p->len -= n + 1;
			return 1;
		}
		if (p->len == sizeof(p->buf))
			p->len = 0;   /* a line longer than any record: dropped */
		long left = deadline - now_ms();
		if (left <= 0)
			return 0;
		struct pollfd pf = { .fd = p->from, .events = POLLIN };
		int r = poll(&pf, 1, (int)left);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return r == 0 ? 0 : -1;
		ssize_t got = read(p->from, p->buf + p->len, sizeof(p->buf) - p->len);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0) {
			p->closed = 1;
			return -1;
		}
		p->len += (size_t)got;
	}
}

int vmm_proc_write(struct vmm_proc *p, const void *buf, size_t n)
{
	const char *b = buf;
	while (n) {
		ssize_t w = write(p->to, b, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		b += w;
		n -= (size_t)w;
	}
	return 0;
}

/* What the VMM said last on stderr. A VMM that aborts says why in one
 * line and then dumps its state (QEMU's "qemu: fatal: invalid tss", then
 * the registers), and a shell between us adds "Aborted": the last line
 * naming a failure comes first, the last line after it. */
static void last_words(FILE *errlog, char *out, size_t len)
{
	static const char *const failing[] = { "fatal", "Assertion", "error", "abort" };
	char l[256], fail[256] = "", end[256] = "";
	rewind(errlog);
	while (fgets(l, sizeof(l), errlog)) {
		l[strcspn(l, "\n")] = 0;
		if (!l[0])
			continue;
		snprintf(end, sizeof(end), "%s", l);
		for (size_t k = 0; k < sizeof(failing) / sizeof(failing[0]); k++)
			if (strstr(l, failing[k])) {
				snprintf(fail, sizeof(fail), "%s", l);
				break;
			}
	}
	if (fail[0] && strcmp(fail, end))
		snprintf(out, len, "%s (then: %s)", fail, end);
	else
		snprintf(out, len, "%s", end);
}

void vmm_crash_site(const char *words, char *site, size_t len)
{
	site[0] = 0;
	/* NAME.c:LINE, NAME from the last '/' or space before it. */
	for (const char *p = strstr(words, ".c:"); p; p = strstr(p + 1, ".c:")) {
		const char *num = p + 3, *end = num;
		while (*end >= '0' && *end <= '9')
			end++;
		if (end == num)
			continue;
		const char *name = p;
		while (name > words && name[-1] != '/' && name[-1] != ' ')
			name--;
		snprintf(site, len, "%.*s", (int)(end - name), name);
		return;
	}
	const char *f = strstr(words, "fatal: ");
	if (!f)
		return;
	size_t n = 0;
	for (f += 7; *f && *f != '(' && n + 1 < len && n < 24; f++)
		site[n++] = *f == ' ' ? '-' : *f;
	while (n && site[n - 1] == '-')
		n--;
	site[n] = 0;
}

void vmm_proc_stop(struct vmm_proc *p, char *how, size_t howlen, char *last, size_t lastlen)
{
	if (how)
		snprintf(how, howlen, "not running");
	if (last && lastlen)
		last[0] = 0;
	if (!p->pid)
		return;
	close(p->to);
	close(p->from);
	int status = 0;
	pid_t w = 0;
	/* Its output closed: it is on its way out; let it say how. */
	for (int i = 0; i < VMM_EXIT_GRACE_MS && p->closed && w == 0; i++) {
		w = waitpid(p->pid, &status, WNOHANG);
		if (w == 0)
			usleep(1000);
	}
	if (w == 0)
		w = waitpid(p->pid, &status, WNOHANG);
	int killed = 0;
	if (w == 0) {
		kill(-p->pid, SIGKILL);
		kill(p->pid, SIGKILL);
		killed = 1;
		while (waitpid(p->pid, &status, 0) < 0 && errno == EINTR)
			;
	} else if (w == p->pid) {
		/* It ended by itself: a wrapper's children go with it. */
		kill(-p->pid, SIGKILL);
	}
	if (how) {
		if (killed)
			snprintf(how, howlen, "killed by exitdiff");
		else if (WIFEXITED(status))
			snprintf(how, howlen, "exit status %d", WEXITSTATUS(status));
		else if (WIFSIGNALED(status))
			snprintf(how, howlen, "signal %d", WTERMSIG(status));
	}
	if (p->errlog && last && lastlen)
		last_words(p->errlog, last, lastlen);
	if (p->errlog)
		fclose(p->errlog);
	p->errlog = NULL;
	p->pid = 0;
	p->len = 0;
	p->closed = 0;
}
