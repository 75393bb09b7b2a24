/* The VMM executor: executor_ops over a VMM process running the batch
 * image (tmk/batch/rt_batch.c), many cases per boot.
 *
 * A case goes out as one frame on the guest's COM1 input; its record comes
 * back as lines. The VMM is booted at init and again after a case that
 * ended it: a clean exit while a case ran (QEMU -no-reboot after a triple
 * fault) or the image's banner again (a VMM that reboots) is that case's
 * SHUTDOWN; an exit with an error status, a signal, or no record within
 * VMM_CASE_WAIT_MS is the VMM's failure (run returns -1, filed like a
 * KVM failure). What the guest cannot see is marked in every outcome
 * (OUTCOME_NO_TRACE, OUTCOME_NO_SYSREGS) and the reads the profile says it
 * answers otherwise (OUTCOME_OWN_*): core/diff.c leaves them out.
 *
 * Two transports carry the frames and records: the serial line, which
 * every VMM has, and a shared-memory mailbox (vmm_shm.c) for a VMM whose
 * command line holds {shm}, the file that backs its RAM. The mailbox is
 * used when the guest answers its header after boot; else, and when
 * EXITDIFF_VMM_TRANSPORT=serial, the serial line. Both give the same
 * records, parsed by the same code. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "config.h"
#include "knobs.h"
#include "mode.h"
#include "vmm.h"
#include "vmm_proc.h"
#include "vmm_proto.h"
#include "vmm_shm.h"
#include "mbox.h"

/* How long the guest may take to answer the mailbox's header. */
#define VMM_SHM_HELLO_MS 2000

struct vmm_ctx {
	const struct vmm_profile *prof;
	struct vmm_profile own;
	const char *image;
	struct vmm_proc proc;
	struct cpuid_table cpuid;
	int cpuid_read;
	struct vmm_rec rec;
	uint8_t frame[VMM_FRAME_MAX];
	char line[512];
	int want_shm;              /* the command offers {shm}, not refused */
	int warned;                /* said once that the mailbox went unanswered */
	struct vmm_shm shm;
	uint8_t frames[MBOX_CASE_CAP];   /* a round's, back to back */
	struct vmm_round round;
	uint32_t ran;              /* cases answered since the boot */
	int told_broken;           /* said once that a case broke the VMM */
};

/* A case of a batch, where its outcome goes, and its bound: the whole
 * budget, and the PIT count of the attempt in hand. */
struct vmm_job {
	const struct test_case *c;
	struct outcome *out;
	uint32_t budget_us;
	uint16_t pit;
};

/* Ends the VMM and drops its RAM file. */
static void stop(struct vmm_ctx *v, char *how, size_t howlen, char *last, size_t lastlen)
{
	vmm_proc_stop(&v->proc, how, howlen, last, lastlen);
	vmm_shm_close(&v->shm);
}

/* Instructions that take away the runtime's way back into itself: the
 * NMI that ends a case is delivered through the IDT the case runs with, in
 * its address space (docs/tmk.md). Found by their bytes (0F op, ModRM reg
 * field in regs), like case_arms_breakpoints(): a match inside another
 * instruction only costs a case. */
static const struct {
	uint8_t op;        /* the byte after 0F */
	uint8_t regs;      /* ModRM reg values, as bits */
	uint8_t mem_only;  /* the register form is another instruction */
	const char *name;
} way_back[] = {
	{ 0x01, 1u << 2 | 1u << 3, 1, "lgdt-lidt" },     /* 0F 01 /2, /3 */
	{ 0x22, 1u << 0 | 1u << 3 | 1u << 4, 0, "mov-cr" },  /* 0F 22 /0 /3 /4 */
};

static const char *takes_way_back(const struct test_case *c)
{
	for (uint32_t i = 0; i + 2 < c->code_len; i++) {
		if (c->code[i] != 0x0f)
			continue;
		uint8_t modrm = c->code[i + 2];
		for (size_t k = 0; k < sizeof(way_back) / sizeof(way_back[0]); k++)
			if (c->code[i + 1] == way_back[k].op &&
			    (way_back[k].regs & (1u << ((modrm >> 3) & 7))) &&
			    !(way_back[k].mem_only && (modrm >> 6) == 3))
				return way_back[k].name;
	}
	return NULL;
}

