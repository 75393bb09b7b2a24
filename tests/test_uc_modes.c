/* The Unicorn oracle outside long mode (oracle-unicorn/uc_modes.c):
 * prot32, prot32-paged and real16 cases whose expected outcomes come from
 * the SDM and layout.h/mode.h, not from a run: HLT with the mode's
 * registers and selectors, #UD delivered architecturally onto the case's
 * stack (frame bytes checked in the compared memory), #PF under 32-bit
 * paging with CR2 and error code, MMIO above RAM and in the window, a
 * write to the read-only system part (an MMIO write that changes
 * nothing), real-mode segment bases and INT n as a trap. */
#include <string.h>
#include "check.h"
#include "executor.h"
#include "layout.h"
#include "mode.h"
#ifdef EXITDIFF_HAVE_UNICORN
#include "uc_oracle.h"

static struct executor uc_ex;
static struct outcome out;

static const struct exit_event *run(enum cpu_mode m, const char *id, const uint8_t *code,
				    uint32_t len, struct test_case *c)
{
	case_init(c);
	snprintf(c->id, sizeof(c->id), "%s", id);
	c->mode = (uint8_t)m;
	memcpy(c->code, code, len);
	c->code_len = len;
	int rc = uc_ex.ops->run(&uc_ex, c, &out);
	CHECK(rc == 0, "%s: unicorn produced an outcome (%s)", id, rc ? uc_ex.err : "ok");
	if (rc || !out.n_events)
		return NULL;
	const struct exit_event *t = &out.events[out.n_events - 1];
	printf("  %s: ends %s %llu, rip 0x%llx, %u events\n", id,
	       exit_kind_name((enum exit_kind)t->kind), (unsigned long long)t->addr,
	       (unsigned long long)out.state.rip, out.n_events);
	return t;
}

static uint32_t mem32(uint64_t gpa)
{
	uint32_t v;
	memcpy(&v, out.mem + (gpa - LAYOUT_CMP_BASE), 4);
	return v;
}
static uint16_t mem16(uint64_t gpa)
{
	uint16_t v;
	memcpy(&v, out.mem + (gpa - LAYOUT_CMP_BASE), 2);
	return v;
}

static void prot32(enum cpu_mode m, const char *name)
{
	struct test_case c;
	char id[64];
	const struct exit_event *t;
	/* mov eax, 0x12345678; inc eax; hlt */
	static const uint8_t hlt[] = { 0xb8, 0x78, 0x56, 0x34, 0x12, 0x40, 0xf4 };
	snprintf(id, sizeof(id), "%s-hlt", name);
	t = run(m, id, hlt, sizeof(hlt), &c);
	CHECK(t && t->kind == EXIT_HLT, "%s: ends in HLT", id);
	CHECK_EQ_U64(out.state.gpr[RAX], 0x12345679, "eax");
	CHECK_EQ_U64(out.state.rip, LAYOUT_CODE + 7, "eip after the HLT");
	CHECK_EQ_U64(out.state.cs, SEL_CODE32, "cs");
	CHECK_EQ_U64(out.state.ds, SEL_DATA, "ds");
	CHECK_EQ_U64(out.state.ss, SEL_DATA, "ss");
	struct mode_env env;
	mode_env_init(&env, m, 0);
	CHECK_EQ_U64(out.state.cr0, env.cr0, "cr0 as mode.h gives it");
	CHECK_EQ_U64(out.state.cr3, env.cr3, "cr3");
	CHECK_EQ_U64(out.state.efer, 0, "efer (no long mode)");

	/* ud2: #UD through the IDT32 gate, frame EIP CS EFLAGS on the
	 * case's stack (SDM Vol. 3A 6.12.1), no error code. */
	static const uint8_t ud[] = { 0x0f, 0x0b };
	snprintf(id, sizeof(id), "%s-ud2", name);
	t = run(m, id, ud, sizeof(ud), &c);
	CHECK(t && t->kind == EXIT_EXCEPTION && t->addr == 6 && !t->has_error_code,
	      "%s: #UD, no error code", id);
	CHECK_EQ_U64(t ? t->rip : 0, LAYOUT_CODE, "faulting EIP");
	CHECK_EQ_U64(out.state.gpr[RSP], LAYOUT_STACK_TOP, "ESP back at the top (read from the frame)");
	CHECK_EQ_U64(mem32(LAYOUT_STACK_TOP - 12), LAYOUT_CODE, "frame: EIP");
	CHECK_EQ_U64(mem32(LAYOUT_STACK_TOP - 8), SEL_CODE32, "frame: CS");
	CHECK_EQ_U64(mem32(LAYOUT_STACK_TOP - 4), 0x10002, "frame: EFLAGS with RF (a fault)");

	/* mov eax, [0xc0000000]; hlt: the MMIO window, read as all ones. */
	static const uint8_t mmio[] = { 0xa1, 0x00, 0x00, 0x00, 0xc0, 0xf4 };
	snprintf(id, sizeof(id), "%s-mmio", name);
	t = run(m, id, mmio, sizeof(mmio), &c);
	CHECK(out.n_events == 2 && out.events[0].kind == EXIT_MMIO &&
	      out.events[0].addr == LAYOUT_MMIO && out.events[0].size == 4 &&
	      out.events[0].dir == DIR_IN, "%s: one 4-byte MMIO read at the window", id);
	CHECK_EQ_U64(out.state.gpr[RAX], 0xffffffff, "eax = open bus");
}

