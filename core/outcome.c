#include <string.h>
#include "outcome.h"

static const struct {
	const char *name;
	int terminal;
} exit_kinds[EXIT_KIND_COUNT] = {
#define X(e, n, t) [EXIT_##e] = { n, t },
#include "exit_kinds.def"
#undef X
};

const char *exit_kind_name(enum exit_kind k)
{
	return (unsigned)k < EXIT_KIND_COUNT ? exit_kinds[k].name : "?";
}

int exit_kind_from_name(const char *name)
{
	for (int k = 0; k < EXIT_KIND_COUNT; k++)
		if (strcmp(name, exit_kinds[k].name) == 0)
			return k;
	return -1;
}

static const char *const kvm_exit_reasons[] = {
#define X(n, name) [n] = name,
#include "kvm_exit_reasons.def"
#undef X
};
#define KVM_EXIT_REASONS (sizeof(kvm_exit_reasons) / sizeof(kvm_exit_reasons[0]))

const char *kvm_exit_reason_name(uint64_t reason)
{
	return reason < KVM_EXIT_REASONS && kvm_exit_reasons[reason] ? kvm_exit_reasons[reason] : NULL;
}

int kvm_exit_reason_from_name(const char *name)
{
	for (size_t i = 0; i < KVM_EXIT_REASONS; i++)
		if (kvm_exit_reasons[i] && !strcmp(name, kvm_exit_reasons[i]))
			return (int)i;
	return -1;
}

int exit_kind_is_terminal(enum exit_kind k)
{
	return (unsigned)k < EXIT_KIND_COUNT && exit_kinds[k].terminal;
}

void outcome_init(struct outcome *o)
{
	/* Neither the event slots (each push writes a whole event) nor the
	 * memory snapshot (the executor fills it) need clearing, and clearing
	 * them would cost as much as a short case. */
	o->n_events = 0;
	memset(&o->state, 0, offsetof(struct outcome, mem) - offsetof(struct outcome, state));
}

int outcome_push(struct outcome *o, const struct exit_event *e)
{
	if (o->n_events + 1 >= TRACE_MAX && !exit_kind_is_terminal(e->kind)) {
		/* The last slot is kept for the terminal event: a full trace
		 * ends with TIMEOUT (event budget), the same on every side. */
		struct exit_event *t = &o->events[TRACE_MAX - 1];
		memset(t, 0, sizeof(*t));
		t->kind = EXIT_TIMEOUT;
		t->addr = 1;
		o->n_events = TRACE_MAX;
		return 0;
	}
	if (o->n_events >= TRACE_MAX)
		return 0;
	o->events[o->n_events++] = *e;
	return 1;
}

const struct exit_event *outcome_terminal(const struct outcome *o)
{
	return o->n_events ? &o->events[o->n_events - 1] : NULL;
}