const char *vmm_refuses(const struct test_case *c)
{
	if (c->event[0].kind)
		return "event";   /* only a hypervisor makes an event pending */
	if (c->rflags & RFLAGS_TF)
		return "tf";      /* the runtime's POPF would single-step itself */
	if (case_arms_breakpoints(c))
		return "breakpoints";   /* they would fire in the runtime after it */
	const char *insn = takes_way_back(c);
	if (insn)
		return insn;
	for (uint32_t k = c->knobs; k; k &= k - 1) {
		const struct knob_def *d = knob_by_bit(k & -k);
		if (d && d->reg == KNOB_REG_VM)
			return d->name;   /* the hypervisor's own set-up (MSR filter) */
	}
	return NULL;
}

/* The guest's CPUID, leaf 0 and 1: the vendor and family.model.stepping
 * the VMM gives, recorded as the environment (checked against the
 * profile's declared model by a reader of `exitdiff run`). */
static void describe_cpu(struct executor *ex, const struct cpuid_table *t)
{
	const struct cpuid_entry *l0 = cpuid_lookup(t, 0, 0), *l1 = cpuid_lookup(t, 1, 0);
	if (l0) {
		char v[13];
		memcpy(v, &l0->ebx, 4);
		memcpy(v + 4, &l0->edx, 4);
		memcpy(v + 8, &l0->ecx, 4);
		v[12] = 0;
		snprintf(ex->env.vendor, sizeof(ex->env.vendor), "%.7s",
			 !strcmp(v, "AuthenticAMD") ? "amd" : !strcmp(v, "GenuineIntel") ? "intel" : v);
	}
	if (l1) {
		unsigned fam = (l1->eax >> 8) & 0xf, model = (l1->eax >> 4) & 0xf;
		if (fam == 0xf)
			fam += (l1->eax >> 20) & 0xff;
		if (fam >= 6)
			model |= ((l1->eax >> 16) & 0xf) << 4;
		snprintf(ex->env.cpu, sizeof(ex->env.cpu), "%u.%u.%u", fam, model, l1->eax & 0xf);
	}
}

/* Boots the VMM to the image's READY line; the first boot reads the
 * guest's CPUID into the table the reference will answer from. */
static int boot(struct executor *ex, struct vmm_ctx *v)
{
	char how[64], last[200];
	v->shm.fd = -1;
	v->shm.path[0] = 0;
	if (strstr(v->prof->command, "{shm}") &&
	    vmm_shm_create(&v->shm, ex->err, sizeof(ex->err)) < 0)
		return -1;
	if (vmm_proc_start(&v->proc, v->prof->command, v->image, v->shm.path, ex->err,
			   sizeof(ex->err)) < 0) {
		vmm_shm_close(&v->shm);
		return -1;
	}
	v->ran = 0;
	int banner = 0, r;
	struct cpuid_table *t = v->cpuid_read ? NULL : &v->cpuid;
	while ((r = vmm_proc_line(&v->proc, v->line, sizeof(v->line), VMM_BOOT_WAIT_MS)) == 1) {
		if (!strncmp(v->line, "XDVMM 1", 7)) {
			banner = 1;
			if (t)
				t->n = 0;
		} else if (banner && !strcmp(v->line, "READY")) {
			if (t) {
				v->cpuid_read = 1;
				describe_cpu(ex, t);
			}
			/* The VMM has its RAM file open: no name left behind. */
			vmm_shm_unlink(&v->shm);
			if (!v->want_shm)
				return 0;
			r = vmm_shm_hello(&v->shm, &v->proc, VMM_SHM_HELLO_MS);
			if (r < 0)
				break;
			if (r == 0 && !v->warned++)
				fprintf(stderr, "exitdiff: vmm: the guest did not answer the shared-memory "
					"mailbox in %s (does {shm} back its RAM?): using the serial line\n",
					v->shm.path[0] ? v->shm.path : "the RAM file");
			return 0;
		} else if (banner && t) {
			vmm_cpuid_line(v->line, t);
		}
	}
	stop(v, how, sizeof(how), last, sizeof(last));
	snprintf(ex->err, sizeof(ex->err), "vmm: '%s' %s before the image said READY (%s)%s%s",
		 v->prof->command, r == 0 ? "timed out" : "ended", how, last[0] ? ": " : "", last);
	return -1;
}