static void prot32_unpaged_extra(void)
{
	struct test_case c;
	const struct exit_event *t;
	/* mov eax, [0x20000]; hlt: above RAM is MMIO without paging. */
	static const uint8_t above[] = { 0xa1, 0x00, 0x00, 0x02, 0x00, 0xf4 };
	t = run(MODE_PROT32, "prot32-above-ram", above, sizeof(above), &c);
	CHECK(t && out.n_events == 2 && out.events[0].kind == EXIT_MMIO &&
	      out.events[0].addr == 0x20000, "prot32: a read above RAM is an MMIO read at 0x20000");
	/* mov eax, 0xdeadbeef; mov [0x3000], eax; mov ebx, [0x3000]; hlt:
	 * the stubs page is a read-only memslot in KVM: the write is an
	 * MMIO write and the HLT bytes stay. */
	static const uint8_t ro[] = { 0xb8, 0xef, 0xbe, 0xad, 0xde, 0xa3, 0x00, 0x30, 0x00, 0x00,
				      0x8b, 0x1d, 0x00, 0x30, 0x00, 0x00, 0xf4 };
	t = run(MODE_PROT32, "prot32-ro-write", ro, sizeof(ro), &c);
	CHECK(out.n_events == 2 && out.events[0].kind == EXIT_MMIO &&
	      out.events[0].dir == DIR_OUT && out.events[0].addr == LAYOUT_STUBS &&
	      out.events[0].data == 0xdeadbeef, "prot32: the write is one MMIO write event");
	CHECK_EQ_U64(out.state.gpr[RBX], 0xf4f4f4f4, "prot32: the stub bytes did not change");
}

static void prot32_paged_extra(void)
{
	struct test_case c;
	const struct exit_event *t;
	/* mov eax, [0x11000]: the unmapped page after the code: #PF, not
	 * present, read: error code 0, CR2 = the address (SDM Vol. 3A 4.7). */
	static const uint8_t pf[] = { 0xa1, 0x00, 0x10, 0x01, 0x00, 0xf4 };
	t = run(MODE_PROT32PG, "prot32pg-pf", pf, sizeof(pf), &c);
	CHECK(t && t->kind == EXIT_EXCEPTION && t->addr == 14 && t->has_error_code,
	      "prot32-paged: #PF with an error code");
	CHECK_EQ_U64(t ? t->error_code : 99, 0, "#PF error code (not present, read, CPL0)");
	CHECK_EQ_U64(t ? t->cr2 : 0, 0x11000, "#PF CR2");
	CHECK_EQ_U64(mem32(LAYOUT_STACK_TOP - 16), 0, "frame: error code");
	CHECK_EQ_U64(mem32(LAYOUT_STACK_TOP - 12), LAYOUT_CODE, "frame: EIP");
}

