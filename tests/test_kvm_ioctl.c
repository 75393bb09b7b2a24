/* The KVM library (harness/kvm_lib.h): a failed ioctl's error names the
 * ioctl (from the one table, not a string typed at the call) and keeps
 * errno; a failed bring-up says what failed in one line. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "check.h"
#include "kvm_lib.h"

static void test_names_without_kvm(void)
{
	char err[200] = "";
	struct kvm_sregs sr;
	errno = 0;
	int rc = kvm_ioctl(-1, KVM_SET_SREGS, &sr, err, sizeof(err));
	int e = errno;
	CHECK(rc == -1, "a bad fd fails (rc %d)", rc);
	CHECK(e == EBADF, "errno is kept for the caller (wanted EBADF, got %d)", e);
	CHECK(!strcmp(err, "KVM_SET_SREGS: Bad file descriptor"),
	      "the error names the ioctl: \"%s\"", err);

	rc = kvm_ioctl_what(-1, KVM_SET_USER_MEMORY_REGION, NULL, err, sizeof(err), "slot %u", 3u);
	CHECK(rc == -1 && !strcmp(err, "KVM_SET_USER_MEMORY_REGION (slot 3): Bad file descriptor"),
	      "what was asked stands after the name: \"%s\"", err);

	rc = kvm_ioctl(-1, 0x1234ul, NULL, err, sizeof(err));
	CHECK(rc == -1 && !strcmp(err, "ioctl 0x1234: Bad file descriptor"),
	      "an ioctl outside the table is named by number: \"%s\"", err);

	static const struct { unsigned long req; const char *name; } some[] = {
		{ KVM_RUN, "KVM_RUN" }, { KVM_GET_XSAVE2, "KVM_GET_XSAVE2" },
		{ KVM_SET_GUEST_DEBUG, "KVM_SET_GUEST_DEBUG" }, { KVM_NMI, "KVM_NMI" },
		{ KVM_CREATE_VM, "KVM_CREATE_VM" },
	};
	for (size_t i = 0; i < sizeof(some) / sizeof(some[0]); i++) {
		const char *n = kvm_ioctl_name(some[i].req);
		CHECK(n && !strcmp(n, some[i].name), "kvm_ioctl_name(%s) = %s", some[i].name,
		      n ? n : "NULL");
	}

	strcpy(err, "untouched");
	rc = kvm_ioctl(-1, KVM_RUN, NULL, NULL, 0);
	CHECK(rc == -1 && !strcmp(err, "untouched"), "without an err buffer nothing is written");
}

static void test_missing_device(void)
{
	char err[200];
	struct kvm_vm vm;
	setenv(KVM_DEVICE_ENV, "/nonexistent/kvm", 1);
	int rc = kvm_vm_create(&vm, err, sizeof(err));
	unsetenv(KVM_DEVICE_ENV);
	CHECK(rc == -1, "a missing device fails");
	CHECK(!strcmp(err, "cannot open /nonexistent/kvm: No such file or directory (is KVM available?)"),
	      "one line naming the device: \"%s\"", err);
	CHECK(vm.sys_fd == -1 && vm.vm_fd == -1, "nothing left open");
	kvm_vm_destroy(&vm);
}

static void test_on_kvm(void)
{
	char err[200] = "";
	struct kvm_vm vm;
	struct kvm_vcpu vcpu = { .fd = -1 };
	CHECK(kvm_vm_create(&vm, err, sizeof(err)) == 0, "a VM comes up (%s)", err);
	/* KVM wants page-sized slots: a refusal, named with the slot. */
	static uint8_t page[8192] __attribute__((aligned(4096)));
	int rc = kvm_memslot_set(&vm, 0, 0, page, 0x123, 0, err, sizeof(err));
	CHECK(rc == -1 && !strcmp(err, "KVM_SET_USER_MEMORY_REGION (slot 0 [0x0, +0x123)): Invalid argument"),
	      "a refused memslot names the ioctl and the slot: \"%s\"", err);
	CHECK(kvm_memslot_set(&vm, 0, 0, page, sizeof(page), 0, err, sizeof(err)) == 0,
	      "a page-sized memslot is taken");
	CHECK(kvm_vcpu_create(&vm, &vcpu, err, sizeof(err)) == 0 && vcpu.run,
	      "a vCPU with its run area (%s)", err);
	rc = kvm_vcpu_create(&vm, &(struct kvm_vcpu){ .fd = -1 }, err, sizeof(err));
	CHECK(rc == -1 && !strcmp(err, "KVM_CREATE_VCPU: File exists"),
	      "a second vCPU 0 is refused by name: \"%s\"", err);
	struct kvm_cpuid2 *c = kvm_cpuid_supported(&vm, err, sizeof(err));
	CHECK(c && c->nent > 0 && c->nent < 4096, "supported CPUID: %u entries", c ? c->nent : 0);
	CHECK(c && kvm_vcpu_set_cpuid(&vcpu, c, err, sizeof(err)) == 0, "the vCPU takes it (%s)", err);
	free(c);
	uint64_t t0 = kvm_now_us(), t1 = kvm_now_us();
	CHECK(t0 > 0 && t1 >= t0, "the clock runs forward (%llu, %llu)", (unsigned long long)t0,
	      (unsigned long long)t1);
	kvm_vcpu_destroy(&vcpu);
	kvm_vm_destroy(&vm);
	CHECK(vcpu.fd == -1 && vcpu.run == NULL && vm.vm_fd == -1 && vm.sys_fd == -1,
	      "everything closed");
}

int main(void)
{
	test_names_without_kvm();
	test_missing_device();
	FILE *f = fopen(KVM_DEVICE_DEFAULT, "r+");
	if (f) {
		fclose(f);
		test_on_kvm();
	} else {
		printf("note: %s absent: the checks on a real VM did not run\n", KVM_DEVICE_DEFAULT);
	}
	return check_done("test_kvm_ioctl");
}