static int vmm_init(struct executor *ex, char *err, size_t errlen)
{
	struct vmm_ctx *v = calloc(1, sizeof(*v));
	if (!v) {
		snprintf(err, errlen, "vmm: out of memory");
		return -1;
	}
	/* A VMM that dies leaves a pipe nobody reads: write() must fail with
	 * EPIPE, not kill exitdiff. */
	signal(SIGPIPE, SIG_IGN);
	v->prof = vmm_profile_find(ex->spec ? ex->spec : "", &v->own, err, errlen);
	v->image = vmm_image_path();
	const char *tr = getenv("EXITDIFF_VMM_TRANSPORT");
	v->want_shm = v->prof && strstr(v->prof->command, "{shm}") && !(tr && !strcmp(tr, "serial"));
	if (v->prof && access(v->image, R_OK) < 0) {
		snprintf(err, errlen, "vmm: batch image %s: %s (built by exitdiff's build; "
			 "EXITDIFF_VMM_IMAGE names another)", v->image, strerror(errno));
		v->prof = NULL;
	}
	if (!v->prof) {
		free(v);
		return -1;
	}
	ex->priv = v;
	environment_from_host(&ex->env);
	snprintf(ex->env.backend, sizeof(ex->env.backend), "vmm:%.27s", vmm_name_of(ex->spec));
	if (boot(ex, v) < 0) {
		snprintf(err, errlen, "%s", ex->err);
		free(v);
		ex->priv = NULL;
		return -1;
	}
	/* Whoever shares the executors' table (the reference) answers CPUID
	 * as this guest does. */
	if (!ex->cpuid)
		ex->cpuid = &v->cpuid;
	return 0;
}

static void vmm_fini(struct executor *ex)
{
	struct vmm_ctx *v = ex->priv;
	if (!v)
		return;
	stop(v, NULL, 0, NULL, 0);
	free(v);
	ex->priv = NULL;
}

static void unsupported(struct outcome *out, const struct test_case *c, const char *why)
{
	char named[32];
	snprintf(named, sizeof(named), "vmm:%s", why);
	exec_not_run(out, c, named);
}

static int failed(struct executor *ex, const struct test_case *c, const char *where,
		  const char *what)
{
	struct vmm_ctx *v = ex->priv;
	char how[64], last[200];
	stop(v, how, sizeof(how), last, sizeof(last));
	snprintf(ex->err, sizeof(ex->err), "case %.63s: vmm %s (%s)%s%.200s", c->id, what, how,
		 last[0] ? ": " : "", last);
	ex->fail_errno = 0;
	snprintf(ex->fail_where, sizeof(ex->fail_where), "%s", where);
	ex->recoveries++;
	return -1;
}

/* What a VMM's outcome of c leaves out. The runtime learns of a case's
 * end from the NMI that ends its HLT or the handler of its exception; in
 * 32-bit legacy modes at CPL0 their frames go on the case's own stack (no
 * IST, no stack switch). */
static uint32_t unobserved_of(const struct executor *ex, const struct test_case *c)
{
	const struct vmm_ctx *v = ex->priv;
	uint32_t u = OUTCOME_NO_TRACE | OUTCOME_NO_SYSREGS | v->prof->own_reads;
	/* The window's reads are compared only where the reference answers
	 * them as this VMM does (cli/session.c sets it so, KVM absent). */
	if (ex->mmio_window_read != v->prof->mmio_window_read || !ex->mmio_window_read)
		u |= OUTCOME_OWN_MMIO_WINDOW;
	if (mode_frames_on_case_stack(c))
		u |= OUTCOME_FRAME_ON_STACK;
	return u;
}

/* The VMM stopped answering on c: its output closed (r < 0) or it printed
 * its banner again (rebooted). A clean exit or a reboot is the case's
 * SHUTDOWN (0, pushed into out); anything else the VMM's death (-1). */
static int ended(struct executor *ex, const struct test_case *c, int rebooted,
		 struct outcome *out)
{
	struct vmm_ctx *v = ex->priv;
	char how[64], last[200];
	stop(v, how, sizeof(how), last, sizeof(last));
	if (!rebooted && strcmp(how, "exit status 0")) {
		snprintf(ex->err, sizeof(ex->err), "case %.63s: the vmm died (%s)%s%.200s", c->id,
			 how, last[0] ? ": " : "", last);
		ex->fail_errno = 0;
		char site[20];
		vmm_crash_site(last, site, sizeof(site));
		snprintf(ex->fail_where, sizeof(ex->fail_where), "vmm:died%s%s", site[0] ? ":" : "", site);
		ex->recoveries++;
		return -1;
	}
	/* Reset (-no-reboot exits cleanly) or rebooted: the case took the
	 * machine down, as a triple fault does. */
	outcome_init(out);
	out->unobserved = unobserved_of(ex, c);
	/* The memory went with the machine: the window as the case started
	 * (outcome_init leaves whatever the last outcome held). */
	layout_case_window(out->mem, c->code, c->code_len, c->data, c->data_len);
	struct exit_event e = { .kind = EXIT_SHUTDOWN };
	outcome_push(out, &e);
	return 0;
}

