/* The KVM executor puts back the FPU, MSRs, XCR0 and debug registers after
 * a case whose bytes hold an opcode that could change them (a byte scan,
 * core/insn_state.c). When the reference ran the case to the same whole
 * outcome (pipeline_run, executor_ops.agreed), its list of the
 * instructions that ran decides instead: a D8 byte inside an immediate
 * costs no XSAVE restore; a real x87 or SSE instruction still does, and
 * the next case still starts from clean XMM registers. */
#include <string.h>
#include "check.h"
#include "kvm_internal.h"
#include "layout.h"
#include "pipeline.h"

static struct executor kvm, ref;
static struct pipeline pl;
static struct test_case tc;
static struct outcome oref, okvm;

static void set_case(const char *id, const uint8_t *code, unsigned n)
{
	case_init(&tc);
	snprintf(tc.id, sizeof(tc.id), "%s", id);
	tc.gpr[RBX] = LAYOUT_DATA;
	tc.data_len = 16;
	for (unsigned i = 0; i < 16; i++)
		tc.data[i] = (uint8_t)(0xa0 + i);
	memcpy(tc.code, code, n);
	tc.code_len = n;
}

static enum pl_verdict run_pipeline(const char *id, const uint8_t *code, unsigned n)
{
	struct pl_result r;
	set_case(id, code, n);
	enum pl_verdict v = pipeline_run(&pl, &tc, &oref, &okvm, &r);
	CHECK(v == PL_SAME || v == PL_UNSUPPORTED, "%s: ran through the pipeline (verdict %d%s%s)",
	      id, (int)v, r.err[0] ? ": " : "", r.err);
	return v;
}

int main(void)
{
	SKIP_WITHOUT_KVM();
	kvm.ops = &kvm_executor_ops;
	int rc = kvm.ops->init(&kvm, kvm.err, sizeof(kvm.err));
	CHECK(rc == 0, "KVM executor init (%s)", rc ? kvm.err : "ok");
	if (rc)
		return check_done("test_pipeline_agreed");
	ref.ops = &ref_executor_ops;
	ref.cpuid = kvm.cpuid;
	rc = ref.ops->init(&ref, ref.err, sizeof(ref.err));
	CHECK(rc == 0, "reference init (%s)", rc ? ref.err : "ok");
	CHECK(pipeline_open(&pl, &ref, &kvm, NULL) == 0, "pipeline open");
	struct kvm_ctx *k = kvm.priv;

	/* mov eax, 0xd8d8d8d8; hlt: x87 bytes, no x87 instruction. */
	static const uint8_t imm[] = { 0xb8, 0xd8, 0xd8, 0xd8, 0xd8, 0xf4 };
	set_case("x87 bytes in an immediate, KVM alone", imm, sizeof(imm));
	CHECK(kvm.ops->run(&kvm, &tc, &okvm) == 0, "KVM alone ran it");
	CHECK(k->need_restore & KVM_RESTORE_FPU,
	      "KVM alone: the byte scan asks for an XSAVE restore (need_restore 0x%x)",
	      k->need_restore);
	if (run_pipeline("x87 bytes in an immediate", imm, sizeof(imm)) == PL_SAME) {
		CHECK(oref.insn_state == INSN_STATE_KNOWN,
		      "the reference ran nothing that touches FPU, MSRs, XCR0 or DRs (0x%x)",
		      oref.insn_state);
		CHECK(!(k->need_restore & KVM_RESTORE_FPU),
		      "agreed with the reference: no XSAVE restore due (need_restore 0x%x)",
		      k->need_restore);
	}

	/* movaps xmm0, [rbx]; hlt: a real SSE instruction keeps its restore. */
	static const uint8_t sse[] = { 0x0f, 0x28, 0x03, 0xf4 };
	if (run_pipeline("movaps xmm0, [rbx]", sse, sizeof(sse)) == PL_SAME) {
		CHECK(oref.insn_state & INSN_STATE_FPU, "the reference says movaps touched SSE (0x%x)",
		      oref.insn_state);
		CHECK_EQ_U64(okvm.state.xmm[0][0], 0xa7a6a5a4a3a2a1a0ull, "KVM's xmm0 low after movaps");
	}
	CHECK(k->need_restore & KVM_RESTORE_FPU,
	      "after movaps the XSAVE restore is still due (need_restore 0x%x)", k->need_restore);
	/* jmp over an SSE opcode: XMM is read (the scan) and must be zero. */
	static const uint8_t skip[] = { 0xeb, 0x03, 0x0f, 0x28, 0x03, 0xf4 };
	run_pipeline("the next case, SSE bytes jumped over", skip, sizeof(skip));
	int zero = 1;
	for (int i = 0; i < 16; i++)
		zero &= !okvm.state.xmm[i][0] && !okvm.state.xmm[i][1];
	CHECK(zero, "the next case's XMM registers start at zero again");

	/* fld1; hlt: x87 that the reference may not model; unless it agrees
	 * whole, the scan's restore stands. */
	static const uint8_t x87[] = { 0xd9, 0xe8, 0xf4 };
	enum pl_verdict v = run_pipeline("fld1", x87, sizeof(x87));
	CHECK(k->need_restore & KVM_RESTORE_FPU,
	      "after fld1 (verdict %d) the XSAVE restore is still due (need_restore 0x%x)", (int)v,
	      k->need_restore);

	pipeline_close(&pl);
	ref.ops->fini(&ref);
	kvm.ops->fini(&kvm);
	return check_done("test_pipeline_agreed");
}