static void real16(void)
{
	struct test_case c;
	const struct exit_event *t;
	/* mov ax, 0x1234; inc ax; hlt */
	static const uint8_t hlt[] = { 0xb8, 0x34, 0x12, 0x40, 0xf4 };
	t = run(MODE_REAL16, "real16-hlt", hlt, sizeof(hlt), &c);
	CHECK(t && t->kind == EXIT_HLT, "real16: ends in HLT");
	CHECK_EQ_U64(out.state.gpr[RAX] & 0xffff, 0x1235, "ax");
	CHECK_EQ_U64(out.state.rip, 5, "ip after the HLT (CS base 0x10000)");
	CHECK_EQ_U64(out.state.cs, REAL_SEG, "cs");
	CHECK_EQ_U64(out.state.ss, REAL_SEG, "ss");
	CHECK_EQ_U64(out.state.cr0 & 1, 0, "cr0.PE clear");

	/* mov ax, [0x2000]; hlt with data 0xbeef at LAYOUT_DATA: DS base
	 * 0x10000 (SDM Vol. 3B 20.1.1). */
	static const uint8_t ds[] = { 0xa1, 0x00, 0x20, 0xf4 };
	case_init(&c);
	c.mode = MODE_REAL16;
	snprintf(c.id, sizeof(c.id), "real16-ds");
	memcpy(c.code, ds, sizeof(ds));
	c.code_len = sizeof(ds);
	c.data[0] = 0xef;
	c.data[1] = 0xbe;
	c.data_len = 2;
	CHECK(uc_ex.ops->run(&uc_ex, &c, &out) == 0, "real16-ds runs");
	CHECK_EQ_U64(out.state.gpr[RAX] & 0xffff, 0xbeef, "real16: DS:2000 is LAYOUT_DATA");

	/* ud2: #UD through the IVT: FLAGS CS IP at SS:SP (Vol. 3B 20.1.4). */
	static const uint8_t ud[] = { 0x90, 0x0f, 0x0b };
	t = run(MODE_REAL16, "real16-ud2", ud, sizeof(ud), &c);
	CHECK(t && t->kind == EXIT_EXCEPTION && t->addr == 6 && !t->has_error_code,
	      "real16: #UD, no error code");
	CHECK_EQ_U64(t ? t->rip : 0, 1, "faulting IP");
	CHECK_EQ_U64(out.state.gpr[RSP], LAYOUT_STACK_TOP, "RSP back (SP 0x6000 from the frame)");
	uint64_t top = LAYOUT_STACK_TOP;
	CHECK_EQ_U64(mem16(top - 6), 1, "frame: IP");
	CHECK_EQ_U64(mem16(top - 4), REAL_SEG, "frame: CS");
	CHECK_EQ_U64(mem16(top - 2), 0x2, "frame: FLAGS");

	/* int 0x21: a trap, the frame holds the next IP (SDM Vol. 3A 6.5). */
	static const uint8_t intn[] = { 0xcd, 0x21 };
	t = run(MODE_REAL16, "real16-int21", intn, sizeof(intn), &c);
	CHECK(t && t->kind == EXIT_EXCEPTION && t->addr == 0x21, "real16: INT 21h reaches its stub");
	CHECK_EQ_U64(t ? t->rip : 0, 2, "INT n: IP after it");
}

/* CPL3: entered by an IRETQ in the guest (uc_knobs.c), the case's HLT is
 * privileged, a supervisor page faults with U set, and the next CPL0 case
 * is at CPL0 again. More knob rows: test_uc_knobs.c. */
