/*
 * `exitdiff tmk`: our own minimal KVM runner for TMK images. A fresh VM
 * with TMK_RAM_SIZE of RAM at 0 (the layout at 0, the image at 1 MiB),
 * started as multiboot v1 says (32-bit protected mode, EAX = 0x2BADB002,
 * EBX = info) or, on request, at the image's 64-bit entry. Devices are
 * answered like the harness answers cases: every I/O and MMIO read gives
 * all ones, writes vanish, except:
 *   0x3f8         COM1 transmit: serial output, parsed line by line
 *   0xf4          isa-debug-exit: ends the run with the value written
 *   0x40, 0x43    the PIT channel 0 one-shot the runtime arms per case:
 *                 its expiry is delivered as the NMI the runtime expects
 *                 (QEMU routes it through the IOAPIC; we inject it)
 * A HLT exits to us (no in-kernel irqchip) and gets the same NMI at once.
 *
 * A hang (docs/harness.md "Hang"): when the timer's NMI comes due after at
 * least HANG_TICKS watchdog ticks at one CPL0 RIP with no exit between
 * them, KVM_RUN never left that instruction, and the case's "timeout" is
 * reported as the hang it is. CPL3 is left out: on some hosts (kvm_pvm)
 * the RIP at an interrupt says nothing there.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/time.h>
#include "kvm_lib.h"
#include "layout.h"
#include "tmk_host.h"

#define TMK_RAM_SIZE   (8u << 20)
#define TMK_MBI_ADDR   0x500u      /* multiboot info: the runtime copies the */
#define TMK_CMDLINE    0x600u      /* command line before it builds the layout */
#define PIT_HZ         1193182ull
#define TICK_US        2000        /* watchdog period: bounds NMI latency */
#define HANG_TICKS     8           /* ~16 ms on one instruction: see above */

struct runner {
	struct kvm_vm vm;
	struct kvm_vcpu vcpu;
	struct kvm_run *run;          /* vcpu.run */
	uint8_t *ram;
	/* PIT channel 0 as the runtime programs it. */
	unsigned pit_mode, pit_bytes, pit_count;
	uint64_t pit_deadline_us;     /* 0: not armed */
	char line[512];
	size_t line_len;
	char current[TMK_NAME_MAX];   /* started, no result yet ("" if none) */
	/* The hang of the current case: ticks at one CPL0 RIP since the
	 * last exit, and where the timer's NMI found it stuck (0: not). */
	uint64_t stuck_rip, hung_rip;
	unsigned stuck_ticks;
	unsigned from;                /* first case index of this boot */
	const struct tmk_run_opts *o;
	struct tmk_run_result *res;
};

static volatile sig_atomic_t tick;
static struct kvm_run *volatile tick_run;

static void on_tick(int sig)
{
	(void)sig;
	tick = 1;
	if (tick_run)
		tick_run->immediate_exit = 1;
}

#define FAILF(...) do { snprintf(err, errlen, __VA_ARGS__); return -1; } while (0)

