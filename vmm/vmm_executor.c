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
	char text[MBOX_OUT_CAP + 1];
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
	snprintf(ex->env.backend, sizeof(ex->env.backend), "vmm:%.27s",
		 v->prof->name[0] ? v->prof->name : "command");
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
	struct exit_event e = { .kind = EXIT_UNSUPPORTED, .rip = LAYOUT_CODE };
	outcome_init(out);
	/* Nothing ran: the window as the case starts it (outcome_init leaves
	 * the memory as it was, and `run` shows it). */
	layout_case_window(out->mem, c->code, c->code_len, c->data, c->data_len);
	out->state.rip = LAYOUT_CODE;
	outcome_push(out, &e);
	snprintf(out->mnemonic, sizeof(out->mnemonic), "vmm:%s", why);
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
		snprintf(ex->fail_where, sizeof(ex->fail_where), "vmm:died");
		ex->recoveries++;
		return -1;
	}
	/* Reset (-no-reboot exits cleanly) or rebooted: the case took the
	 * machine down, as a triple fault does. */
	outcome_init(out);
	out->unobserved = OUTCOME_NO_TRACE | OUTCOME_NO_SYSREGS | v->prof->own_reads;
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

/* c over the serial line: 1 with the record, else as ended()/failed(). */
static int via_serial(struct executor *ex, const struct test_case *c, size_t n,
		      struct outcome *out)
{
	struct vmm_ctx *v = ex->priv;
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
			return 1;
	}
}

/* c through the mailbox: 1 with the record, else as ended()/failed(). */
static int via_shm(struct executor *ex, const struct test_case *c, size_t n,
		   struct outcome *out)
{
	struct vmm_ctx *v = ex->priv;
	char perr[200];
	size_t len;
	int ring = vmm_mbox_put(v->shm.mb, ++v->shm.seq, v->frame, n);
	if (ring < 0)
		return failed(ex, c, "vmm:protocol", "the frame does not fit the mailbox");
	if (ring && vmm_proc_write(&v->proc, "D", 1) < 0)
		return failed(ex, c, "vmm:write", "stopped reading its serial input");
	int r = vmm_shm_wait(&v->shm, &v->proc, VMM_CASE_WAIT_MS, v->line, sizeof(v->line));
	if (r == 0)
		return failed(ex, c, "vmm:hung", "gave no record within the wait (killed)");
	if (r != 1)
		return ended(ex, c, r == 2, out);
	r = vmm_mbox_take(v->shm.mb, v->shm.seq, v->text, sizeof(v->text), &len, perr,
			  sizeof(perr));
	if (r < 0)
		return failed(ex, c, "vmm:protocol", perr);
	for (char *l = v->text, *nl; l < v->text + len; l = nl + 1) {
		nl = memchr(l, '\n', (size_t)(v->text + len - l));
		if (!nl)
			break;
		*nl = 0;
		int k = record_line(ex, c, l);
		if (k < 0)
			return -1;
		if (k == VMM_REC_DONE)
			return 1;
	}
	return failed(ex, c, "vmm:protocol", "the mailbox record has no end (E, S or F line)");
}

/* One attempt of c with a budget. 1: out holds the outcome; 0: the case
 * ended the VM (SHUTDOWN pushed); -1: the VMM failed. */
static int attempt(struct executor *ex, const struct test_case *c, uint32_t budget_us,
		   struct outcome *out)
{
	struct vmm_ctx *v = ex->priv;
	if (!v->proc.pid && boot(ex, v) < 0) {
		ex->dead = 1;
		snprintf(ex->fail_where, sizeof(ex->fail_where), "vmm:boot");
		return -1;
	}
	size_t n = vmm_frame(c, vmm_pit_count(budget_us), v->frame, sizeof(v->frame));
	vmm_rec_init(&v->rec);
	int r = v->shm.on ? via_shm(ex, c, n, out) : via_serial(ex, c, n, out);
	if (r <= 0)
		return r;
	if (v->rec.fault[0]) {
		snprintf(ex->err, sizeof(ex->err), "case %.63s: the batch runtime's switch into mode "
			 "%s faulted: %s", c->id, mode_name((enum cpu_mode)c->mode), v->rec.fault);
		snprintf(ex->fail_where, sizeof(ex->fail_where), "vmm:entry");
		ex->fail_errno = 0;
		return -1;
	}
	vmm_rec_outcome(&v->rec, c, OUTCOME_NO_TRACE | OUTCOME_NO_SYSREGS | v->prof->own_reads, out);
	return 1;
}

const char *vmm_transport(const struct executor *ex)
{
	const struct vmm_ctx *v = ex->priv;
	return v && v->shm.on ? "shm" : "serial";
}

static int vmm_run(struct executor *ex, const struct test_case *c, struct outcome *out)
{
	const char *why = vmm_refuses(c);
	ex->fail_errno = 0;
	ex->fail_where[0] = 0;
	if (!ex->priv) {
		snprintf(ex->err, sizeof(ex->err), "case %.63s: vmm executor not initialised", c->id);
		return -1;
	}
	if (why) {
		unsupported(out, c, why);
		return 0;
	}
	uint32_t budget = ex->budget_us ? ex->budget_us : KVM_TIME_BUDGET_US;
	uint32_t first = budget < VMM_SHORT_BUDGET_US ? budget : VMM_SHORT_BUDGET_US;
	int r = attempt(ex, c, first, out);
	const struct exit_event *t = r > 0 ? outcome_terminal(out) : NULL;
	if (t && t->kind == EXIT_TIMEOUT && first < budget)
		r = attempt(ex, c, budget, out);
	return r < 0 ? -1 : 0;
}

const struct executor_ops vmm_executor_ops = {
	.name = "vmm",
	.init = vmm_init,
	.run = vmm_run,
	.fini = vmm_fini,
};
