/* Exception delivery through the IDT outside 64-bit mode, at the ESP of
 * the moment of the fault.
 * Outside 64-bit mode the reference delivers an exception through the
 * IDT at once, pushing the frame at the current ESP; a handler that
 * changed ESP before the fault and restored it afterwards delivered the
 * frame at the wrong place and ended with a wrong ESP. */
#include <string.h>
#include "check.h"
#include "executor.h"

static struct executor ref;
static struct outcome out;

static const struct exit_event *run32(const char *what, const uint8_t *code, unsigned len)
{
	struct test_case c;
	case_init(&c);
	c.mode = MODE_PROT32;
	memcpy(c.code, code, len);
	c.code_len = len;
	snprintf(c.id, sizeof(c.id), "%s", what);
	if (ref.ops->run(&ref, &c, &out) < 0)
		return NULL;
	return outcome_terminal(&out);
}

int main(void)
{
	ref.ops = &ref_executor_ops;
	if (ref.ops->init(&ref, ref.err, sizeof(ref.err)) < 0) {
		printf("FAILED: init: %s\n", ref.err);
		return 1;
	}
	/* pop dword [cs:edi+9]: the store into the code segment is #GP(0)
	 * (SDM Vol. 3A 5.4.1); the fault leaves ESP as before the POP
	 * (Vol. 3A 6.5), so the frame holds EIP 0x10000 and error code 0. */
	static const uint8_t pop_cs[] = { 0x2e, 0x8f, 0x47, 0x09, 0xf4 };
	const struct exit_event *t = run32("pop-cs-dest", pop_cs, sizeof(pop_cs));
	CHECK(t && t->kind == EXIT_EXCEPTION, "pop to a CS destination: exception");
	CHECK_EQ_U64(t ? t->addr : ~0ull, 13, "vector #GP");
	CHECK_EQ_U64(t ? t->error_code : ~0u, 0, "error code 0 (not the EFLAGS image)");
	CHECK_EQ_U64(t ? t->rip : 0, 0x10000, "faulting EIP from the frame: the POP");
	CHECK_EQ_U64(out.state.cs, 0x28, "CS from the frame: the flat code selector");
	CHECK_EQ_U64(out.state.gpr[RSP], 0x16000, "ESP as before the POP");

	/* rdtsc leaves EAX/EDX unpredictable (masked); XLATB reads AL, an
	 * implicit read Capstone 4 does not list: the run must stop there,
	 * not turn the unpredictable AL into a compared MMIO address. */
	static const uint8_t rdtsc_xlatb[] = { 0x0f, 0x31, 0xd7, 0xf4 };
	t = run32("rdtsc-xlatb", rdtsc_xlatb, sizeof(rdtsc_xlatb));
	CHECK(t && t->kind == EXIT_UNSUPPORTED, "rdtsc then xlatb: unsupported");
	CHECK(!strcmp(out.mnemonic, "undef-gprs:xlatb"), "named undef-gprs:xlatb (got '%s')", out.mnemonic);
	/* rdtsc then aam: AAM divides AL (an implicit read too). */
	static const uint8_t rdtsc_aam[] = { 0x0f, 0x31, 0xd4, 0x0a, 0xf4 };
	t = run32("rdtsc-aam", rdtsc_aam, sizeof(rdtsc_aam));
	CHECK(!strcmp(out.mnemonic, "undef-gprs:aam"), "rdtsc then aam: named undef-gprs:aam (got '%s')", out.mnemonic);
	/* rdtsc, mov eax, 0 (EDX stays unpredictable), cmpxchg edx, ecx:
	 * CMPXCHG compares EAX with its destination EDX, which Capstone
	 * marks write-only. */
	static const uint8_t rdtsc_cmpxchg[] = { 0x0f, 0x31, 0xb8, 0, 0, 0, 0, 0x0f, 0xb1, 0xca, 0xf4 };
	t = run32("rdtsc-cmpxchg", rdtsc_cmpxchg, sizeof(rdtsc_cmpxchg));
	CHECK(!strcmp(out.mnemonic, "undef-gprs:cmpxchg"), "rdtsc, mov eax, then cmpxchg edx, ecx: named undef-gprs:cmpxchg (got '%s')", out.mnemonic);

	/* F2/F3 0F AE /7 is not CLFLUSH (NP 0F AE /7, SDM Vol. 2A): #UD, as
	 * measured natively at CPL3; the bare opcode runs to the HLT. */
	/* CPUID.01H:EDX.CLFSH[19], as the guest's table reports it. */
	static struct cpuid_table clfsh = { .n = 1, .e = { { .leaf = 1, .edx = 1u << 19 } } };
	ref.cpuid = &clfsh;
	static const uint8_t clflush[] = { 0x0f, 0xae, 0x38, 0xf4 };
	static const uint8_t f2_clflush[] = { 0xf2, 0x0f, 0xae, 0x38, 0xf4 };
	static const uint8_t f3_clflush[] = { 0xf3, 0x0f, 0xae, 0x38, 0xf4 };
	t = run32("clflush", clflush, sizeof(clflush));
	CHECK(t && t->kind == EXIT_HLT, "clflush [eax]: runs to HLT");
	t = run32("f2-clflush", f2_clflush, sizeof(f2_clflush));
	CHECK(t && t->kind == EXIT_EXCEPTION && t->addr == 6 && t->rip == 0x10000,
	      "f2 0f ae /7: #UD at 0x10000");
	t = run32("f3-clflush", f3_clflush, sizeof(f3_clflush));
	CHECK(t && t->kind == EXIT_EXCEPTION && t->addr == 6 && t->rip == 0x10000,
	      "f3 0f ae /7: #UD at 0x10000");
	ref.ops->fini(&ref);
	return check_done("test_ref_idt_delivery_esp");
}
