/* Bringing a VM up and down: the steps every user of /dev/kvm takes, each
 * failure one line that names the ioctl (kvm_ioctl). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include "kvm_lib.h"

/* KVM_GET_SUPPORTED_CPUID answers E2BIG until the table is big enough;
 * no KVM has come near this many entries. */
#define KVM_CPUID_MAX_ENTRIES 4096

int kvm_vm_create(struct kvm_vm *vm, char *err, size_t errlen)
{
	vm->sys_fd = vm->vm_fd = -1;
	const char *dev = host_kvm_device();
	snprintf(vm->device, sizeof(vm->device), "%s", dev);
	vm->sys_fd = open(dev, O_RDWR | O_CLOEXEC);
	if (vm->sys_fd < 0) {
		snprintf(err, errlen, "cannot open %s: %s (is KVM available?)", dev, strerror(errno));
		return -1;
	}
	int api = kvm_ioctl(vm->sys_fd, KVM_GET_API_VERSION, NULL, err, errlen);
	if (api != KVM_API_VERSION) {
		if (api >= 0)
			snprintf(err, errlen, "%s: KVM API version %d, wanted %d", dev, api,
				 KVM_API_VERSION);
		return -1;
	}
	/* A signal (the watchdog of another VM on this thread) may interrupt it. */
	do
		vm->vm_fd = kvm_ioctl_what(vm->sys_fd, KVM_CREATE_VM, NULL, err, errlen, "on %s", dev);
	while (vm->vm_fd < 0 && errno == EINTR);
	return vm->vm_fd < 0 ? -1 : 0;
}

void kvm_vm_destroy(struct kvm_vm *vm)
{
	if (vm->vm_fd >= 0)
		close(vm->vm_fd);
	if (vm->sys_fd >= 0)
		close(vm->sys_fd);
	vm->vm_fd = vm->sys_fd = -1;
}

int kvm_vm_cap(const struct kvm_vm *vm, long cap)
{
	return kvm_ioctl(vm->vm_fd, KVM_CHECK_EXTENSION, (void *)cap, NULL, 0);
}

int kvm_memslot_set(struct kvm_vm *vm, uint32_t slot, uint64_t gpa, void *host,
		    uint64_t size, uint32_t flags, char *err, size_t errlen)
{
	struct kvm_userspace_memory_region r = {
		.slot = slot, .flags = flags, .guest_phys_addr = gpa,
		.memory_size = size, .userspace_addr = (uintptr_t)host,
	};
	return kvm_ioctl_what(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &r, err, errlen,
			      "slot %u [0x%llx, +0x%llx)", slot, (unsigned long long)gpa,
			      (unsigned long long)size) < 0 ? -1 : 0;
}

int kvm_vcpu_create(struct kvm_vm *vm, struct kvm_vcpu *vcpu, char *err, size_t errlen)
{
	vcpu->run = NULL;
	vcpu->fd = kvm_ioctl(vm->vm_fd, KVM_CREATE_VCPU, NULL, err, errlen);
	if (vcpu->fd < 0)
		return -1;
	int sz = kvm_ioctl(vm->sys_fd, KVM_GET_VCPU_MMAP_SIZE, NULL, err, errlen);
	if (sz < 0)
		return -1;
	if (sz < (int)sizeof(struct kvm_run)) {
		snprintf(err, errlen, "KVM_GET_VCPU_MMAP_SIZE: %d bytes, smaller than struct kvm_run",
			 sz);
		return -1;
	}
	void *p = mmap(NULL, (size_t)sz, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu->fd, 0);
	if (p == MAP_FAILED) {
		snprintf(err, errlen, "mmap of the vCPU run area: %s", strerror(errno));
		return -1;
	}
	vcpu->run = p;
	vcpu->run_size = (size_t)sz;
	return 0;
}

void kvm_vcpu_destroy(struct kvm_vcpu *vcpu)
{
	if (vcpu->run)
		munmap(vcpu->run, vcpu->run_size);
	vcpu->run = NULL;
	if (vcpu->fd >= 0)
		close(vcpu->fd);
	vcpu->fd = -1;
}

struct kvm_cpuid2 *kvm_cpuid_supported(struct kvm_vm *vm, char *err, size_t errlen)
{
	for (unsigned n = 256;; n *= 2) {
		struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + n * sizeof(c->entries[0]));
		if (!c) {
			snprintf(err, errlen, "out of memory for %u CPUID entries", n);
			return NULL;
		}
		c->nent = n;
		if (kvm_ioctl(vm->sys_fd, KVM_GET_SUPPORTED_CPUID, c, err, errlen) == 0)
			return c;
		int e = errno;
		free(c);
		if (e != E2BIG || n >= KVM_CPUID_MAX_ENTRIES)
			return NULL;
	}
}

int kvm_vcpu_set_cpuid(struct kvm_vcpu *vcpu, struct kvm_cpuid2 *cpuid, char *err, size_t errlen)
{
	return kvm_ioctl_what(vcpu->fd, KVM_SET_CPUID2, cpuid, err, errlen, "%u entries",
			      cpuid->nent) < 0 ? -1 : 0;
}

void kvm_flat_segment(struct kvm_segment *s, uint16_t sel, uint8_t type,
			 uint8_t db, uint8_t l)
{
	memset(s, 0, sizeof(*s));
	s->base = 0;
	s->limit = 0xffffffffu;
	s->selector = sel;
	s->type = type;
	s->present = 1;
	s->dpl = 0;
	s->db = db;
	s->s = 1;
	s->l = l;
	s->g = 1;
}

uint64_t kvm_now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}
