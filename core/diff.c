/*
 * Comparison of two outcomes and the signature of a divergence
 * (rules: docs/formats.md). The order of the checks is the order of
 * importance: how each side stopped, what it did on the way, then where
 * it stopped and with which state. The first difference wins.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include "diff.h"

/* Exception mnemonics (SDM Vol. 3A 6.3.1, table 6-1); 9, 15 and 22+ have
 * none and print as numbers. */
static const char *const vector_names[] = {
	"DE", "DB", "NMI", "BP", "OF", "BR", "UD", "NM", "DF", NULL,
	"TS", "NP", "SS", "GP", "PF", NULL, "MF", "AC", "MC", "XM", "VE", "CP",
};

/* The system registers, in comparison order. */
#define SYSREG(n, m) { n, offsetof(struct end_state, m), \
	sizeof(((struct end_state *)0)->m) }
static const struct {
	const char *name;
	size_t off;
	size_t size;
} sysregs[] = {
	SYSREG("cr0", cr0), SYSREG("cr2", cr2), SYSREG("cr3", cr3),
	SYSREG("cr4", cr4), SYSREG("cr8", cr8), SYSREG("efer", efer),
	SYSREG("cs", cs), SYSREG("ss", ss), SYSREG("ds", ds),
	SYSREG("es", es), SYSREG("fs", fs), SYSREG("gs", gs),
};

static uint64_t sysreg_get(const struct end_state *s, size_t i)
{
	const uint8_t *p = (const uint8_t *)s + sysregs[i].off;
	if (sysregs[i].size == 2) {
		uint16_t v;
		memcpy(&v, p, 2);
		return v;
	}
	uint64_t v;
	memcpy(&v, p, 8);
	return v;
}

/* Terminal kind of an outcome; EXIT_KIND_COUNT ("none") when it is empty. */
static int term_kind(const struct outcome *o)
{
	const struct exit_event *t = outcome_terminal(o);
	return t ? t->kind : EXIT_KIND_COUNT;
}

static void term_name(const struct outcome *o, char *buf, size_t len)
{
	const struct exit_event *t = outcome_terminal(o);
	if (!t) {
		snprintf(buf, len, "none");
		return;
	}
	if (t->kind == EXIT_OTHER && kvm_exit_reason_name(t->addr)) {
		/* Which exit it was is the point: "other#debug". */
		snprintf(buf, len, "other#%s", kvm_exit_reason_name(t->addr));
		return;
	}
	if (t->kind != EXIT_EXCEPTION) {
		snprintf(buf, len, "%s", exit_kind_name((enum exit_kind)t->kind));
		return;
	}
	if (t->addr < sizeof(vector_names) / sizeof(vector_names[0]) &&
	    vector_names[t->addr])
		snprintf(buf, len, "exception#%s", vector_names[t->addr]);
	else
		snprintf(buf, len, "exception#%" PRIu64, t->addr);
}

/* The mnemonic behind a field: the last writer of that field, else the
 * instruction where the case ended; a's first, then b's. */
