/* KVM's own account of a case: its tracepoints (which instruction its
 * emulator ran, which exception it injected, which exits it took), read
 * from a private tracefs instance while this process runs the case.
 *
 * The instance (instances/exitdiff-PID) has its own ring buffer and event
 * switches, so the host's global trace and other users' instances are left
 * alone, and its event-pid filter keeps other VMs' events out. Off unless
 * asked for (`exitdiff run --kvm-trace`): it needs root and tracefs. */
#ifndef EXITDIFF_KVM_TRACE_H
#define EXITDIFF_KVM_TRACE_H

#include <stddef.h>

struct kvm_trace {
	char dir[256];     /* the instance's directory */
	unsigned events;   /* how many of the wanted events this kernel has */
};

/* One trace line taken apart: the event name and what follows it. */
struct kvm_trace_event {
	char name[48];     /* "kvm_emulate_insn" */
	char detail[208];  /* "0:10000:66 17 (prot32)" */
};

/* Makes the instance and enables the KVM events it has; mounts tracefs
 * when /sys/kernel/tracing is empty. Returns 0, or -1 with why in err. */
int kvm_trace_open(struct kvm_trace *t, char *err, size_t errlen);
/* Empties the buffer and starts recording. Returns 0 or -1. */
int kvm_trace_begin(struct kvm_trace *t);
/* Stops recording and hands each recorded event to fn in order. Returns
 * the number of events, or -1 when the buffer could not be read. */
int kvm_trace_end(struct kvm_trace *t, void (*fn)(void *ctx, const struct kvm_trace_event *e),
		  void *ctx);
/* Removes the instance. */
void kvm_trace_close(struct kvm_trace *t);

/* Parses one line of a tracefs "trace" file. Returns 1 for an event, 0
 * for a header or a line in another format. */
int kvm_trace_parse_line(const char *line, struct kvm_trace_event *e);

#endif