/* One line of c's record, from either transport. VMM_REC_MORE,
 * VMM_REC_DONE, or -1 (failed() called). */
static int record_line(struct executor *ex, const struct test_case *c, const char *line)
{
	struct vmm_ctx *v = ex->priv;
	char perr[160];
	/* Before its O line, what the case itself wrote to COM1. */
	if (!v->rec.have_o && line[0] != 'O' && line[0] != 'S' && line[0] != 'F')
		return VMM_REC_MORE;
	int k = vmm_rec_line(&v->rec, line, perr, sizeof(perr));
	if (k < 0)
		failed(ex, c, "vmm:protocol", perr);
	return k;
}

/* c's outcome from its whole record: 1, or -1 when the runtime's switch
 * into the case's mode faulted (the VMM goes on). */
static int finish(struct executor *ex, const struct test_case *c, struct outcome *out)
{
	struct vmm_ctx *v = ex->priv;
	if (v->rec.fault[0]) {
		snprintf(ex->err, sizeof(ex->err), "case %.63s: the batch runtime's switch into mode "
			 "%s faulted: %s", c->id, mode_name((enum cpu_mode)c->mode), v->rec.fault);
		snprintf(ex->fail_where, sizeof(ex->fail_where), "vmm:entry");
		ex->fail_errno = 0;
		return -1;
	}
	vmm_rec_outcome(&v->rec, c, unobserved_of(ex, c), out);
	return 1;
}

/* c over the serial line, bounded by pit: 1 with its outcome, 0 when it
 * ended the VM (SHUTDOWN), -1 when it failed (ex->err). */
static int serial_one(struct executor *ex, const struct test_case *c, uint16_t pit,
		      struct outcome *out)
{
	struct vmm_ctx *v = ex->priv;
	size_t n = vmm_frame(c, pit, v->frame, sizeof(v->frame));
	vmm_rec_init(&v->rec);
	if (vmm_proc_write(&v->proc, v->frame, n) < 0)
		return failed(ex, c, "vmm:write", "stopped reading its serial input");
	for (;;) {
		int r = vmm_proc_line(&v->proc, v->line, sizeof(v->line), VMM_CASE_WAIT_MS);
		if (r == 0)
			return failed(ex, c, "vmm:hung", "gave no record within the wait (killed)");
		if (r < 0 || !strncmp(v->line, "XDVMM", 5))
			return ended(ex, c, r > 0, out);
		int k = record_line(ex, c, v->line);
		if (k < 0)
			return -1;
		if (k == VMM_REC_DONE)
			return finish(ex, c, out);
	}
}

/* c's record out of a mailbox round (len bytes of text, lines ending in
 * newlines): 1 with its outcome, -1 as finish() or failed(). */
static int take_record(struct executor *ex, const struct test_case *c, char *text, size_t len,
		       struct outcome *out)
{
	struct vmm_ctx *v = ex->priv;
	vmm_rec_init(&v->rec);
	for (char *l = text, *nl; l < text + len; l = nl + 1) {
		nl = memchr(l, '\n', (size_t)(text + len - l));
		if (!nl)
			break;
		*nl = 0;
		int k = record_line(ex, c, l);
		if (k < 0)
			return -1;
		if (k == VMM_REC_DONE)
			return finish(ex, c, out);
	}
	return failed(ex, c, "vmm:protocol", "the mailbox record has no end (E, S or F line)");
}

/* One round through the mailbox: as many of the n jobs as the round holds
 * (MBOX_BATCH_MAX, the case area) posted at once, each bounded by its pit, the
 * guest rung at most once and waited for once. Returns how many jobs from
 * the front were answered (SHUTDOWN included); *fail set when the job
 * after them failed (ex->err). A VMM that ends or hangs in the round is
 * charged to the first case without a record: the guest publishes each
 * record as its case ends. */
