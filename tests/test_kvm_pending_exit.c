/* A case stopped in the middle of an instruction of many exits leaves
 * nothing for the next case to finish. REP INSB into memory that is MMIO
 * (prot32 without paging, below the writable part: a read-only memslot)
 * fills the 64-event trace; KVM holds the rest of the port data to write
 * back 8 bytes an MMIO exit, and each KVM_RUN completes one of them. The
 * next case, a long64 `mov eax, 42; hlt`, must show its HLT alone: before
 * the flush ran to the end, it began with the old case's MMIO writes (a
 * campaign filed four such cases as `.../timeout` divergences). When the
 * flush bound runs out first, the VM is rebuilt before the next case. */
#include <string.h>
#include "check.h"
#include "executor.h"
#include "kvm_internal.h"
#include "outcome_check.h"

static struct executor ex;
static struct test_case tc;
static struct outcome out;

/* rep insb (port DX) at EDI = 0x200, ECX = count, in prot32. */
static void stop_inside_rep_ins(uint64_t count)
{
	oc_start(&tc, MODE_PROT32, 0);
	tc.gpr[RDI] = 0x200;
	tc.gpr[RCX] = count;
	tc.gpr[RDX] = 0x80;
	oc_run_code(&ex, &tc, &out, "rep insb into MMIO", B(0xf3, 0x6c, 0xf4));
	CHECK(out.n_events == TRACE_MAX && oc_term(&out)->kind == EXIT_TIMEOUT,
	      "rep insb x%llu: stopped by the full trace (%u events, %s)", (unsigned long long)count,
	      out.n_events, exit_kind_name((enum exit_kind)oc_term(&out)->kind));
}

static void next_case_alone(const char *after)
{
	oc_start(&tc, MODE_LONG64, 0);
	/* Not 0: a REP going on with this case's registers would stop at
	 * once with RCX = 0 and show nothing. */
	tc.gpr[RCX] = 1;
	oc_run_code(&ex, &tc, &out, "mov eax, 42; hlt", B(0xb8, 0x2a, 0, 0, 0, 0xf4));
	oc_print_trace(&out);
	CHECK(out.n_events == 1 && oc_term(&out)->kind == EXIT_HLT && out.state.gpr[RAX] == 42,
	      "after %s: the next case's trace is its HLT alone (%u events, first %s), rax %llu",
	      after, out.n_events, exit_kind_name((enum exit_kind)out.events[0].kind),
	      (unsigned long long)out.state.gpr[RAX]);
}

int main(void)
{
	SKIP_WITHOUT_KVM();
	memset(&ex, 0, sizeof(ex));
	ex.ops = &kvm_executor_ops;
	if (ex.ops->init(&ex, ex.err, sizeof(ex.err)) < 0) {
		printf("FAILED: KVM executor init: %s\n", ex.err);
		return 1;
	}
	struct kvm_ctx *k = ex.priv; /* struct kvm_priv starts with it */

	uint64_t flushes = k->io_flushes, rebuilds = k->vm_rebuilds;
	stop_inside_rep_ins(2000);
	CHECK(k->io_flushes - flushes > 1 && !k->flush_left,
	      "flushed to the end: %llu KVM_RUNs with immediate_exit",
	      (unsigned long long)(k->io_flushes - flushes));
	next_case_alone("a stop inside rep insb of 2000");
	CHECK_EQ_U64(k->vm_rebuilds - rebuilds, 0, "no VM rebuild for it");

	/* A count of 2^28 still leaves one page pending: KVM goes on to the
	 * next only when the guest runs again. */
	flushes = k->io_flushes;
	stop_inside_rep_ins(0x10000000);
	CHECK(k->io_flushes - flushes <= KVM_FLUSH_MAX && !k->flush_left,
	      "rep insb x2^28: flushed within the bound (%llu KVM_RUNs)",
	      (unsigned long long)(k->io_flushes - flushes));
	next_case_alone("a stop inside rep insb of 2^28");
	CHECK_EQ_U64(k->vm_rebuilds - rebuilds, 0, "no VM rebuild for it");

	/* A bound too small for what is pending: the VM is rebuilt before
	 * the next case, which is no recovery from a failure. */
	k->flush_max = 8;
	stop_inside_rep_ins(2000);
	CHECK(k->flush_left, "8 flushes left an exit pending");
	next_case_alone("a flush cut short");
	CHECK_EQ_U64(k->vm_rebuilds - rebuilds, 1, "the VM was rebuilt before the next case");
	CHECK(!k->flush_left && ex.recoveries == 0, "nothing pending after it, and no recovery counted");
	ex.ops->fini(&ex);
	return check_done("kvm_pending_exit");
}