static int setup_cpu(struct runner *r, const struct tmk_image *img,
		     char *err, size_t errlen)
{
	struct kvm_sregs sr;
	if (kvm_ioctl(r->vcpu.fd, KVM_GET_SREGS, &sr, err, errlen) < 0)
		return -1;
	struct kvm_regs rg;
	memset(&rg, 0, sizeof(rg));
	rg.rflags = 2;
	rg.rax = 0x2badb002u;
	rg.rbx = TMK_MBI_ADDR;
	if (r->o->entry64) {
		if (!img->has_xd || !img->entry64)
			FAILF("%s: the image records no 64-bit entry", img->path);
		kvm_flat_segment(&sr.cs, SEL_CODE64, 0xb, 0, 1);
		kvm_flat_segment(&sr.ds, SEL_DATA, 0x3, 1, 0);
		sr.cr0 = LM_CR0;
		sr.cr3 = img->boot_cr3;
		sr.cr4 = LM_CR4;
		sr.efer = LM_EFER;
		rg.rip = img->entry64;
	} else {
		/* Multiboot v1 machine state: flat 32-bit segments, CR0.PE
		 * only, EFLAGS.IF clear. */
		kvm_flat_segment(&sr.cs, SEL_CODE64, 0xb, 1, 0);
		kvm_flat_segment(&sr.ds, SEL_DATA, 0x3, 1, 0);
		sr.cr0 = 0x11;
		sr.cr3 = sr.cr4 = sr.efer = 0;
		rg.rip = img->entry32;
	}
	sr.es = sr.fs = sr.gs = sr.ss = sr.ds;
	/* A usable busy TSS and an unusable LDT: what VM entry insists on
	 * (SDM Vol. 3C 27.3.1.2); the runtime loads its own TR later. */
	memset(&sr.tr, 0, sizeof(sr.tr));
	sr.tr.limit = 0x67;
	sr.tr.type = 0xb;
	sr.tr.present = 1;
	memset(&sr.ldt, 0, sizeof(sr.ldt));
	sr.ldt.unusable = 1;
	if (kvm_ioctl(r->vcpu.fd, KVM_SET_SREGS, &sr, err, errlen) < 0 ||
	    kvm_ioctl(r->vcpu.fd, KVM_SET_REGS, &rg, err, errlen) < 0)
		return -1;
	return 0;
}

static void load_image(struct runner *r, const struct tmk_image *img)
{
	size_t base = img->hdr_off - (img->header_addr - img->load_addr);
	memcpy(r->ram + img->load_addr, img->file + base, img->load_end - img->load_addr);
	/* Multiboot info: flags bit 2 (cmdline) only. */
	uint32_t *mbi = (uint32_t *)(r->ram + TMK_MBI_ADDR);
	memset(mbi, 0, 64);
	mbi[0] = 1u << 2;
	mbi[4] = TMK_CMDLINE;
	char *cl = (char *)r->ram + TMK_CMDLINE;
	if (r->o->test)
		snprintf(cl, 256, "exitdiff-tmk test=%.200s", r->o->test);
	else
		snprintf(cl, 256, "exitdiff-tmk from=%u", r->from);
}