static size_t shm_round(struct executor *ex, struct vmm_job *jobs, size_t n, int *fail)
{
	struct vmm_ctx *v = ex->priv;
	size_t len = 0;
	uint32_t k = 0;
	*fail = 1;
	while (k < n && k < MBOX_BATCH_MAX) {
		size_t f = vmm_frame(jobs[k].c, jobs[k].pit, v->frames + len,
				     sizeof(v->frames) - len);
		if (!f)
			break;
		len += f;
		k++;
	}
	if (!k) {
		failed(ex, jobs[0].c, "vmm:protocol", "the frame does not fit the mailbox");
		return 0;
	}
	uint32_t first = v->shm.seq + 1;
	v->shm.seq += k;
	int ring = vmm_mbox_put(v->shm.mb, first, v->frames, len, k);
	if (ring && vmm_proc_write(&v->proc, "D", 1) < 0) {
		failed(ex, jobs[0].c, "vmm:write", "stopped reading its serial input");
		return 0;
	}
	int w = vmm_shm_wait(&v->shm, &v->proc, first, VMM_CASE_WAIT_MS, v->line, sizeof(v->line));
	/* Taken before anything stops the VMM: its RAM file goes with it. */
	vmm_mbox_take(v->shm.mb, first, k, &v->round);
	size_t a;
	for (a = 0; a < v->round.n; a++) {
		uint32_t from = a ? v->round.end[a - 1] : 0;
		if (take_record(ex, jobs[a].c, v->round.text + from, v->round.end[a] - from,
				jobs[a].out) < 0) {
			/* The cases after it run again, after a boot when the
			 * VMM ended or hung later in the round. */
			if (w != 1 && v->proc.pid)
				stop(v, NULL, 0, NULL, 0);
			return a;
		}
	}
	if (w == 1) {
		if (v->round.err[0])
			failed(ex, jobs[a].c, "vmm:protocol", v->round.err);
		else if (!a)
			failed(ex, jobs[0].c, "vmm:protocol", "the guest ended a round without a record");
		else
			*fail = 0;   /* a < k: the out area filled, the rest is posted again */
		return a;
	}
	if (a == k) {
		/* Every record in, the round's end not: nothing to charge. */
		stop(v, NULL, 0, NULL, 0);
		*fail = 0;
		return a;
	}
	if (w == 0) {
		failed(ex, jobs[a].c, "vmm:hung", "gave no record within the wait (killed)");
		return a;
	}
	if (ended(ex, jobs[a].c, w == 2, jobs[a].out) < 0)
		return a;
	*fail = 0;
	return a + 1;
}

/* An end state no CPU reaches: a reserved RFLAGS bit set. A VMM that
 * reports one has broken its own state and may keep it for every later
 * case of the boot: QEMU 7.2's TCG computes CMPXCHG8B's flags from a stale
 * condition-code state and keeps bits 3, 5 and 15 of them in its copy of
 * RFLAGS, which no POPF or IRET of the runtime clears (6,024 of a
 * 10-minute campaign's 64,232 hits were later cases showing them: a bare
 * HLT's bucket had 1,768). Only a HLT's and an exception's records carry
 * the registers, and an image with bit 1 clear is no RFLAGS at all: a
 * legacy-mode frame read from a stack the case had wrecked (RSP 1, RIP 0,
 * RFLAGS 0), which says nothing of the VMM. */
static int broken_state(const struct outcome *o)
{
	const struct exit_event *t = outcome_terminal(o);
	if (!t || (t->kind != EXIT_HLT && t->kind != EXIT_EXCEPTION))
		return 0;
	return (o->state.rflags & RFLAGS_FIXED1) && (o->state.rflags & RFLAGS_RESERVED);
}

/* The jobs in order, each bounded by its pit, the VMM booted (again)
 * where needed: how many were answered from the front; fewer than n when
 * the job after them failed (ex->err; ex->dead when no VMM boots). A case
 * that reports a broken state (broken_state) is the VMM's last of that
 * boot; one that came after other cases runs again on a fresh boot, so
 * that a state an earlier case broke is never charged to it. */
