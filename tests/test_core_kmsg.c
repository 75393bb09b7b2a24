/* The kernel-log oracle without a kernel: recorded /dev/kmsg lines go
 * through the record parser and the attribution/bucketing function
 * (core/kmsg.c), which must give the documented bucket keys, keep a
 * splat's body lines out of the findings, and count "callbacks
 * suppressed" notes without making findings of them. The cost of an empty
 * poll of the real /dev/kmsg is printed when it is readable (a figure, not
 * a check). */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "check.h"
#include "kmsg.h"

struct row {
	const char *record;     /* as read() returns it from /dev/kmsg */
	enum kmsg_class want;
	const char *key;        /* for KMSG_FINDING */
	long pid;
};

static const struct row rows[] = {
	{ "4,2083,2083304679,-;kvm-pvm: INTERNAL_ERROR after native exit: vec=14 err=0x4 rip=0x10000 cpl=3\n",
	  KMSG_FINDING, "kmsg/kvm-pvm: INTERNAL_ERROR after native exit: vec=N err=N rip=N cpl=N", 0 },
	{ "4,2084,2083334317,-;kvm-pvm: triple fault delivering vec=8 err=0 cpl=0 rip=0 e.vec=0 e.err=0 idt=0/3ff\n",
	  KMSG_FINDING, "kmsg/kvm-pvm: triple fault delivering vec=N err=N cpl=N rip=N e.vec=N e.err=N idt=N/N", 0 },
	{ "4,2085,2083400000,-;kvm-pvm: guest CR3 0x24000 had no memory slot behind it\n SUBSYSTEM=kvm\n",
	  KMSG_FINDING, "kmsg/kvm-pvm: guest CR3 N had no memory slot behind it", 0 },
	{ "6,2086,2083500000,-;e1000e 0000:00:1f.6 eth0: NIC Link is Up 1000 Mbps Full Duplex\n",
	  KMSG_OTHER, NULL, 0 },
	{ "4,2087,2083600000,-;------------[ cut here ]------------\n", KMSG_OTHER, NULL, 0 },
	{ "4,2088,2083600001,-;WARNING: CPU: 1 PID: 4242 at arch/x86/kvm/x86.c:11523 kvm_arch_vcpu_ioctl_run+0x5c2/0x6b0 [kvm]\n",
	  KMSG_FINDING, "kmsg/WARNING: CPU: N PID: N at arch/x86/kvm/x86.c:N kvm_arch_vcpu_ioctl_run+N/N [kvm]", 4242 },
	{ "4,2089,2083600002,c;Modules linked in: kvm_pvm kvm\n", KMSG_REPORT_BODY, NULL, 0 },
	{ "4,2090,2083600003,c; kvm_vcpu_ioctl+0x2a1/0x6c0 [kvm]\n", KMSG_REPORT_BODY, NULL, 0 },
	{ "4,2091,2083600004,-;---[ end trace 0000000000000000 ]---\n", KMSG_REPORT_BODY, NULL, 0 },
	{ "4,2092,2083700000,-;kvm_pvm: 37 callbacks suppressed\n", KMSG_SUPPRESSED, NULL, 0 },
	{ "4,2093,2083800000,-;kvm-pvm: pid 29539 vcpu0: the VMM set CR0.PG with EFER.LME clear\n",
	  KMSG_FINDING, "kmsg/kvm-pvm: pid N vcpu0: the VMM set CR0.PG with EFER.LME clear", 29539 },
	{ "3,2094,2083900000,-;BUG: KASAN: slab-out-of-bounds in kvm_emulate_insn+0x1f/0x80\n",
	  KMSG_FINDING, "kmsg/BUG: KASAN: slab-out-of-bounds in kvm_emulate_insn+N/N", 0 },
	{ "3,2095,2083900001,-;==================================================================\n",
	  KMSG_REPORT_BODY, NULL, 0 },
	{ "4,2096,2084000000,-;kvm: 3 callbacks suppressed\n", KMSG_SUPPRESSED, NULL, 0 },
	{ "6,2097,2084100000,-;kvm: kvm [31187]: vcpu0, guest rIP: 0x10005 Unhandled WRMSR(0x1234) = 0x0\n",
	  KMSG_FINDING, "kmsg/kvm: kvm [N]: vcpu0, guest rIP: N Unhandled WRMSR(N) = N", 31187 },
};