static const char *pick_mnemonic(const struct outcome *a, const struct outcome *b,
				 const struct divergence *d)
{
	const char *ma = a->mnemonic, *mb = b->mnemonic;
	size_t la = sizeof(a->mnemonic);
	/* A trace divergence is named by the instruction behind the first
	 * event that differs (the reference's side, which knows it). */
	if ((d->cls == DIV_TRACE || d->cls == DIV_EXCEPTION) && d->event_index >= 0) {
		unsigned i = (unsigned)d->event_index;
		/* Exceptions at different addresses: KVM faulted on an
		 * instruction of its own (MOVBE's #UD while the reference went
		 * on to fault later): name the one the reference ran there. */
		if (d->cls == DIV_EXCEPTION && i < a->n_events && i < b->n_events &&
		    a->events[i].kind == EXIT_EXCEPTION && b->events[i].kind == EXIT_EXCEPTION &&
		    a->events[i].rip != b->events[i].rip) {
			const struct ran_insn *r = ran_find(a, b->events[i].rip);
			if (r && strnlen(r->mnemonic, sizeof(r->mnemonic)))
				return r->mnemonic;
		}
		const char *ea = i < a->n_events ? a->events[i].by : "";
		const char *eb = i < b->n_events ? b->events[i].by : "";
		if (strnlen(ea, sizeof(a->events[0].by)))
			return ea;
		if (strnlen(eb, sizeof(b->events[0].by)))
			return eb;
	}
	/* Terminal kinds differ: KVM stopped at its RIP (an emulation
	 * failure, a fault the reference did not take); name the instruction
	 * the reference ran there, when it ran one. */
	if (d->cls == DIV_TERMINAL) {
		const struct ran_insn *r = ran_find(a, b->state.rip);
		if (r && strnlen(r->mnemonic, sizeof(r->mnemonic)))
			return r->mnemonic;
	}
	if (d->cls == DIV_GPR) {
		int r = gpr_from_name(d->field);
		if (r >= 0) {
			ma = a->writer_gpr[r];
			mb = b->writer_gpr[r];
			la = sizeof(a->writer_gpr[r]);
		}
	} else if (d->cls == DIV_RFLAGS) {
		ma = a->writer_flags;
		mb = b->writer_flags;
		la = sizeof(a->writer_flags);
	} else if (d->cls == DIV_MEM) {
		ma = a->writer_mem;
		mb = b->writer_mem;
		la = sizeof(a->writer_mem);
	} else if (d->cls == DIV_XMM) {
		ma = a->writer_xmm;
		mb = b->writer_xmm;
		la = sizeof(a->writer_xmm);
	}
	if (strnlen(ma, la))
		return ma;
	if (strnlen(mb, la))
		return mb;
	/* No writer known (a write that faulted in the reference, say): the
	 * instruction that ended the case is the best name. */
	if (d->cls != DIV_NONE && strnlen(a->mnemonic, sizeof(a->mnemonic)))
		return a->mnemonic;
	return "-";
}

/* Fills d->mnemonic and d->signature; the mnemonic comes from ma/mb, the
 * terminal names from a/b. */
static void sign_from(const struct outcome *a, const struct outcome *b,
		      const struct outcome *ma, const struct outcome *mb,
		      struct divergence *d)
{
	char ta[32], tb[32], mn[32];
	const char *m = pick_mnemonic(ma, mb, d);
	/* The HLT that ended the case (a HLT always does) can only be behind
	 * its own fault (CPL3): a register, memory or another event that
	 * differs, or KVM ending otherwise where the reference halted, was
	 * done by the instruction before it. (A case cut short at its first
	 * divergence ends in just such a HLT, right after the culprit.) */
	const struct exit_event *tma = outcome_terminal(ma);
	int own = d->cls == DIV_EXCEPTION ||
		  (d->cls == DIV_TERMINAL && !(tma && tma->kind == EXIT_HLT));
	if (!strcmp(m, "hlt") && !own &&
	    strnlen(ma->prev_mnemonic, sizeof(ma->prev_mnemonic)) &&
	    strnlen(ma->prev_mnemonic, sizeof(ma->prev_mnemonic)) < sizeof(ma->prev_mnemonic))
		m = ma->prev_mnemonic;
	/* The source may lack a terminator at its full size: copy bounded. */
	size_t n = strnlen(m, sizeof(mn) - 1);
	memcpy(mn, m, n);
	mn[n] = 0;
	size_t dn = n < sizeof(d->mnemonic) - 1 ? n : sizeof(d->mnemonic) - 1;
	memcpy(d->mnemonic, mn, dn);
	d->mnemonic[dn] = 0;
	/* Signatures name findings and files: no whitespace in them. */
	for (char *p = mn; *p; p++)
		if (*p == ' ' || *p == '\t' || *p == '\n' || *p == '/' || *p == ':')
			*p = '_';
	term_name(a, ta, sizeof(ta));
	term_name(b, tb, sizeof(tb));
	snprintf(d->signature, sizeof(d->signature), "%s/%s:%s:%s", ta, tb,
		 d->field, mn);
}

static void sign(const struct outcome *a, const struct outcome *b, struct divergence *d)
{
	sign_from(a, b, a, b, d);
}

static enum verdict diverge(const struct outcome *a, const struct outcome *b,
			    struct divergence *d, enum divergence_class cls,
			    const char *field, uint64_t va, uint64_t vb)
{
	d->verdict = VERDICT_DIVERGE;
	d->cls = cls;
	snprintf(d->field, sizeof(d->field), "%s", field);
	d->a = va;
	d->b = vb;
	sign(a, b, d);
	return d->verdict;
}

/* Bytes an access of this size carries; the rest of data is not data. */
static uint64_t size_mask(unsigned size)
{
	return size == 0 || size >= 8 ? UINT64_MAX : (1ull << (8 * size)) - 1;
}

