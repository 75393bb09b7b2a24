/* The VMM executor's wire (vmm/vmm_proto.c) and what the diff and the known
 * list do with a VMM's outcome: a frame carries the case whole (decoded
 * here as the batch image decodes it), a record becomes the outcome its
 * lines say, a malformed line is refused, the diff compares only what the
 * VMM shows, and [vmm=NAME] entries hold only for that VMM. */
#include <string.h>
#include "case_bin.h"
#include "check.h"
#include "diff.h"
#include "known.h"
#include "vmm_proc.h"
#include "vmm_proto.h"

/* The batch image's reading of a frame (tmk/batch/rt_batch.c), here on
 * the host: zero runs expanded; -1 on a bad sum. */
static int unframe(const uint8_t *f, size_t n, struct test_case *c, unsigned *pit)
{
	static uint8_t raw[CASE_BIN_MAX];
	if (n < 7 || f[0] != 0xa5 || f[1] != 0x5a)
		return -1;
	*pit = f[2] | f[3] << 8;
	size_t len = f[4] | (size_t)f[5] << 8, k = 0;
	uint8_t sum = 0;
	for (size_t i = 0; i < len; i++) {
		uint8_t b = f[6 + i];
		unsigned run = 1;
		sum = (uint8_t)(sum + b);
		if (!b) {
			sum = (uint8_t)(sum + f[7 + i]);
			run += f[7 + i];
			i++;
		}
		while (run--)
			raw[k++] = b;
	}
	if (sum != f[6 + len] || n != len + 7)
		return -1;
	case_decode(raw, k, c);
	return 0;
}

static int feed(struct vmm_rec *r, const char *const *lines)
{
	char err[160];
	int k = VMM_REC_MORE;
	for (; *lines && k == VMM_REC_MORE; lines++)
		k = vmm_rec_line(r, *lines, err, sizeof(err));
	return k;
}