static const char *class_name(enum kmsg_class c)
{
	static const char *const n[] = { "other", "finding", "report-body", "suppressed" };
	return n[c];
}

int main(void)
{
	struct kmsg_attr a;
	memset(&a, 0, sizeof(a));
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct row *r = &rows[i];
		char msg[1024], key[128] = "";
		long pid = -1;
		int rc = kmsg_record_text(r->record, strlen(r->record), msg, sizeof(msg));
		const char *text = strchr(r->record, ';') + 1;
		CHECK(rc == 0 && !strncmp(msg, text, strlen(msg)) && !strchr(msg, '\n'),
		      "record %zu parsed to its first line of text: '%s'", i, msg);
		enum kmsg_class c = kmsg_classify(&a, msg, key, sizeof(key), &pid);
		CHECK(c == r->want, "'%.60s': class %s (wanted %s)", msg, class_name(c), class_name(r->want));
		if (r->want == KMSG_FINDING) {
			CHECK(!strcmp(key, r->key), "bucket key '%s' (wanted '%s')", key, r->key);
			CHECK(pid == r->pid, "pid named: %ld (wanted %ld)", pid, r->pid);
		}
	}
	CHECK_EQ_U64(a.findings, 7, "seven findings: three kvm-pvm, the WARNING header, two pid lines, KASAN");
	CHECK_EQ_U64(a.suppressed, 40, "suppressed messages counted (37 + 3), none saved");
	CHECK_EQ_U64(a.body_lines, 4, "report body lines are not findings");

	char out[64];
	kmsg_strip_numbers("x86_64 CR3 vcpu0 0x1f 12 ffff888101234567 dead 3rd", out, sizeof(out));
	CHECK(!strcmp(out, "x86_64 CR3 vcpu0 N N N dead 3rd"), "numbers stripped, names kept: '%s'", out);
	kmsg_strip_numbers("idt=a000/ffff e.vec=0 (32-bit) deliver[1]", out, sizeof(out));
	CHECK(!strcmp(out, "idt=N/N e.vec=N (N-bit) deliver[N]"), "bare hex values after = and /: '%s'", out);
	char tiny[8];
	kmsg_strip_numbers("kvm-pvm: vec=14", tiny, sizeof(tiny));
	CHECK(strlen(tiny) == 7, "stripping never overruns a short buffer ('%s')", tiny);
	CHECK(kmsg_record_text("no prefix here", 14, out, sizeof(out)) == -1,
	      "a line without the PRI,SEQ,TS,FLAGS; prefix is not a record");

	struct kmsg_reader rd;
	char err[160];
	if (kmsg_open(&rd, err, sizeof(err)) == 0) {
		struct timespec t0, t1;
		char buf[8192];
		int n = 20000, again = 0;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		for (int i = 0; i < n; i++)
			again += read(rd.fd, buf, sizeof(buf)) < 0 && errno == EAGAIN;
		clock_gettime(CLOCK_MONOTONIC, &t1);
		double ns = ((t1.tv_sec - t0.tv_sec) * 1e9 + (t1.tv_nsec - t0.tv_nsec)) / n;
		printf("measured: an empty poll of /dev/kmsg costs %.0f ns (%d of %d reads said EAGAIN)\n",
		       ns, again, n);
		kmsg_close(&rd);
	} else {
		printf("note: %s (the cost of a poll is not measured)\n", err);
	}
	return check_done("test_core_kmsg");
}