/* First differing field of one event pair (same kind), or NULL. */
static const char *event_field(const struct exit_event *x, const struct exit_event *y,
			       int is_terminal, uint64_t *va, uint64_t *vb)
{
#define CMP(name, ex, ey) do { \
	if ((ex) != (ey)) { *va = (ex); *vb = (ey); return name; } } while (0)
	CMP("event.kind", x->kind, y->kind);
	switch (x->kind) {
	case EXIT_IO:
	case EXIT_MMIO: {
		CMP("event.dir", x->dir, y->dir);
		CMP("event.size", x->size, y->size);
		CMP("event.addr", x->addr, y->addr);
		uint64_t m = size_mask(x->size);
		CMP("event.data", x->data & m, y->data & m);
		break;
	}
	case EXIT_MSR:
		CMP("event.dir", x->dir, y->dir);
		CMP("event.addr", x->addr, y->addr);
		CMP("event.data", x->data, y->data);
		break;
	case EXIT_OTHER:
	case EXIT_FAIL_ENTRY:
		CMP("event.reason", x->addr, y->addr);
		break;
	case EXIT_HYPERCALL:
		CMP("event.addr", x->addr, y->addr);
		CMP("event.data", x->data, y->data);
		CMP("event.a1", x->cr2, y->cr2);
		CMP("event.a2", x->error_code, y->error_code);
		break;
	case EXIT_IRQ_WINDOW:
		/* Where the window opened is the whole event: one instruction
		 * early or late is the STI/MOV SS shadow modeled wrong. */
		CMP("event.rip", x->rip, y->rip);
		break;
	case EXIT_INTERNAL_ERROR:
		CMP("event.suberror", x->addr, y->addr);
		break;
	case EXIT_EXCEPTION:
		/* An exception before the end is one whose handler an event
		 * made pending there interrupted (docs/formats.md "Events"):
		 * compared like the terminal one. */
		(void)is_terminal;
		/* SDM Vol. 3A 6.13: the error code exists only for some
		 * vectors; a side that pushes one where the other does not
		 * builds a different frame. */
		CMP("exception.vector", x->addr, y->addr);
		CMP("exception.has_error", x->has_error_code, y->has_error_code);
		if (x->has_error_code)
			CMP("exception.error", x->error_code, y->error_code);
		CMP("exception.rip", x->rip, y->rip);
		if (x->addr == 14)
			CMP("exception.cr2", x->cr2, y->cr2);
		break;
	default:
		break;
	}
	return NULL;
#undef CMP
}

static void rflags_field(uint64_t diff, char *buf, size_t len)
{
	/* Unnamed (reserved) bits print as "bitN". */
	int bit = __builtin_ctzll(diff);
	const char *name = rflags_bit_name((unsigned)bit);
	if (name)
		snprintf(buf, len, "rflags.%s", name);
	else
		snprintf(buf, len, "rflags.bit%d", bit);
}

/* The undefined bits of the memory byte at addr (outcome.undefined_mem). */
static uint8_t undefined_mem_byte(const struct outcome *o, uint64_t addr)
{
	uint8_t m = 0;
	for (uint32_t k = 0; k < o->n_undefined_mem && k < UNDEF_MEM_SLOTS; k++) {
		uint64_t base = o->undefined_mem[k].addr;
		if (addr >= base && addr - base < 4)
			m |= (uint8_t)(o->undefined_mem[k].mask >> (8 * (addr - base)));
	}
	return m;
}

/* The name of o's first read that unobs says the other side answers from
 * its own devices ("vmm-mmio-read", "vmm-port-read"), or NULL. */
static const char *own_read(const struct outcome *o, uint32_t unobs)
{
	for (uint32_t i = 0; i < o->n_events && i < TRACE_MAX; i++) {
		const struct exit_event *e = &o->events[i];
		if (e->dir != DIR_IN)
			continue;
		uint32_t own = layout_in_mmio_window(e->addr) ? OUTCOME_OWN_MMIO_WINDOW : OUTCOME_OWN_MMIO;
		if (e->kind == EXIT_MMIO && (unobs & own))
			return "vmm-mmio-read";
		if (e->kind == EXIT_IO && (unobs & OUTCOME_OWN_PORTS))
			return "vmm-port-read";
	}
	return NULL;
}

/* 1 when a 32-bit interrupt frame of size bytes pushed at esp lies in
 * the pages every mode keeps writable (code, data, stack, IST: layout.h). */