static int open_vm(struct runner *r, const struct tmk_image *img, char *err, size_t errlen)
{
	uint32_t need = img->bss_end ? img->bss_end : img->load_end;
	if (need > TMK_RAM_SIZE)
		FAILF("%s: image needs memory up to 0x%x, the runner gives 0x%x",
		      img->path, need, TMK_RAM_SIZE);
	if (kvm_vm_create(&r->vm, err, errlen) < 0)
		return -1;
	r->ram = mmap(NULL, TMK_RAM_SIZE, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (r->ram == MAP_FAILED) {
		r->ram = NULL;
		FAILF("mmap guest RAM: %s", strerror(errno));
	}
	if (kvm_memslot_set(&r->vm, 0, 0, r->ram, TMK_RAM_SIZE, 0, err, errlen) < 0 ||
	    kvm_vcpu_create(&r->vm, &r->vcpu, err, errlen) < 0)
		return -1;
	r->run = r->vcpu.run;
	/* KVM checks the guest's CPUID for LM and NX when the guest sets
	 * EFER.LME/NXE: hand it everything KVM supports. */
	struct kvm_cpuid2 *cpuid = kvm_cpuid_supported(&r->vm, err, errlen);
	int rc = cpuid ? kvm_vcpu_set_cpuid(&r->vcpu, cpuid, err, errlen) : -1;
	free(cpuid);
	if (rc < 0)
		return -1;
	load_image(r, img);
	return setup_cpu(r, img, err, errlen);
}

static void close_vm(struct runner *r)
{
	kvm_vcpu_destroy(&r->vcpu);
	r->run = NULL;
	if (r->ram)
		munmap(r->ram, TMK_RAM_SIZE);
	r->ram = NULL;
	kvm_vm_destroy(&r->vm);
}

/* "PREFIX: id[: reason]" -> log line in the style of OpenVMM's runner. */
static void serial_line(struct runner *r)
{
	char *l = r->line;
	FILE *out = r->o->out;
	struct tmk_run_result *res = r->res;
	if (r->o->verbose)
		fprintf(out, "  | %s\n", l);
	/* A case may write to COM1 itself (OUT to 0x3f8): its bytes then
	 * stand before the runtime's next line. */
	static const char *const kinds[] = { "START: ", "PASS: ", "FAIL: ", "SKIP: ", "SUMMARY: " };
	char *first = NULL;
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		char *k = strstr(l, kinds[i]);
		if (k && (!first || k < first))
			first = k;
	}
	if (first && first != l) {
		if (!r->o->verbose)
			fprintf(out, "tmk: the case wrote to the serial port: \"%.*s\"\n",
				(int)(first - l), l);
		l = first;
	}
	if (!strncmp(l, "START: ", 7)) {
		r->hung_rip = 0;
		res->started++;
		snprintf(r->current, sizeof(r->current), "%.63s", l + 7);
		fprintf(out, "test started, name: \"%s\"\n", l + 7);
	} else if (!strncmp(l, "PASS: ", 6)) {
		res->passed++;
		r->current[0] = 0;
		fprintf(out, "test passed, name: \"%s\"\n", l + 6);
	} else if (!strncmp(l, "FAIL: ", 6) || !strncmp(l, "SKIP: ", 6)) {
		int fail = l[0] == 'F';
		char *name = l + 6, *reason = strstr(name, ": ");
		if (reason)
			*reason = 0, reason += 2;
		r->current[0] = 0;
		if (fail)
			res->failed++;
		else
			res->skipped++;
		char *t = reason ? strstr(reason, "got 0x7 (timeout)") : NULL;
		if (t && r->hung_rip) {
			*t = 0;
			fprintf(out, "test failed, name: \"%s\", reason: \"%sgot hang (KVM_RUN stayed "
				"at rip 0x%llx)%s\"\n", name, reason, (unsigned long long)r->hung_rip,
				t + strlen("got 0x7 (timeout)"));
		} else {
			fprintf(out, "test %s, name: \"%s\", reason: \"%s\"\n",
				fail ? "failed" : "skipped", name, reason ? reason : "");
		}
	} else if (!strncmp(l, "SUMMARY: ", 9)) {
		snprintf(res->summary, sizeof(res->summary), "%.120s", l);
		if (!r->from)
			fprintf(out, "%s\n", l);
		else
			fprintf(out, "tmk: %s (this boot)\n", l);
	} else if (!r->o->verbose) {
		fprintf(out, "tmk: %s\n", l);
	}
}

static void serial_out(struct runner *r, uint8_t c)
{
	if (c == '\r')
		return;
	if (c == '\n' || r->line_len == sizeof(r->line) - 1) {
		r->line[r->line_len] = 0;
		serial_line(r);
		r->line_len = 0;
		if (c == '\n')
			return;
	}
	r->line[r->line_len++] = (char)c;
}

/* Returns 1 when the guest asked to exit. */
static int io_exit(struct runner *r)
{
	struct kvm_run *run = r->run;
	uint8_t *data = (uint8_t *)run + run->io.data_offset;
	size_t n = (size_t)run->io.size * run->io.count;
	if (run->io.direction == KVM_EXIT_IO_IN) {
		memset(data, 0xff, n);
		return 0;
	}
	for (uint32_t i = 0; i < run->io.count; i++) {
		const uint8_t *d = data + (size_t)i * run->io.size;
		uint32_t v = 0;
		memcpy(&v, d, run->io.size);
		switch (run->io.port) {
		case 0x3f8:
			serial_out(r, (uint8_t)v);
			break;
		case 0xf4:
			r->res->exit_code_seen = 1;
			r->res->exit_value = v;
			return 1;
		case 0x43:
			if ((v >> 6) == 0) {
				r->pit_mode = (v >> 1) & 7;
				r->pit_bytes = 0;
				r->pit_count = 0;
			}
			break;
		case 0x40:
			r->pit_count |= (v & 0xff) << (8 * r->pit_bytes);
			if (++r->pit_bytes == 2) {
				uint64_t cnt = r->pit_count ? r->pit_count : 0x10000;
				r->pit_deadline_us = r->pit_mode == 0 ?
					kvm_now_us() + cnt * 1000000u / PIT_HZ : 0;
				r->pit_bytes = 0;
				r->pit_count = 0;
			}
			break;
		}
	}
	return 0;
}