static size_t run_jobs(struct executor *ex, struct vmm_job *jobs, size_t n)
{
	struct vmm_ctx *v = ex->priv;
	size_t i = 0;
	while (i < n) {
		if (!v->proc.pid && boot(ex, v) < 0) {
			ex->dead = 1;
			snprintf(ex->fail_where, sizeof(ex->fail_where), "vmm:boot");
			return i;
		}
		int fail = 0, fresh = v->ran == 0;
		size_t from = i;
		if (v->shm.on)
			i += shm_round(ex, jobs + i, n - i, &fail);
		else if (serial_one(ex, jobs[i].c, jobs[i].pit, jobs[i].out) < 0)
			fail = 1;
		else
			i++;
		v->ran += (uint32_t)(i - from);
		size_t j = from;
		while (j < i && !broken_state(jobs[j].out))
			j++;
		if (j < i) {
			/* What ran after it, a failure included, ran on the
			 * broken state: it runs again. */
			if (!v->told_broken++)
				fprintf(stderr, "exitdiff: vmm: case %s ended with RFLAGS 0x%llx, "
					"which no CPU reports: the VMM is booted again after such "
					"a case%s\n", jobs[j].c->id,
					(unsigned long long)jobs[j].out->state.rflags,
					fresh && j == from ? "" : ", and the case runs again on the fresh one");
			if (v->proc.pid)
				stop(v, NULL, 0, NULL, 0);
			i = fresh && j == from ? j + 1 : j;
			continue;
		}
		if (fail)
			return i;
	}
	return n;
}

size_t vmm_run_batch(struct executor *ex, const struct test_case *cases, size_t n,
		     const uint32_t *budget_us, struct outcome *outs)
{
	struct vmm_job jobs[MBOX_BATCH_MAX], again[MBOX_BATCH_MAX];
	ex->fail_errno = 0;
	ex->fail_where[0] = 0;
	if (!ex->priv) {
		snprintf(ex->err, sizeof(ex->err), "case %.63s: vmm executor not initialised",
			 n ? cases[0].id : "");
		return 0;
	}
	for (size_t b = 0; b < n; b += MBOX_BATCH_MAX) {
		size_t e = n - b < MBOX_BATCH_MAX ? n : b + MBOX_BATCH_MAX, nj = 0, na = 0;
		for (size_t i = b; i < e; i++) {
			if (budget_us && budget_us[i] == EXEC_NOT_RUN)
				continue;   /* the caller fills its outcome */
			const char *why = vmm_refuses(&cases[i]);
			uint32_t given = budget_us && budget_us[i] ? budget_us[i] : ex->budget_us;
			/* A caller's budget marks a case whose verdict a longer
			 * run could not change (core/executor.h): the short
			 * attempt is all it gets. */
			uint32_t budget = !given ? KVM_TIME_BUDGET_US :
				given < VMM_SHORT_BUDGET_US ? given : VMM_SHORT_BUDGET_US;
			uint32_t first = budget < VMM_SHORT_BUDGET_US ? budget : VMM_SHORT_BUDGET_US;
			if (why)
				unsupported(&outs[i], &cases[i], why);
			else
				jobs[nj++] = (struct vmm_job){ &cases[i], &outs[i], budget,
							       vmm_pit_count(first) };
		}
		size_t a = run_jobs(ex, jobs, nj);
		size_t bad = a < nj ? (size_t)(jobs[a].c - cases) : e;
		if (ex->dead)
			return bad;
		/* A case that spent the short budget runs again with the whole
		 * one before its TIMEOUT counts. */
		for (size_t j = 0; j < a; j++) {
			const struct exit_event *t = outcome_terminal(jobs[j].out);
			uint16_t whole = vmm_pit_count(jobs[j].budget_us);
			if (t && t->kind == EXIT_TIMEOUT && whole > jobs[j].pit) {
				again[na] = jobs[j];
				again[na++].pit = whole;
			}
		}
		size_t a2 = run_jobs(ex, again, na);
		if (a2 < na)
			return (size_t)(again[a2].c - cases);
		if (bad < e)
			return bad;
	}
	return n;
}

const char *vmm_transport(const struct executor *ex)
{
	const struct vmm_ctx *v = ex->priv;
	return v && v->shm.on ? "shm" : "serial";
}

uint16_t vmm_mmio_window_read(const struct executor *ex)
{
	const struct vmm_ctx *v = ex->priv;
	return v && v->prof ? v->prof->mmio_window_read : 0;
}

static int vmm_run(struct executor *ex, const struct test_case *c, struct outcome *out)
{
	return vmm_run_batch(ex, c, 1, NULL, out) == 1 ? 0 : -1;
}

const struct executor_ops vmm_executor_ops = {
	.name = "vmm",
	.no_trace = 1,
	.init = vmm_init,
	.run = vmm_run,
	.fini = vmm_fini,
	.run_batch = vmm_run_batch,
};