static int frame_fits(uint64_t esp, uint32_t size)
{
	static const uint32_t rw[] = { LAYOUT_CODE, LAYOUT_DATA, LAYOUT_DATA + PAGE_SIZE, LAYOUT_STACK,
				       LAYOUT_IST };
	uint32_t e = (uint32_t)esp, lo = e - size, hi = e - 1;
	int lo_ok = 0, hi_ok = 0;
	if (e < size)
		return 0;
	for (unsigned k = 0; k < sizeof(rw) / sizeof(rw[0]); k++) {
		lo_ok |= lo >= rw[k] && lo < rw[k] + PAGE_SIZE;
		hi_ok |= hi >= rw[k] && hi < rw[k] + PAGE_SIZE;
	}
	return lo_ok && hi_ok;
}

/* x learns of a case's end from a frame on the case's stack (the NMI
 * that ends a HLT, the handler of an exception) and timed out or shut
 * down where y stopped at its HLT or exception with a stack that cannot
 * take that frame (12 bytes; 16 with an error code). */
static int frame_lost(const struct outcome *x, const struct outcome *y, int kx, int ky)
{
	return (x->unobserved & OUTCOME_FRAME_ON_STACK) && (kx == EXIT_TIMEOUT || kx == EXIT_SHUTDOWN) &&
	       (ky == EXIT_HLT || ky == EXIT_EXCEPTION) &&
	       !frame_fits(y->state.gpr[RSP], ky == EXIT_HLT ? 12 : 16);
}

/* x answers ports with its own devices and shut down where y's trace
 * holds a port write: a PC's reset (port 0x92 bit 0, 0xcf9, 0x64 <-
 * 0xfe), not an instruction's doing. */
static int device_reset(const struct outcome *x, const struct outcome *y, int kx)
{
	if (!(x->unobserved & OUTCOME_OWN_PORTS) || kx != EXIT_SHUTDOWN)
		return 0;
	for (uint32_t i = 0; i < y->n_events && i < TRACE_MAX; i++)
		if (y->events[i].kind == EXIT_IO && y->events[i].dir == DIR_OUT)
			return 1;
	return 0;
}

/* Why a and b, both run to an end, still cannot be compared: a read one
 * side's environment answers otherwise (a VMM's devices, its unassigned
 * MMIO: "vmm-port-read", "vmm-mmio-read"); a full trace against a side
 * that keeps none (a VMM runs on past the 64th event: 64 OUTSB and the
 * HLT after them, "trace-full"); a case's end a side learns of from a
 * frame on the case's stack, with ESP off the pages every mode keeps
 * writable (a VMM in 32-bit legacy modes: `imul esp, [ecx+1], 0` pushes
 * the NMI's frame at ESP 0, the BIOS ROM there, and it times out or
 * shuts down, "frame-stack"); a shutdown after a port write where the
 * side's own devices answer ports (the PC's reset, "vmm-port-write"); a
 * read of a byte the side's runtime sets otherwise, or a walk through an
 * entry it makes present (layout_runtime_patched: `enter 0x1c, 4` with
 * RBP 0x2008 copies IDT gate offsets; a load at 0xffff800000000000 reads
 * its trampoline, "vmm-system-read"). NULL when none. */
static const char *environment_gap(const struct outcome *a, const struct outcome *b, int ka, int kb)
{
	uint32_t unobs = a->unobserved | b->unobserved;
	if (!unobs)
		return NULL;   /* KVM against the reference: every case, nothing to look for */
	const char *own = own_read(a, unobs) ? own_read(a, unobs) : own_read(b, unobs);
	if (own)
		return own;
	if ((unobs & OUTCOME_NO_TRACE) && (outcome_trace_full(a) || outcome_trace_full(b)))
		return "trace-full";
	if ((unobs & OUTCOME_NO_TRACE) && (a->read_runtime_bytes || b->read_runtime_bytes))
		return "vmm-system-read";
	if (frame_lost(a, b, ka, kb) || frame_lost(b, a, kb, ka))
		return "frame-stack";
	if (device_reset(a, b, ka) || device_reset(b, a, kb))
		return "vmm-port-write";
	return NULL;
}

enum verdict outcome_diff(const struct outcome *a, const struct outcome *b,
			  struct divergence *d)
{
	memset(d, 0, sizeof(*d));
	d->verdict = VERDICT_AGREE;
	d->cls = DIV_NONE;
	d->event_index = -1;
	int ka = term_kind(a), kb = term_kind(b);
	uint32_t na = a->n_events > TRACE_MAX ? TRACE_MAX : a->n_events;
	uint32_t nb = b->n_events > TRACE_MAX ? TRACE_MAX : b->n_events;
	uint64_t va, vb;