/* A watchdog tick: where the vCPU is, if at CPL0. */
static void note_tick(struct runner *r)
{
	struct kvm_regs rg;
	struct kvm_sregs sr;
	if (ioctl(r->vcpu.fd, KVM_GET_REGS, &rg) < 0 || ioctl(r->vcpu.fd, KVM_GET_SREGS, &sr) < 0 ||
	    (sr.cs.selector & 3)) {
		r->stuck_ticks = 0;
		return;
	}
	if (r->stuck_ticks && rg.rip == r->stuck_rip) {
		r->stuck_ticks++;
		return;
	}
	r->stuck_rip = rg.rip;
	r->stuck_ticks = 1;
}

static int inject_nmi(struct runner *r, char *err, size_t errlen)
{
	if (r->stuck_ticks >= HANG_TICKS)
		r->hung_rip = r->stuck_rip;
	r->stuck_ticks = 0;
	r->pit_deadline_us = 0;
	return kvm_ioctl(r->vcpu.fd, KVM_NMI, NULL, err, errlen) < 0 ? -1 : 0;
}

static int run_loop(struct runner *r, char *err, size_t errlen)
{
	uint64_t give_up = kvm_now_us() + (uint64_t)(r->o->timeout_s ? r->o->timeout_s : 120) * 1000000u;
	unsigned hlt_in_row = 0;
	for (;;) {
		if (kvm_now_us() > give_up) {
			snprintf(r->res->end_reason, sizeof(r->res->end_reason),
				 "no debug-exit within %u s", r->o->timeout_s ? r->o->timeout_s : 120);
			return 0;
		}
		if (r->pit_deadline_us && kvm_now_us() >= r->pit_deadline_us &&
		    inject_nmi(r, err, errlen) < 0)
			return -1;
		r->run->immediate_exit = 0;
		tick = 0;
		if (kvm_ioctl(r->vcpu.fd, KVM_RUN, NULL, err, errlen) < 0) {
			if (errno == EINTR || errno == EAGAIN) {
				note_tick(r);
				continue;
			}
			return -1;
		}
		if (r->run->exit_reason != KVM_EXIT_INTR)
			r->stuck_ticks = 0;
		switch (r->run->exit_reason) {
		case KVM_EXIT_IO:
			hlt_in_row = 0;
			if (io_exit(r)) {
				snprintf(r->res->end_reason, sizeof(r->res->end_reason),
					 "debug-exit %u", r->res->exit_value);
				return 0;
			}
			break;
		case KVM_EXIT_MMIO:
			hlt_in_row = 0;
			if (!r->run->mmio.is_write)
				memset(r->run->mmio.data, 0xff, sizeof(r->run->mmio.data));
			break;
		case KVM_EXIT_HLT:
			/* The runtime only halts inside a case (ended by the
			 * NMI) or after a failed debug-exit. */
			if (++hlt_in_row > 1000) {
				snprintf(r->res->end_reason, sizeof(r->res->end_reason),
					 "guest halted for good");
				return 0;
			}
			if (inject_nmi(r, err, errlen) < 0)
				return -1;
			break;
		case KVM_EXIT_SHUTDOWN: {
			struct kvm_regs rg;
			memset(&rg, 0, sizeof(rg));
			(void)ioctl(r->vcpu.fd, KVM_GET_REGS, &rg);
			snprintf(r->res->end_reason, sizeof(r->res->end_reason),
				 "guest shut down (triple fault) at rip 0x%llx",
				 (unsigned long long)rg.rip);
			return 0;
		}
		case KVM_EXIT_INTERNAL_ERROR:
			snprintf(r->res->end_reason, sizeof(r->res->end_reason),
				 "KVM internal error, suberror %u", r->run->internal.suberror);
			return 0;
		case KVM_EXIT_INTR:
			break;
		default:
			snprintf(r->res->end_reason, sizeof(r->res->end_reason),
				 "unexpected KVM exit reason %u", r->run->exit_reason);
			return 0;
		}
	}
}

