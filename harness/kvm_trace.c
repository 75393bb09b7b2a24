/* KVM tracepoints through a private tracefs instance (kvm_trace.h). */
#include "kvm_trace.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#define TRACEFS "/sys/kernel/tracing"

/* The events that say what KVM did with a guest instruction. kvm_entry is
 * left out: one per KVM_RUN, it says nothing the exits do not. A kernel
 * without some of them (another vendor's module) simply has fewer. */
static const char *const wanted[] = {
	"kvm_exit", "kvm_userspace_exit", "kvm_emulate_insn", "kvm_inj_exception",
	"kvm_page_fault", "kvm_pio", "kvm_mmio", "kvm_fast_mmio", "kvm_msr", "kvm_cr",
	"kvm_cpuid", "kvm_hypercall", "kvm_inj_virq",
};

static int write_file(const char *dir, const char *name, const char *text, int flags)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	int fd = open(path, O_WRONLY | flags);
	if (fd < 0)
		return -1;
	ssize_t n = write(fd, text, strlen(text));
	close(fd);
	return n == (ssize_t)strlen(text) ? 0 : -1;
}

/* Instances left by an exitdiff that died mid-trace: a ring buffer each,
 * so they are removed rather than left to pile up. */
static void remove_stale_instances(void)
{
	DIR *d = opendir(TRACEFS "/instances");
	if (!d)
		return;
	struct dirent *de;
	while ((de = readdir(d))) {
		long pid;
		char tail;
		if (sscanf(de->d_name, "exitdiff-%ld%c", &pid, &tail) != 1 || pid <= 0)
			continue;
		if (kill((pid_t)pid, 0) < 0 && errno == ESRCH) {
			char path[512];
			snprintf(path, sizeof(path), TRACEFS "/instances/%s", de->d_name);
			rmdir(path);
		}
	}
	closedir(d);
}

int kvm_trace_open(struct kvm_trace *t, char *err, size_t errlen)
{
	memset(t, 0, sizeof(*t));
	struct stat st;
	if (stat(TRACEFS "/instances", &st) < 0 &&
	    mount("nodev", TRACEFS, "tracefs", 0, NULL) < 0) {
		snprintf(err, errlen, "tracefs is not mounted at " TRACEFS " and mounting it failed: %s",
			 strerror(errno));
		return -1;
	}
	if (stat(TRACEFS "/events/kvm", &st) < 0) {
		snprintf(err, errlen, TRACEFS "/events/kvm: %s (is the kvm module loaded?)",
			 strerror(errno));
		return -1;
	}
	remove_stale_instances();
	snprintf(t->dir, sizeof(t->dir), TRACEFS "/instances/exitdiff-%ld", (long)getpid());
	if (mkdir(t->dir, 0700) < 0 && errno != EEXIST) {
		snprintf(err, errlen, "%s: %s", t->dir, strerror(errno));
		t->dir[0] = 0;
		return -1;
	}
	char pid[32];
	snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	if (write_file(t->dir, "tracing_on", "0\n", 0) < 0 ||
	    write_file(t->dir, "set_event_pid", pid, O_TRUNC) < 0) {
		snprintf(err, errlen, "%s: cannot set up the instance: %s", t->dir, strerror(errno));
		kvm_trace_close(t);
		return -1;
	}
	for (size_t i = 0; i < sizeof(wanted) / sizeof(wanted[0]); i++) {
		char name[128];
		snprintf(name, sizeof(name), "events/kvm/%s/enable", wanted[i]);
		if (write_file(t->dir, name, "1\n", 0) == 0)
			t->events++;
	}
	if (!t->events) {
		snprintf(err, errlen, "%s: none of KVM's events could be enabled", t->dir);
		kvm_trace_close(t);
		return -1;
	}
	return 0;
}

int kvm_trace_begin(struct kvm_trace *t)
{
	return write_file(t->dir, "trace", "", O_TRUNC) < 0 ||
	       write_file(t->dir, "tracing_on", "1\n", 0) < 0 ? -1 : 0;
}

int kvm_trace_parse_line(const char *line, struct kvm_trace_event *e)
{
	if (line[0] == '#')
		return 0;
	/* "TASK-PID [CPU] FLAGS TIMESTAMP: NAME: DETAIL": the task's name may
	 * hold anything, so the fields are found from the CPU's bracket. */
	const char *p = strstr(line, "] ");
	if (!p || !(p = strstr(p, ": ")))
		return 0;
	p += 2;
	const char *colon = strchr(p, ':');
	size_t n = colon ? (size_t)(colon - p) : 0;
	const char *space = strchr(p, ' ');
	if (!n || n >= sizeof(e->name) || (space && space < colon))
		return 0;
	memcpy(e->name, p, n);
	e->name[n] = 0;
	p = colon + 1 + (colon[1] == ' ');
	snprintf(e->detail, sizeof(e->detail), "%.*s", (int)strcspn(p, "\n"), p);
	return 1;
}

int kvm_trace_end(struct kvm_trace *t, void (*fn)(void *ctx, const struct kvm_trace_event *e),
		  void *ctx)
{
	write_file(t->dir, "tracing_on", "0\n", 0);
	char path[512];
	snprintf(path, sizeof(path), "%s/trace", t->dir);
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	char line[512];
	struct kvm_trace_event e;
	int n = 0;
	while (fgets(line, sizeof(line), f))
		if (kvm_trace_parse_line(line, &e)) {
			fn(ctx, &e);
			n++;
		}
	fclose(f);
	return n;
}

void kvm_trace_close(struct kvm_trace *t)
{
	if (!t->dir[0])
		return;
	write_file(t->dir, "tracing_on", "0\n", 0);
	/* The kernel refuses to remove an instance whose events are on. */
	for (size_t i = 0; i < sizeof(wanted) / sizeof(wanted[0]); i++) {
		char name[128];
		snprintf(name, sizeof(name), "events/kvm/%s/enable", wanted[i]);
		write_file(t->dir, name, "0\n", 0);
	}
	rmdir(t->dir);
	t->dir[0] = 0;
}