	/* 1. Not comparable; still named, so coverage can count it. */
	if (ka == EXIT_UNSUPPORTED || kb == EXIT_UNSUPPORTED) {
		d->verdict = VERDICT_UNSUPPORTED;
		snprintf(d->field, sizeof(d->field), "unsupported");
		const struct outcome *u = ka == EXIT_UNSUPPORTED ? a : b;
		sign_from(a, b, u, u, d);
		return d->verdict;
	}
	/* 2. Both spent their budget (or both hung): where each got to is not
	 * comparable. */
	if ((ka == EXIT_TIMEOUT || ka == EXIT_HANG) && ka == kb)
		return VERDICT_AGREE;
	/* The reference spent its step budget and KVM stopped otherwise: the
	 * budgets count different things (instructions, vCPU time), so KVM
	 * may simply have got further (4096 two-byte instructions through
	 * zeroed memory reach MMIO). Not comparable. The other way round (KVM
	 * ran out of time where the reference finished) stays a divergence. */
	/* ... except a hang on the instruction where the reference's budget
	 * ran out: both stay on one instruction forever (`jmp $`). */
	if (outcome_step_budget_spent(a) && kb == EXIT_HANG &&
	    outcome_terminal(b)->rip == outcome_terminal(a)->rip)
		return VERDICT_AGREE;
	if (outcome_step_budget_spent(a)) {
		d->verdict = VERDICT_UNSUPPORTED;
		snprintf(d->field, sizeof(d->field), "unsupported");
		snprintf(d->mnemonic, sizeof(d->mnemonic), "step-budget");
		char tb[32];
		term_name(b, tb, sizeof(tb));
		snprintf(d->signature, sizeof(d->signature), "timeout/%s:unsupported:step-budget", tb);
		return d->verdict;
	}
	/* 2b. What one side's environment does otherwise (environment_gap):
	 * what follows is not the instruction's semantics. Not comparable,
	 * named. */
	const char *gap = environment_gap(a, b, ka, kb);
	if (gap) {
		d->verdict = VERDICT_UNSUPPORTED;
		snprintf(d->field, sizeof(d->field), "unsupported");
		snprintf(d->mnemonic, sizeof(d->mnemonic), "%s", gap);
		char ta[32], tb[32];
		term_name(a, ta, sizeof(ta));
		term_name(b, tb, sizeof(tb));
		snprintf(d->signature, sizeof(d->signature), "%s/%s:unsupported:%s", ta, tb, gap);
		return d->verdict;
	}
	uint32_t unobs = a->unobserved | b->unobserved;
	/* 3. How each side stopped. */
	if (ka != kb)
		return diverge(a, b, d, DIV_TERMINAL, "terminal", (uint64_t)ka, (uint64_t)kb);
	/* A side without a trace: its terminal event against the other's. */
	if ((unobs & OUTCOME_NO_TRACE) && na && nb) {
		const char *f = event_field(&a->events[na - 1], &b->events[nb - 1], 1, &va, &vb);
		if (f) {
			d->event_index = (int)(na - 1);
			return diverge(a, b, d, strncmp(f, "exception.", 10) ? DIV_TRACE :
				       DIV_EXCEPTION, f, va, vb);
		}
		na = nb = 0;
	}

	/* 4. The trace: the count first, pointing at where the traces part;
	 * then each event in order. */
	uint32_t n = na < nb ? na : nb;
	if (na != nb) {
		d->event_index = (int)n;
		for (uint32_t i = 0; i < n; i++)
			if (event_field(&a->events[i], &b->events[i], 0, &va, &vb)) {
				d->event_index = (int)i;
				break;
			}
		return diverge(a, b, d, DIV_TRACE, "event.count", na, nb);
	}
	for (uint32_t i = 0; i < n; i++) {
		const char *f = event_field(&a->events[i], &b->events[i], i + 1 == n,
					    &va, &vb);
		if (f) {
			d->event_index = (int)i;
			return diverge(a, b, d, strncmp(f, "exception.", 10) ? DIV_TRACE :
				       DIV_EXCEPTION, f, va, vb);
		}
	}

	/* 5. After these the state is meaningless. */
	if (ka == EXIT_SHUTDOWN || ka == EXIT_INTERNAL_ERROR ||
	    ka == EXIT_FAIL_ENTRY || ka == EXIT_OTHER)
		return VERDICT_AGREE;