/* One boot of the image, from case index r->from. */
static int boot_once(struct runner *r, const struct tmk_image *img,
		     char *err, size_t errlen)
{
	r->vm.sys_fd = r->vm.vm_fd = r->vcpu.fd = -1;
	r->vcpu.run = r->run = NULL;
	r->ram = NULL;
	r->line_len = 0;
	r->current[0] = 0;
	r->pit_deadline_us = 0;
	r->res->exit_code_seen = 0;
	int rc = open_vm(r, img, err, errlen);
	if (rc == 0) {
		struct itimerval it = { { 0, TICK_US }, { 0, TICK_US } };
		tick_run = r->run;
		setitimer(ITIMER_REAL, &it, NULL);
		rc = run_loop(r, err, errlen);
		struct itimerval off = { { 0, 0 }, { 0, 0 } };
		setitimer(ITIMER_REAL, &off, NULL);
		tick_run = NULL;
		if (r->line_len) {
			r->line[r->line_len] = 0;
			serial_line(r);
		}
	}
	close_vm(r);
	return rc;
}

/*
 * A case that takes the whole VM down (triple fault, KVM internal error:
 * exactly what some KVM divergences do) fails with the VM's end as reason,
 * and the image is booted again from the next case ("from=K"), so one
 * such case does not hide the others.
 */
int tmk_run_image(const struct tmk_image *img, const struct tmk_run_opts *o,
		  struct tmk_run_result *res, char *err, size_t errlen)
{
	struct runner r;
	memset(&r, 0, sizeof(r));
	memset(res, 0, sizeof(*res));
	r.o = o;
	r.res = res;

	struct sigaction sa, old_sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_tick;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, &old_sa);
	int rc;
	for (;;) {
		rc = boot_once(&r, img, err, errlen);
		if (rc < 0 || res->exit_code_seen || !r.current[0])
			break;
		res->failed++;
		fprintf(o->out, "test failed, name: \"%s\", reason: \"the VM ended: %s\"\n",
			r.current, res->end_reason);
		int k = tmk_image_find(img, r.current);
		if (o->test || k < 0 || k + 1 >= img->n_names) {
			/* Nothing left: the image's own summary never came. */
			snprintf(res->summary, sizeof(res->summary),
				 "SUMMARY: %u tests, %u unexpected failures",
				 res->passed + res->failed + res->skipped, res->failed);
			fprintf(o->out, "%s (exitdiff tmk)\n", res->summary);
			res->exit_code_seen = 1;
			res->exit_value = 1;
			break;
		}
		fprintf(o->out, "tmk: booting the image again from case %d\n", k + 1);
		r.from = (unsigned)k + 1;
	}
	sigaction(SIGALRM, &old_sa, NULL);
	if (rc == 0 && r.from && res->exit_code_seen) {
		/* The last boot's SUMMARY covers only its cases. */
		snprintf(res->summary, sizeof(res->summary),
			 "SUMMARY: %u tests, %u unexpected failures",
			 res->passed + res->failed + res->skipped, res->failed);
		fprintf(o->out, "%s (exitdiff tmk, all boots)\n", res->summary);
	}
	return rc;
}
