/* XMM registers in KVM's end state: read after a case whose bytes hold an
 * SSE opcode (kvm_scan_code), zero otherwise, and zero again at the start
 * of the next case. The regression: after KVM_SET_XSAVE put the SSE state
 * back in its init state, KVM_GET_FPU still reported the XMM values of the
 * earlier case (kvm_pvm), so the reset now writes explicit zeros and the
 * read goes through KVM_GET_XSAVE, honouring XSTATE_BV. */
#include <string.h>
#include "check.h"
#include "executor.h"
#include "layout.h"

static struct executor ex;
static struct test_case tc;
static struct outcome out;

static void run(const char *id, uint32_t knobs, const uint8_t *code, unsigned n)
{
	case_init(&tc);
	snprintf(tc.id, sizeof(tc.id), "%s", id);
	tc.knobs = knobs;
	tc.gpr[RBX] = LAYOUT_DATA;
	tc.data_len = 16;
	for (unsigned i = 0; i < 16; i++)
		tc.data[i] = (uint8_t)(0xa0 + i);
	memcpy(tc.code, code, n);
	tc.code_len = n;
	int rc = ex.ops->run(&ex, &tc, &out);
	CHECK(rc == 0, "%s: ran (%s)", id, rc ? ex.err : "ok");
}

static int xmm_zero(void)
{
	for (int i = 0; i < 16; i++)
		if (out.state.xmm[i][0] || out.state.xmm[i][1])
			return 0;
	return 1;
}

int main(void)
{
	SKIP_WITHOUT_KVM();
	memset(&ex, 0, sizeof(ex));
	ex.ops = &kvm_executor_ops;
	int rc = ex.ops->init(&ex, ex.err, sizeof(ex.err));
	CHECK(rc == 0, "init (%s)", rc ? ex.err : "ok");
	if (rc)
		return check_done("test_kvm_xmm");

	static const uint8_t load[] = { 0x0f, 0x28, 0x03, 0x44, 0x0f, 0x28, 0x3b, 0xf4 };
	run("movaps xmm0 and xmm15, [rbx]", 0, load, sizeof(load));
	CHECK_EQ_U64(out.state.xmm[0][0], 0xa7a6a5a4a3a2a1a0ull, "xmm0 low");
	CHECK_EQ_U64(out.state.xmm[0][1], 0xafaeadacabaaa9a8ull, "xmm0 high");
	CHECK_EQ_U64(out.state.xmm[15][1], 0xafaeadacabaaa9a8ull, "xmm15 high");

	/* jmp over a C5 byte: the scan reads XMM, nothing wrote them. */
	static const uint8_t skip[] = { 0xeb, 0x01, 0xc5, 0xf4 };
	run("no SSE after an SSE case", 0, skip, sizeof(skip));
	CHECK(xmm_zero(), "XMM read back as zero after the reset");
	static const uint8_t plain[] = { 0x90, 0xf4 };
	run("movaps again, then a case without SSE bytes", 0, load, sizeof(load));
	run("no SSE bytes: not read", 0, plain, sizeof(plain));
	CHECK(xmm_zero(), "XMM zero without a read");

	/* The same after a case that ran on the CPU (CPL3). */
	run("movaps at CPL3", KNOB_CPL3, load, sizeof(load));
	CHECK_EQ_U64(out.state.xmm[0][0], 0xa7a6a5a4a3a2a1a0ull, "CPL3: xmm0 low");
	static const uint8_t store[] = { 0x0f, 0x29, 0x43, 0x10, 0xf4 }; /* movaps [rbx+0x10], xmm0 */
	run("store xmm0 after the CPL3 case", 0, store, sizeof(store));
	uint64_t stored;
	memcpy(&stored, out.mem + (LAYOUT_DATA + 0x10 - LAYOUT_CMP_BASE), 8);
	CHECK_EQ_U64(stored, 0, "the guest stored a zero xmm0");
	CHECK(xmm_zero(), "and the end state says zero");

	ex.ops->fini(&ex);
	return check_done("test_kvm_xmm");
}