	/* 6. The end state. */
	const struct end_state *sa = &a->state, *sb = &b->state;
	if (sa->rip != sb->rip)
		return diverge(a, b, d, DIV_RIP, "rip", sa->rip, sb->rip);
	uint32_t undef_gprs = a->undefined_gprs | b->undefined_gprs;
	for (int r = 0; r < GPR_COUNT; r++)
		if (sa->gpr[r] != sb->gpr[r] && !(undef_gprs & (1u << r)))
			return diverge(a, b, d, DIV_GPR, gpr_name((enum gpr)r),
				       sa->gpr[r], sb->gpr[r]);
	uint64_t undef = a->undefined_flags | b->undefined_flags;
	uint64_t fd = (sa->rflags ^ sb->rflags) & ~undef;
	if (fd) {
		char field[32];
		rflags_field(fd, field, sizeof(field));
		return diverge(a, b, d, DIV_RFLAGS, field, sa->rflags & ~undef,
			       sb->rflags & ~undef);
	}
	for (size_t i = 0; !(unobs & OUTCOME_NO_SYSREGS) &&
			   i < sizeof(sysregs) / sizeof(sysregs[0]); i++) {
		uint64_t va = sysreg_get(sa, i), vb = sysreg_get(sb, i);
		if (va != vb)
			return diverge(a, b, d, DIV_SYSREG, sysregs[i].name, va, vb);
	}
	for (int r = 0; r < 16; r++)
		for (int h = 0; h < 2; h++)
			if (sa->xmm[r][h] != sb->xmm[r][h]) {
				char field[16];
				snprintf(field, sizeof(field), "xmm%d%s", r, h ? ".hi" : "");
				return diverge(a, b, d, DIV_XMM, field, sa->xmm[r][h], sb->xmm[r][h]);
			}
	/* memcmp first: the byte loop only runs when something differs. */
	if (!memcmp(a->mem, b->mem, LAYOUT_CMP_SIZE)) {
		d->whole = 1;
		return VERDICT_AGREE;
	}
	for (size_t i = 0; i < LAYOUT_CMP_SIZE; i++)
		if (a->mem[i] != b->mem[i]) {
			uint8_t undef = undefined_mem_byte(a, LAYOUT_CMP_BASE + i) |
					undefined_mem_byte(b, LAYOUT_CMP_BASE + i);
			if (!((a->mem[i] ^ b->mem[i]) & ~undef))
				continue;
			d->addr = LAYOUT_CMP_BASE + i;
			return diverge(a, b, d, DIV_MEM, "mem", a->mem[i], b->mem[i]);
		}
	d->whole = 1;
	return VERDICT_AGREE;
}

void divergence_describe(const struct divergence *d, char *buf, size_t len)
{
	if (!buf || !len)
		return;
	if (d->verdict == VERDICT_AGREE) {
		snprintf(buf, len, "agree");
		return;
	}
	if (d->verdict == VERDICT_UNSUPPORTED) {
		snprintf(buf, len, "not compared: unsupported instruction (%s)", d->mnemonic);
		return;
	}
	char where[48] = "";
	if (d->cls == DIV_MEM)
		snprintf(where, sizeof(where), " at 0x%" PRIx64, d->addr);
	else if (d->event_index >= 0)
		snprintf(where, sizeof(where), " at event %d", d->event_index);
	if (d->cls == DIV_TERMINAL)
		snprintf(buf, len, "%s%s: a=0x%" PRIx64 " (%s) b=0x%" PRIx64 " (%s) (%s)",
			 d->field, where, d->a, exit_kind_name((enum exit_kind)d->a),
			 d->b, exit_kind_name((enum exit_kind)d->b), d->mnemonic);
	else
		snprintf(buf, len, "%s%s: a=0x%" PRIx64 " b=0x%" PRIx64 " (%s)",
			 d->field, where, d->a, d->b, d->mnemonic);
}

int outcome_trace_full(const struct outcome *o)
{
	const struct exit_event *t = outcome_terminal(o);
	return t && t->kind == EXIT_TIMEOUT && t->addr == 1;
}

int outcome_step_budget_spent(const struct outcome *ref)
{
	const struct exit_event *t = outcome_terminal(ref);
	return t && t->kind == EXIT_TIMEOUT && t->addr == 0 && ref->steps >= REF_STEP_BUDGET;
}