int main(void)
{
	static struct test_case c, back;
	static uint8_t frame[VMM_FRAME_MAX];
	static struct vmm_rec rec;
	static struct outcome out, ref;
	unsigned pit = 0;

	/* A frame: a case with sparse data and registers comes back whole. */
	case_init(&c);
	c.gpr[RAX] = 0x1122334455667788ull;
	c.code_len = 3;
	memcpy(c.code, "\x48\xff\xc0", 3);
	c.data_len = 4096;
	c.data[17] = 0x5a;
	c.data[4000] = 0xa5;
	size_t n = vmm_frame(&c, vmm_pit_count(200), frame, sizeof(frame));
	CHECK(n > 0 && n < 200, "a case with 4 KiB of mostly zero data frames small (%zu bytes)", n);
	CHECK(unframe(frame, n, &back, &pit) == 0, "the frame's sum and length check");
	CHECK_EQ_U64(pit, 238, "PIT count for 200 us (1.193182 MHz)");
	CHECK(back.gpr[RAX] == c.gpr[RAX] && back.code_len == 3 && back.data[17] == 0x5a &&
	      back.data[4000] == 0xa5 && back.data_len == 4096, "the case decodes as it was sent");
	frame[8] ^= 1;
	CHECK(unframe(frame, n, &back, &pit) < 0, "a damaged byte fails the sum");

	/* A record: HLT after RAX changed, one byte of the stack written,
	 * XMM1 set, the case's own serial output is not part of it. */
	vmm_rec_init(&rec);
	static const char *const hlt_rec[] = {
		"O 2 0 0 0 0 0 10004 202 ffffffffffffffff 0 0 0",
		"G 0 1122334455667789",
		"X 1 5 6",
		"M 5ff8 0400010000000000",
		"E", NULL,
	};
	CHECK(feed(&rec, hlt_rec) == VMM_REC_DONE, "an O..E record completes");
	vmm_rec_outcome(&rec, &c, OUTCOME_NO_TRACE | OUTCOME_NO_SYSREGS, &out);
	const struct exit_event *t = outcome_terminal(&out);
	CHECK(t && t->kind == EXIT_HLT && t->rip == 0x10004, "terminal: hlt at 0x10004");
	CHECK_EQ_U64(out.state.gpr[RAX], 0x1122334455667789ull, "rax from the G line");
	CHECK_EQ_U64(out.state.gpr[RSP], c.gpr[RSP], "rsp: not in G, as the case set it");
	CHECK_EQ_U64(out.state.xmm[1][1], 6, "xmm1 high from the X line");
	CHECK_EQ_U64(out.mem[0x5ff8], 4, "the M line's first byte in the window");
	CHECK_EQ_U64(out.mem[0], 0x48, "a window byte the record did not name is the case's (code byte 0)");
	CHECK(out.undefined_flags & RFLAGS_RF, "RF is never compared (the runtime's frame's)");

	static const char *const excp_rec[] = {
		"O 3 e 1 2 10000 c0001000 10000 10002 ffffffffffffffff 15ff4 c 0", "G", "E", NULL,
	};
	vmm_rec_init(&rec);
	feed(&rec, excp_rec);
	vmm_rec_outcome(&rec, &c, 0, &out);
	t = outcome_terminal(&out);
	CHECK(t && t->kind == EXIT_EXCEPTION && t->addr == 14 && t->has_error_code &&
	      t->error_code == 2 && t->cr2 == 0xc0001000, "#PF(2) with CR2 from the O line");
	CHECK_EQ_U64(out.n_undefined_mem, 3, "the NMI frame's 12 bytes are not compared");

	static const char *const bad[] = { "O 2 0 0", NULL };
	vmm_rec_init(&rec);
	CHECK(feed(&rec, bad) < 0, "an O line with too few fields is refused");
	static const char *const bad2[] = { "O 2 0 0 0 0 0 10004 202 ffffffffffffffff 0 0 0",
					     "M 7000000 00", NULL };
	vmm_rec_init(&rec);
	CHECK(feed(&rec, bad2) < 0, "a byte outside the compare window is refused");
	static const char *const skip[] = { "S cpu lacks cr4.smap", NULL };
	vmm_rec_init(&rec);
	CHECK(feed(&rec, skip) == VMM_REC_DONE, "an S line ends the record");
	vmm_rec_outcome(&rec, &c, 0, &out);
	CHECK(outcome_terminal(&out)->kind == EXIT_UNSUPPORTED &&
	      !strncmp(out.mnemonic, "vmm:cpu lacks", 13), "S: unsupported, named (%s)", out.mnemonic);

	struct cpuid_table tab = { .n = 0 };
	CHECK(vmm_cpuid_line("C 0 0 d 68747541 444d4163 69746e65", &tab) == 1 && tab.n == 1 &&
	      tab.e[0].eax == 0xd, "a CPUID line fills the reference's table");
	CHECK(vmm_cpuid_line("READY", &tab) == 0, "other lines are not CPUID lines");

	/* The diff: a VMM's outcome has no trace; the reference's IO exits
	 * before the HLT are not compared, its HLT is. */
	vmm_rec_init(&rec);
	feed(&rec, hlt_rec);
	vmm_rec_outcome(&rec, &c, OUTCOME_NO_TRACE | OUTCOME_NO_SYSREGS, &out);
	ref = out;
	ref.unobserved = 0;
	ref.n_events = 0;
	struct exit_event io = { .kind = EXIT_IO, .dir = DIR_OUT, .size = 1, .addr = 0x80 };
	struct exit_event h = { .kind = EXIT_HLT, .rip = 0x10004 };
	outcome_push(&ref, &io);
	outcome_push(&ref, &h);
	ref.state.cr0 = 0x80010033;
	struct divergence d;
	CHECK(outcome_diff(&ref, &out, &d) == VERDICT_AGREE,
	      "no trace, no system registers: an OUT exit and CR0 are left out (%s)", d.signature);
	ref.state.gpr[RBX] ^= 1;
	CHECK(outcome_diff(&ref, &out, &d) == VERDICT_DIVERGE && !strcmp(d.field, "rbx"),
	      "a GPR still diverges (%s)", d.signature);
	ref.state.gpr[RBX] ^= 1;
	ref.events[0].dir = DIR_IN;
	out.unobserved |= OUTCOME_OWN_PORTS;
	CHECK(outcome_diff(&ref, &out, &d) == VERDICT_UNSUPPORTED && strstr(d.signature, "vmm-port-read"),
	      "a port read the VMM answers itself: not compared (%s)", d.signature);
	/* MMIO reads: of the window, compared where the VMM declared what it
	 * reads there (only OUTCOME_OWN_MMIO), not where it did not
	 * (OUTCOME_OWN_MMIO_WINDOW); elsewhere never. */
	out.unobserved &= ~(uint32_t)OUTCOME_OWN_PORTS;
	ref.events[0].kind = EXIT_MMIO;
	ref.events[0].addr = LAYOUT_MMIO + 8;
	out.unobserved |= OUTCOME_OWN_MMIO;
	CHECK(outcome_diff(&ref, &out, &d) == VERDICT_AGREE, "a read of the MMIO window, declared: compared (%s)",
	      d.signature);
	out.unobserved |= OUTCOME_OWN_MMIO_WINDOW;
	CHECK(outcome_diff(&ref, &out, &d) == VERDICT_UNSUPPORTED && strstr(d.signature, "vmm-mmio-read"),
	      "... not declared: not compared (%s)", d.signature);
	out.unobserved &= ~(uint32_t)OUTCOME_OWN_MMIO_WINDOW;
	ref.events[0].addr = LAYOUT_RAM_SIZE + 0x100;
	CHECK(outcome_diff(&ref, &out, &d) == VERDICT_UNSUPPORTED && strstr(d.signature, "vmm-mmio-read"),
	      "a read of MMIO outside the window (the runtime's RAM there): not compared (%s)", d.signature);
	out.unobserved &= ~(uint32_t)OUTCOME_OWN_MMIO;
	ref.events[0].kind = EXIT_IO;
	ref.events[0].addr = 0x80;

	/* A full reference trace (64 OUTs: TIMEOUT, event budget) against a
	 * VMM that keeps none and ran on to its HLT: not compared; against
	 * a side with a trace it stays a divergence of how each stopped. */
	out.unobserved &= ~(uint32_t)OUTCOME_OWN_PORTS;
	ref.n_events = 0;
	while (outcome_push(&ref, &io))
		;
	CHECK(outcome_trace_full(&ref) && outcome_diff(&ref, &out, &d) == VERDICT_UNSUPPORTED &&
		      !strcmp(d.signature, "timeout/hlt:unsupported:trace-full") && !strcmp(d.mnemonic, "trace-full"),
	      "a full trace against a VMM's HLT: not compared, named (%s)", d.signature);
	out.unobserved &= ~(uint32_t)OUTCOME_NO_TRACE;
	CHECK(outcome_diff(&ref, &out, &d) == VERDICT_DIVERGE && !strcmp(d.field, "terminal"),
	      "the same against a side with a trace: a divergence (%s)", d.signature);
	out.unobserved |= OUTCOME_NO_TRACE;

	/* A VMM whose HLT is ended by an NMI on the case's stack timed out
	 * where the reference stopped at HLT with ESP 0 (`imul esp, ..., 0`):
	 * not compared; with ESP on the stack page, or without the mark, it
	 * stays a divergence. */
	ref.n_events = 0;
	outcome_push(&ref, &h);
	struct outcome vm = out;
	vm.n_events = 0;
	struct exit_event to = { .kind = EXIT_TIMEOUT };
	outcome_push(&vm, &to);
	vm.unobserved |= OUTCOME_FRAME_ON_STACK;
	ref.state.gpr[RSP] = 0;
	CHECK(outcome_diff(&ref, &vm, &d) == VERDICT_UNSUPPORTED &&
		      !strcmp(d.signature, "hlt/timeout:unsupported:frame-stack"),
	      "HLT with ESP 0 against the VMM's TIMEOUT: not compared (%s)", d.signature);
	ref.state.gpr[RSP] = 0x15008;   /* the frame would straddle into 0x14000, unmapped */
	CHECK(outcome_diff(&ref, &vm, &d) == VERDICT_UNSUPPORTED, "a frame straddling off the stack page: not compared (%s)",
	      d.signature);
	ref.state.gpr[RSP] = LAYOUT_STACK_TOP;
	CHECK(outcome_diff(&ref, &vm, &d) == VERDICT_DIVERGE && !strcmp(d.field, "terminal"),
	      "HLT with ESP at the stack's top against a TIMEOUT: a divergence (%s)", d.signature);
	ref.state.gpr[RSP] = 0;
	vm.unobserved &= ~(uint32_t)OUTCOME_FRAME_ON_STACK;
	CHECK(outcome_diff(&ref, &vm, &d) == VERDICT_DIVERGE,
	      "without the mark (KVM, or long mode's IST): a divergence (%s)", d.signature);
	/* An exception's frame (16 bytes with the error code) the same way:
	 * `mov sp, ss; pop ds` left ESP at 0x10010's low page. */
	vm.unobserved |= OUTCOME_FRAME_ON_STACK;
	struct exit_event gp = { .kind = EXIT_EXCEPTION, .addr = 13, .rip = 0x10002 };
	ref.n_events = 0;
	outcome_push(&ref, &gp);
	ref.state.gpr[RSP] = 0x10;
	CHECK(outcome_diff(&ref, &vm, &d) == VERDICT_UNSUPPORTED &&
		      !strcmp(d.signature, "exception#GP/timeout:unsupported:frame-stack"),
	      "#GP with ESP 0x10 against the VMM's TIMEOUT: not compared (%s)", d.signature);
	ref.state.gpr[RSP] = LAYOUT_STACK + 8;   /* 16 bytes do not fit above the page's start */
	CHECK(outcome_diff(&ref, &vm, &d) == VERDICT_UNSUPPORTED, "a 16-byte frame at the stack page's start + 8: not compared");
	ref.state.gpr[RSP] = LAYOUT_STACK + 16;
	CHECK(outcome_diff(&ref, &vm, &d) == VERDICT_DIVERGE, "... at + 16 it fits: a divergence (%s)", d.signature);
	/* A VMM with its own devices that shut down after a port write:
	 * its PC reset (port 0x92 bit 0); not after a write elsewhere. */
	vm.unobserved = OUTCOME_NO_TRACE | OUTCOME_OWN_PORTS;
	vm.n_events = 0;
	struct exit_event sd = { .kind = EXIT_SHUTDOWN };
	outcome_push(&vm, &sd);
	struct exit_event out92 = { .kind = EXIT_IO, .dir = DIR_OUT, .size = 1, .addr = 0x92, .data = 1 };
	ref.n_events = 0;
	outcome_push(&ref, &out92);
	outcome_push(&ref, &h);
	ref.state.gpr[RSP] = LAYOUT_STACK_TOP;
	CHECK(outcome_diff(&ref, &vm, &d) == VERDICT_UNSUPPORTED &&
		      !strcmp(d.signature, "hlt/shutdown:unsupported:vmm-port-write"),
	      "OUT to port 0x92 then the VMM's SHUTDOWN: not compared (%s)", d.signature);
	ref.events[0].kind = EXIT_MMIO;
	CHECK(outcome_diff(&ref, &vm, &d) == VERDICT_DIVERGE, "an MMIO write then SHUTDOWN: a divergence (%s)",
	      d.signature);

	/* A dying VMM's site, one bucket per crash: QEMU's assertion and
	 * abort lines as met in campaigns (QEMU 7.2), and its cpu_abort. */
	static const struct { const char *words, *site; } sites[] = {
		{ "qemu-system-x86_64: ../../hw/char/serial.c:337: serial_ioport_write: Assertion "
		  "`size == 1 && addr < 8' failed. (then: Aborted)", "serial.c:337" },
		{ "../../tcg/tcg.c:3243: tcg fatal error (then: Aborted)", "tcg.c:3243" },
		{ "qemu: fatal: invalid tss (then: Aborted)", "invalid-tss" },
		{ "Aborted", "" },
		{ "", "" },
	};
	for (unsigned k = 0; k < sizeof(sites) / sizeof(sites[0]); k++) {
		char site[20];
		vmm_crash_site(sites[k].words, site, sizeof(site));
		CHECK(!strcmp(site, sites[k].site), "crash site of '%.40s': '%s' (want '%s')", sites[k].words,
		      site, sites[k].site);
	}

	/* The known list: [vmm=qemu-tcg] holds for that VMM only, KVM's
	 * entries not for it. */
	static const char list[] =
		"[vmm=qemu-tcg] hlt/hlt:rax:*  tcg entry\n"
		"hlt/hlt:rax:inc  kvm entry\n";
	struct known_list k = { 0 };
	char err[200];
	CHECK(known_parse(&k, list, sizeof(list) - 1, "t", err, sizeof(err)) == 0,
	      "a [vmm=NAME] entry parses (%s)", err);
	const struct known_entry *e = known_find_for(&k, "hlt/hlt:rax:inc", 0);
	CHECK(e && !strcmp(e->reason, "kvm entry"), "for KVM, the KVM entry");
	snprintf(k.vmm, sizeof(k.vmm), "qemu-tcg");
	e = known_find_for(&k, "hlt/hlt:rax:inc", 0);
	CHECK(e && !strcmp(e->reason, "tcg entry"), "for vmm qemu-tcg, its own entry");
	snprintf(k.vmm, sizeof(k.vmm), "command");
	CHECK(known_find_for(&k, "hlt/hlt:rax:inc", 0) == NULL, "for another VMM, neither");
	known_free(&k);
	struct known_list k2 = { 0 };
	CHECK(known_parse(&k2, "[vmm=] x  y\n", 12, "t", err, sizeof(err)) < 0 && strstr(err, "t:1"),
	      "an empty vmm= is an error with file:line (%s)", err);
	known_free(&k2);
	return check_done("test_vmm_proto");
}
