/* KVM executor set-up: the missing-device error, environment info, the
 * ioctl fallback without sync regs, and one VM reused for many cases. */
#include <stdlib.h>
#include <string.h>
#include "check.h"
#include "executor.h"
#include "layout.h"
#include "kvm_internal.h"

static void test_missing_device(void)
{
	struct executor ex;
	memset(&ex, 0, sizeof(ex));
	ex.ops = &kvm_executor_ops;
	setenv(KVM_DEVICE_ENV, "/nonexistent", 1);
	int rc = ex.ops->init(&ex, ex.err, sizeof(ex.err));
	unsetenv(KVM_DEVICE_ENV);
	CHECK(rc == -1, "missing device: init fails (rc %d)", rc);
	CHECK(strstr(ex.err, "/nonexistent") != NULL, "missing device: message names the path: \"%s\"", ex.err);
	CHECK(strstr(ex.err, "No such file") != NULL, "missing device: message carries errno text");
	CHECK(strchr(ex.err, '\n') == NULL, "missing device: one line");
	CHECK(ex.priv == NULL, "missing device: nothing left allocated");
}

/* Runs a few cases whose outcome is known, on a fresh executor. */
static void run_smoke(struct executor *ex, const char *label)
{
	static struct test_case tc;
	static struct outcome out;
	char what[96];

	case_init(&tc);
	snprintf(tc.id, sizeof(tc.id), "%s-out", label);
	static const uint8_t code[] = { 0x48, 0x83, 0xc0, 0x05, /* add rax, 5 */
					0xe6, 0x10,             /* out 0x10, al */
					0xbb, 0x00, 0x20, 0x01, 0x00, /* mov ebx, 0x12000 */
					0x89, 0x03,             /* mov [rbx], eax */
					0xf4 };
	memcpy(tc.code, code, sizeof(code));
	tc.code_len = sizeof(code);
	for (int i = 0; i < 3; i++) {
		tc.gpr[RAX] = (uint64_t)i * 0x100;
		int rc = ex->ops->run(ex, &tc, &out);
		snprintf(what, sizeof(what), "%s: case %d runs", label, i);
		CHECK(rc == 0, "%s (%s)", what, rc ? ex->err : "ok");
		snprintf(what, sizeof(what), "%s: case %d io data", label, i);
		CHECK_EQ_U64(out.events[0].data, (uint64_t)((i * 0x100 + 5) & 0xff), what);
		snprintf(what, sizeof(what), "%s: case %d rax", label, i);
		CHECK_EQ_U64(out.state.gpr[RAX], i * 0x100 + 5, what);
		snprintf(what, sizeof(what), "%s: case %d hlt rip", label, i);
		CHECK_EQ_U64(out.events[1].rip, LAYOUT_CODE + sizeof(code), what);
		uint32_t m;
		memcpy(&m, out.mem + (LAYOUT_DATA - LAYOUT_CMP_BASE), 4);
		snprintf(what, sizeof(what), "%s: case %d memory write", label, i);
		CHECK_EQ_U64(m, i * 0x100 + 5, what);
	}

	case_init(&tc);
	snprintf(tc.id, sizeof(tc.id), "%s-pf", label);
	static const uint8_t pf[] = { 0x8b, 0x04, 0x25, 0x00, 0x00, 0x00, 0x00 }; /* mov eax, [0] */
	memcpy(tc.code, pf, sizeof(pf));
	tc.code_len = sizeof(pf);
	tc.gpr[RBX] = 77;
	int rc = ex->ops->run(ex, &tc, &out);
	const struct exit_event *e = outcome_terminal(&out);
	CHECK(rc == 0 && e && e->kind == EXIT_EXCEPTION && e->addr == 14 && e->error_code == 0,
	      "%s: null read gives #PF error 0 (got %s vector %llu)", label,
	      e ? exit_kind_name((enum exit_kind)e->kind) : "none", e ? (unsigned long long)e->addr : 0ull);
	snprintf(what, sizeof(what), "%s: rbx kept at the fault", label);
	CHECK_EQ_U64(out.state.gpr[RBX], 77, what);
}

int main(void)
{
	test_missing_device();
	SKIP_WITHOUT_KVM();

	struct executor ex;
	memset(&ex, 0, sizeof(ex));
	ex.ops = &kvm_executor_ops;
	int rc = ex.ops->init(&ex, ex.err, sizeof(ex.err));
	CHECK(rc == 0, "init (%s)", rc ? ex.err : "ok");
	if (rc)
		return check_done("test_kvm_init");
	struct kvm_ctx *k = ex.priv;
	printf("kernel=%s backend=%s\nparams=%s\n", ex.env.kernel, ex.env.backend, ex.env.params);
	printf("caps: readonly_mem=%d sync_regs=%d xcrs=%d debugregs=%d xsave=%d msrs=%u\n",
	       k->ro_slot, k->have_sync, k->have_xcrs, k->have_debugregs, k->have_xsave,
	       k->msrs0 ? k->msrs0->nmsrs : 0);
	CHECK(ex.env.kernel[0] != 0, "env: kernel release recorded (%s)", ex.env.kernel);
	CHECK(strcmp(ex.env.backend, "unknown") != 0, "env: backend module found (%s)", ex.env.backend);
	CHECK(strstr(ex.env.params, "ignore_msrs=") != NULL, "env: kvm.ignore_msrs recorded");
	CHECK(ex.cpuid != NULL && ex.cpuid->n > 2, "env: CPUID table allocated and filled");
	run_smoke(&ex, "sync");
	int vm_fd = k->vm.vm_fd;
	run_smoke(&ex, "sync-again");
	CHECK(k->vm.vm_fd == vm_fd, "one VM reused across cases (fd %d)", k->vm.vm_fd);
	ex.ops->fini(&ex);
	CHECK(ex.priv == NULL && ex.cpuid == NULL, "fini releases everything it allocated");

	/* Without sync regs the same cases go through the register ioctls. */
	setenv("EXITDIFF_KVM_NO_SYNC_REGS", "1", 1);
	memset(&ex, 0, sizeof(ex));
	ex.ops = &kvm_executor_ops;
	rc = ex.ops->init(&ex, ex.err, sizeof(ex.err));
	unsetenv("EXITDIFF_KVM_NO_SYNC_REGS");
	CHECK(rc == 0, "init without sync regs (%s)", rc ? ex.err : "ok");
	if (rc == 0) {
		k = ex.priv;
		CHECK(k->have_sync == 0, "fallback: sync regs off");
		run_smoke(&ex, "ioctl");
		ex.ops->fini(&ex);
	}
	return check_done("test_kvm_init");
}