static void long64_cpl3(void)
{
	struct test_case c;
	const struct exit_event *t;
	/* inc rax; hlt at CPL3: HLT is privileged, #GP(0) (SDM Vol. 2A HLT). */
	static const uint8_t hlt[] = { 0x48, 0xff, 0xc0, 0xf4 };
	case_init(&c);
	c.knobs = KNOB_CPL3;
	snprintf(c.id, sizeof(c.id), "cpl3-hlt");
	memcpy(c.code, hlt, sizeof(hlt));
	c.code_len = sizeof(hlt);
	CHECK(uc_ex.ops->run(&uc_ex, &c, &out) == 0, "cpl3-hlt runs");
	t = out.n_events ? &out.events[out.n_events - 1] : NULL;
	CHECK(t && t->kind == EXIT_EXCEPTION && t->addr == 13 && t->has_error_code &&
	      t->error_code == 0, "cpl3: HLT raises #GP(0)");
	CHECK_EQ_U64(t ? t->rip : 0, LAYOUT_CODE + 3, "cpl3: faulting RIP = the HLT");
	CHECK_EQ_U64(out.state.gpr[RAX], 1, "cpl3: inc rax ran");
	CHECK_EQ_U64(out.state.cs, SEL_UCODE64, "cpl3: cs");
	CHECK_EQ_U64(out.state.ss, SEL_UDATA, "cpl3: ss");
	CHECK_EQ_U64(out.state.ds, SEL_UDATA, "cpl3: ds");
	/* mov rax, [0x1000]: the GDT page has no U bit: #PF, P|U, read. */
	static const uint8_t sup[] = { 0x48, 0x8b, 0x04, 0x25, 0x00, 0x10, 0x00, 0x00, 0xf4 };
	memcpy(c.code, sup, sizeof(sup));
	c.code_len = sizeof(sup);
	snprintf(c.id, sizeof(c.id), "cpl3-supervisor-read");
	CHECK(uc_ex.ops->run(&uc_ex, &c, &out) == 0, "cpl3-supervisor-read runs");
	t = out.n_events ? &out.events[out.n_events - 1] : NULL;
	CHECK(t && t->kind == EXIT_EXCEPTION && t->addr == 14, "cpl3: a supervisor page read is #PF (got %s %llu, rax 0x%llx)",
	      t ? exit_kind_name((enum exit_kind)t->kind) : "-", t ? (unsigned long long)t->addr : 0ull,
	      (unsigned long long)out.state.gpr[RAX]);
	CHECK_EQ_U64(t ? t->error_code : 0, 5, "cpl3: #PF error code P|U (SDM Vol. 3A 4.7)");
	CHECK_EQ_U64(t ? t->cr2 : 0, 0x1000, "cpl3: CR2");
	/* The next CPL0 case is at CPL0 again. */
	case_init(&c);
	snprintf(c.id, sizeof(c.id), "cpl0-after");
	memcpy(c.code, hlt, sizeof(hlt));
	c.code_len = sizeof(hlt);
	CHECK(uc_ex.ops->run(&uc_ex, &c, &out) == 0, "cpl0-after runs");
	t = out.n_events ? &out.events[out.n_events - 1] : NULL;
	CHECK(t && t->kind == EXIT_HLT && out.state.cs == SEL_CODE64, "cpl0 again after a cpl3 case");
}


/* LOCK CMP [mem] aborts Unicorn 2.0.1 (tcg fatal error): the executor
 * must refuse it, not take the process down. */
static void lock_cmp(void)
{
	static const uint8_t forms[][5] = {
		{ 0xf0, 0x38, 0x03, 0xf4 }, { 0xf0, 0x39, 0x03, 0xf4 },
		{ 0xf0, 0x80, 0x3b, 0x01, 0xf4 }, { 0xf0, 0x83, 0x3b, 0x01, 0xf4 },
	};
	for (unsigned i = 0; i < 4; i++)
		for (unsigned m = 0; m < MODE_COUNT; m++) {
			struct test_case c;
			case_init(&c);
			c.mode = (uint8_t)m;
			c.gpr[RBX] = LAYOUT_DATA;
			snprintf(c.id, sizeof(c.id), "lock-cmp-%u-%u", i, m);
			memcpy(c.code, forms[i], 5);
			c.code_len = 5;
			CHECK(uc_ex.ops->run(&uc_ex, &c, &out) == 0 &&
			      !strcmp(out.mnemonic, "uc:lock-cmp"),
			      "%s: LOCK CMP form %u refused, process alive", mode_name((enum cpu_mode)m), i);
		}
}

