/* The native executor on hand-made CPL3 cases: the HLT that ends a case
 * (#GP(0) at CPL3, SDM Vol. 2A HLT), #DE, #UD, #GP on a non-canonical
 * access (SDM Vol. 3A 6.15), #SS on a non-canonical RSP, #PF with CR2 and
 * the error code (Vol. 3A 4.7) on unmapped, supervisor and no-execute
 * pages, #BP and #DB (INT3, INT1: traps, RIP after them), registers and
 * memory at the end, #AC reported as not comparable (the host's CR0.AM),
 * and the refusals: CPL0, knobs, other modes, instructions the host
 * answers from its own state. Wanted values come from the manuals and
 * layout.h. */
#include <string.h>
#include "knobs.h"
#include "native.h"
#include "outcome_check.h"

static struct executor ex = { .ops = &native_executor_ops };
static struct test_case tc;
static struct outcome o;

static void go(const char *name, const uint8_t *code, unsigned n)
{
	oc_run_code(&ex, &tc, &o, name, code, n);
}

static void start(void)
{
	oc_start(&tc, MODE_LONG64, KNOB_CPL3);
}

int main(void)
{
	if (ex.ops->init(&ex, ex.err, sizeof(ex.err)) < 0) {
		printf("FAILED: native init: %s\n", ex.err);
		return 1;
	}

	/* mov eax, 1; add rbx, rax; hlt -> #GP(0) at the HLT (privileged). */
	start();
	tc.gpr[RBX] = 0x41;
	tc.rflags = RFLAGS_FIXED1 | RFLAGS_CF;
	go("hlt-gp", B(0xb8, 1, 0, 0, 0, 0x48, 0x01, 0xc3, 0xf4));
	oc_want_exc(&o, 13, 1, 0, LAYOUT_CODE + 8);
	CHECK_EQ_U64(o.state.gpr[RAX], 1, "rax after mov");
	CHECK_EQ_U64(o.state.gpr[RBX], 0x42, "rbx after add");
	CHECK_EQ_U64(o.state.gpr[RSP], LAYOUT_STACK_TOP, "rsp untouched");
	CHECK_EQ_U64(o.state.rflags & 0x8d5, RFLAGS_PF, "status flags after 0x41+1: PF only (0x42 has two bits set; CF cleared by ADD)");
	CHECK_EQ_U64(o.state.cs, SEL_UCODE64, "cs reported as the environment's");
	CHECK_EQ_U64(o.state.cr0, LM_CR0, "cr0 reported as the environment's");

	/* Registers go in as the case says: every GPR and the status flags. */
	start();
	for (unsigned r = 0; r < GPR_COUNT; r++)
		if (r != RSP)
			tc.gpr[r] = 0x1111111111111111ull * (r + 1);
	tc.rflags = RFLAGS_FIXED1 | RFLAGS_STATUS | RFLAGS_DF;
	go("regs-in", B(0xf4));
	int all = 1;
	for (unsigned r = 0; r < GPR_COUNT; r++)
		if (r != RSP && o.state.gpr[r] != 0x1111111111111111ull * (r + 1))
			all = 0;
	CHECK(all, "every GPR reaches the case and comes back");
	CHECK_EQ_U64(o.state.rflags & (RFLAGS_STATUS | RFLAGS_DF), RFLAGS_STATUS | RFLAGS_DF,
		     "status flags and DF reach the case");

	/* xor ecx, ecx; div ecx -> #DE at the DIV. */
	start();
	go("de", B(0x31, 0xc9, 0xf7, 0xf1, 0xf4));
	oc_want_exc(&o, 0, 0, 0, LAYOUT_CODE + 2);

	/* ud2 -> #UD. */
	start();
	go("ud", B(0x90, 0x0f, 0x0b));
	oc_want_exc(&o, 6, 0, 0, LAYOUT_CODE + 1);

	/* movabs rax, 0x800000000000; mov rbx, [rax] -> #GP(0). */
	start();
	go("gp-noncanonical", B(0x48, 0xb8, 0, 0, 0, 0, 0, 0x80, 0, 0, 0x48, 0x8b, 0x18, 0xf4));
	oc_want_exc(&o, 13, 1, 0, LAYOUT_CODE + 10);

	/* RSP non-canonical; push rax -> #SS(0) (Vol. 3A 6.15 #SS). */
	start();
	tc.gpr[RSP] = 0x8000000000000000ull;
	go("ss-noncanonical", B(0x50, 0xf4));
	oc_want_exc(&o, 12, 1, 0, LAYOUT_CODE);

	/* mov rax, [0x11000] (unmapped, read): #PF, P=0 W=0 U=1 -> 0x4. */
	start();
	go("pf-read", B(0x48, 0x8b, 0x04, 0x25, 0x00, 0x10, 0x01, 0x00, 0xf4));
	oc_want_exc(&o, 14, 1, 0x4, LAYOUT_CODE);
	CHECK_EQ_U64(oc_term(&o)->cr2, 0x11000, "cr2 = the unmapped address");
	CHECK_EQ_U64(o.state.cr2, 0x11000, "state cr2");

	/* mov [0x16000], eax (unmapped, write): 0x6. */
	start();
	go("pf-write", B(0x89, 0x04, 0x25, 0x00, 0x60, 0x01, 0x00, 0xf4));
	oc_want_exc(&o, 14, 1, 0x6, LAYOUT_CODE);

	/* Read of the GDT page (present, supervisor): P=1 U=1 -> 0x5, as the
	 * guest's page tables give it. */
	start();
	go("pf-supervisor", B(0x8b, 0x04, 0x25, 0x00, 0x10, 0x00, 0x00, 0xf4));
	oc_want_exc(&o, 14, 1, 0x5, LAYOUT_CODE);
	CHECK_EQ_U64(oc_term(&o)->cr2, LAYOUT_GDT, "cr2 = the GDT");

	/* jmp to the data page (NX): #PF on the fetch, P=1 U=1 I=1 -> 0x15. */
	start();
	tc.gpr[RAX] = LAYOUT_DATA;
	go("pf-fetch-nx", B(0xff, 0xe0));
	oc_want_exc(&o, 14, 1, 0x15, LAYOUT_DATA);
	CHECK_EQ_U64(oc_term(&o)->cr2, LAYOUT_DATA, "cr2 = the fetch address");

	/* int3 -> #BP, a trap: RIP after it, no error code. */
	start();
	go("bp", B(0x90, 0xcc, 0xf4));
	oc_want_exc(&o, 3, 0, 0, LAYOUT_CODE + 2);

	/* icebp (INT1) -> #DB, a trap. */
	start();
	go("db-int1", B(0xf1, 0xf4));
	oc_want_exc(&o, 1, 0, 0, LAYOUT_CODE + 1);

	/* push rax; pop rbx; mov [0x12008], rbx; hlt: the stack and data
	 * pages come back. */
	start();
	tc.gpr[RAX] = 0x1122334455667788ull;
	go("memory", B(0x50, 0x5b, 0x48, 0x89, 0x1c, 0x25, 0x08, 0x20, 0x01, 0x00, 0xf4));
	oc_want_exc(&o, 13, 1, 0, LAYOUT_CODE + 10);
	CHECK_EQ_U64(oc_mem(&o, 0x12008, 8), 0x1122334455667788ull, "data page written");
	CHECK_EQ_U64(oc_mem(&o, LAYOUT_STACK_TOP - 8, 8), 0x1122334455667788ull, "stack slot written");

	/* push 0x40202 (AC); popfq; mov eax, [0x12001]: #AC on the host
	 * (CR0.AM=1), which the environment (CR0.AM=0) never raises: not
	 * comparable, and said so. (PUSHF itself is refused: IF.) */
	start();
	go("ac", B(0x68, 0x02, 0x02, 0x04, 0x00, 0x9d,
		   0x8b, 0x04, 0x25, 0x01, 0x20, 0x01, 0x00, 0xf4));
	CHECK_EQ_U64(oc_term(&o)->kind, EXIT_UNSUPPORTED, "#AC: not comparable");
	CHECK(strstr(o.mnemonic, "#AC") != NULL, "#AC: reason '%s'", o.mnemonic);
	CHECK_EQ_U64(oc_term(&o)->rip, LAYOUT_CODE + 6, "#AC: at the misaligned load");

	/* A CPL0 case, a knob and another mode are refused, with reasons. */
	oc_start(&tc, MODE_LONG64, 0);
	go("cpl0", B(0xf4));
	CHECK(oc_term(&o)->kind == EXIT_UNSUPPORTED && !strcmp(o.mnemonic, "native:cpl0"),
	      "CPL0 refused: '%s'", o.mnemonic);
	/* cr0.ts: refused for SSE and x87 code (#NM in the environment),
	 * run for integer code, which cannot tell. */
	oc_start(&tc, MODE_LONG64, KNOB_CPL3 | KNOB_CR0_TS);
	go("cr0.ts-sse", B(0x0f, 0x28, 0xc1, 0xf4));
	CHECK(!strcmp(o.mnemonic, "native:cr0.ts movaps"), "cr0.ts with MOVAPS refused: '%s'", o.mnemonic);
	oc_start(&tc, MODE_LONG64, KNOB_CPL3 | KNOB_CR0_EM);
	go("cr0.em-x87", B(0xd9, 0xe8, 0xf4));
	CHECK(!strcmp(o.mnemonic, "native:cr0.em fld1"), "cr0.em with FLD1 refused: '%s'", o.mnemonic);
	oc_start(&tc, MODE_LONG64, KNOB_CPL3 | KNOB_CR0_TS | KNOB_NO_SCE | KNOB_CR4_SMAP);
	go("cr0.ts-integer", B(0x48, 0xff, 0xc0, 0x0f, 0xae, 0xe8, 0xf4));
	oc_want_exc(&o, 13, 1, 0, LAYOUT_CODE + 6);
	CHECK_EQ_U64(o.state.cr0, LM_CR0 | 8, "cr0 reported with TS, as the environment has it");
	/* The scan follows branches: jmp +10 lands on DE E0 (FSUBRP) inside
	 * what a linear sweep reads as F6 DE .. (a campaign's case). */
	oc_start(&tc, MODE_LONG64, KNOB_CPL3 | KNOB_CR0_TS);
	go("cr0.ts-jump-into", B(0xe9, 0x0a, 0, 0, 0, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90,
				 0x90, 0xf6, 0xde, 0xe0, 0x00));
	CHECK(!strcmp(o.mnemonic, "native:cr0.ts fsubrp"), "x87 reached by a jump refused: '%s'", o.mnemonic);
	oc_start(&tc, MODE_LONG64, KNOB_CPL3 | KNOB_CR4_TSD);
	go("cr4.tsd-rdtsc", B(0x0f, 0x31, 0xf4));
	CHECK(!strcmp(o.mnemonic, "native:cr4.tsd rdtsc"), "cr4.tsd with RDTSC refused: '%s'", o.mnemonic);
	/* cr4.fsgsbase: the environment allows RDFSBASE as the host does,
	 * and its FS base is 0 there too, where the host kernel lets us set
	 * it; elsewhere the case is refused. */
	oc_start(&tc, MODE_LONG64, KNOB_CPL3 | KNOB_CR4_FSGSBASE);
	tc.gpr[RAX] = 0x1234;
	go("cr4.fsgsbase", B(0xf3, 0x48, 0x0f, 0xae, 0xc0, 0xf4));
	if (native_host_fsgsbase()) {
		oc_want_exc(&o, 13, 1, 0, LAYOUT_CODE + 5);
		CHECK_EQ_U64(o.state.gpr[RAX], 0, "RDFSBASE reads the guest's FS base 0");
	} else
		CHECK(!strcmp(o.mnemonic, "native:host rdfsbase"),
		      "no HWCAP2_FSGSBASE on this host: RDFSBASE refused: '%s'", o.mnemonic);
	/* mov rax, fs:[0x11000]: through the guest's base 0 (the #PF of
	 * pf-read above) where the base can be set, refused elsewhere. */
	start();
	go("fs-access", B(0x64, 0x48, 0x8b, 0x04, 0x25, 0x00, 0x10, 0x01, 0x00, 0xf4));
	if (native_host_fsgsbase()) {
		oc_want_exc(&o, 14, 1, 0x4, LAYOUT_CODE);
		CHECK_EQ_U64(oc_term(&o)->cr2, 0x11000, "cr2 = the address at FS base 0");
	} else
		CHECK(!strcmp(o.mnemonic, "native:no-fsgsbase mov"),
		      "no HWCAP2_FSGSBASE on this host: FS access refused: '%s'", o.mnemonic);
	/* The scan both ways, whatever this host has. */
	static const uint8_t rdfsbase[] = { 0xf3, 0x48, 0x0f, 0xae, 0xc0, 0xf4 };
	static const uint8_t fs_load[] = { 0x64, 0x48, 0x8b, 0x04, 0x25, 0x00, 0x10, 0x01, 0x00, 0xf4 };
	static const uint8_t gs_store[] = { 0x65, 0x89, 0x03, 0xf4 };
	static const uint8_t plain_load[] = { 0x48, 0x8b, 0x03, 0xf4 };
	char why[64];
	const uint32_t fsgs = KNOB_CPL3 | KNOB_CR4_FSGSBASE;
	CHECK(!native_scan_host_state(NULL, fsgs, 1, rdfsbase, sizeof(rdfsbase), why, sizeof(why)),
	      "scan, host sets bases: RDFSBASE under cr4.fsgsbase runs");
	CHECK(native_scan_host_state(NULL, fsgs, 0, rdfsbase, sizeof(rdfsbase), why, sizeof(why)) &&
		      !strcmp(why, "native:host rdfsbase"),
	      "scan, host cannot: RDFSBASE under cr4.fsgsbase refused: '%s'", why);
	CHECK(!native_scan_host_state(NULL, KNOB_CPL3, 1, fs_load, sizeof(fs_load), why, sizeof(why)),
	      "scan, host sets bases: an FS load runs");
	CHECK(native_scan_host_state(NULL, KNOB_CPL3, 0, fs_load, sizeof(fs_load), why, sizeof(why)) &&
		      !strcmp(why, "native:no-fsgsbase mov"),
	      "scan, host cannot: an FS load refused: '%s'", why);
	CHECK(native_scan_host_state(NULL, KNOB_CPL3, 0, gs_store, sizeof(gs_store), why, sizeof(why)) &&
		      !strcmp(why, "native:no-fsgsbase mov"),
	      "scan, host cannot: a GS store refused: '%s'", why);
	CHECK(!native_scan_host_state(NULL, KNOB_CPL3, 0, plain_load, sizeof(plain_load), why, sizeof(why)),
	      "scan, host cannot: a load without FS/GS still runs");
	oc_start(&tc, MODE_PROT32, 0);
	go("prot32", B(0xf4));
	CHECK(!strcmp(o.mnemonic, "native:mode prot32"), "mode refused: '%s'", o.mnemonic);

	start();
	go("host-lar", B(0x0f, 0x02, 0xc1, 0xf4));
	CHECK(!strcmp(o.mnemonic, "native:host lar"), "LAR refused (host GDT): '%s'", o.mnemonic);
	start();
	go("host-vex", B(0x90, 0xc5, 0xf8, 0x77, 0xf4));
	CHECK(!strcmp(o.mnemonic, "native:host vzeroupper"), "VEX refused (CR4.OSXSAVE): '%s'", o.mnemonic);
	/* jmp +2 over 0F 20 to C4 41 39 D3, which the page's HLT padding
	 * completes (VPSRLQ with ModRM F4): a campaign's case. */
	start();
	go("host-vex-padding", B(0xe9, 0x02, 0, 0, 0, 0x0f, 0x20, 0xc4, 0x41, 0x39, 0xd3));
	CHECK(!strcmp(o.mnemonic, "native:host vpsrlq"), "VEX completed by the HLT padding refused: '%s'", o.mnemonic);
	start();
	go("host-pushfq", B(0x9c, 0xf4));
	CHECK(!strcmp(o.mnemonic, "native:host pushfq"), "PUSHFQ refused (IF): '%s'", o.mnemonic);

	ex.ops->fini(&ex);
	return check_done("test_native_exceptions");
}