/* CPUID answers from the environment's table in every mode: outside
 * 64-bit mode the hook writes EAX..EDX by their 32-bit names (a write to
 * RAX there was ignored, and EAX kept the leaf number). */
static void cpuid_every_mode(void)
{
	static const uint8_t cpuid_hlt[] = { 0x0f, 0xa2, 0xf4 };
	static const enum cpu_mode modes[] = { MODE_REAL16, MODE_PROT32, MODE_LONG64 };
	for (unsigned i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		struct test_case c;
		char id[48];
		snprintf(id, sizeof(id), "cpuid-%s", mode_name(modes[i]));
		const struct exit_event *t = run(modes[i], id, cpuid_hlt, sizeof(cpuid_hlt), &c);
		CHECK(t && t->kind == EXIT_HLT && out.state.gpr[RAX] == 0xd &&
		      out.state.gpr[RBX] == 0x68747541 && out.state.gpr[RCX] == 0x444d4163 &&
		      out.state.gpr[RDX] == 0x69746e65,
		      "%s: CPUID leaf 0 answers from the table (eax 0x%llx ebx 0x%llx)", id,
		      (unsigned long long)out.state.gpr[RAX], (unsigned long long)out.state.gpr[RBX]);
	}
}

int main(void)
{
	static struct cpuid_table table = {
		.n = 1, .e = { { 0, 0, 0xd, 0x68747541, 0x444d4163, 0x69746e65 } },
	};
	uc_ex.ops = &unicorn_executor_ops;
	uc_ex.cpuid = &table;
	if (uc_ex.ops->init(&uc_ex, uc_ex.err, sizeof(uc_ex.err)) < 0) {
		printf("FAILED: unicorn init: %s\n", uc_ex.err);
		return 1;
	}
	prot32(MODE_PROT32, "prot32");
	prot32_unpaged_extra();
	prot32(MODE_PROT32PG, "prot32pg");
	prot32_paged_extra();
	real16();
	long64_cpl3();
	cpuid_every_mode();
	struct test_case c;
	lock_cmp();
	/* compat32 is refused, named, whatever the code: no engine here
	 * models CS.L=0 under long mode. */
	static const uint8_t inc_eax[] = { 0x40, 0xf4 };
	const struct exit_event *r = run(MODE_COMPAT32, "compat32", inc_eax, sizeof(inc_eax), &c);
	CHECK(r && r->kind == EXIT_UNSUPPORTED && !strcmp(out.mnemonic, "uc:mode compat32"),
	      "compat32 ends unsupported as uc:mode compat32 (got %s)", out.mnemonic);
	/* prot32-pae too: the 32-bit engine knows 32-bit paging only. */
	r = run(MODE_PROT32PAE, "prot32-pae", inc_eax, sizeof(inc_eax), &c);
	CHECK(r && r->kind == EXIT_UNSUPPORTED && !strcmp(out.mnemonic, "uc:mode prot32-pae"),
	      "prot32-pae ends unsupported as uc:mode prot32-pae (got %s)", out.mnemonic);
	/* v86 too: no VM flag, TSS or v86 delivery in the 16-bit engine. */
	r = run(MODE_V86, "v86", inc_eax, sizeof(inc_eax), &c);
	CHECK(r && r->kind == EXIT_UNSUPPORTED && !strcmp(out.mnemonic, "uc:mode v86"),
	      "v86 ends unsupported as uc:mode v86 (got %s)", out.mnemonic);
	/* Long mode still works after the other engines came up. */
	static const uint8_t hlt64[] = { 0x48, 0xff, 0xc0, 0xf4 }; /* inc rax; hlt */
	const struct exit_event *t = run(MODE_LONG64, "long64-after", hlt64, sizeof(hlt64), &c);
	CHECK(t && t->kind == EXIT_HLT && out.state.gpr[RAX] == 1, "long64 after the others");
	uc_ex.ops->fini(&uc_ex);
	return check_done("test_uc_modes");
}
#else
int main(void)
{
	printf("SKIPPED: built without Unicorn\n");
	return 77;
}
#endif
