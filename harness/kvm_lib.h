/*
 * The one way exitdiff talks to /dev/kvm: device, VM, memslots, a vCPU
 * with its run area, CPUID, the clock, and an ioctl wrapper whose error
 * names the ioctl. The KVM executor (kvm_internal.h) and the TMK runner
 * (tmk/tmk_kvm.c) bring their VMs up through it, so a fix to bring-up
 * (an E2BIG retry, a missing check) is made once. Nothing here knows about
 * cases or outcomes. See docs/harness.md, "The KVM library".
 *
 *   kvm_lib.c       device, VM, memslots, vCPU, CPUID, clock
 *   kvm_ioctl.h/.c  checked ioctl, ioctl names (kvm_ioctls.def)
 */
#ifndef EXITDIFF_KVM_LIB_H
#define EXITDIFF_KVM_LIB_H

#include <stddef.h>
#include <stdint.h>
#include <linux/kvm.h>
#include "host.h"   /* host_kvm_device, KVM_DEVICE_ENV */
#include "kvm_ioctl.h"

/* A VM: the device it was made on and the VM itself. -1 when closed. */
struct kvm_vm {
	int sys_fd, vm_fd;
	char device[128];
};

/* One vCPU and the kvm_run area KVM shares with us through mmap. */
struct kvm_vcpu {
	int fd;
	struct kvm_run *run;
	size_t run_size;
};

/* Opens the device ($EXITDIFF_KVM_DEVICE or /dev/kvm), checks the API
 * version and creates a VM. On failure vm is left closable and err says
 * why in one line: "cannot open /x: No such file or directory (is KVM
 * available?)". Returns 0 or -1. */
int kvm_vm_create(struct kvm_vm *vm, char *err, size_t errlen);
/* Closes what kvm_vm_create opened; safe on a half-made or closed VM. */
void kvm_vm_destroy(struct kvm_vm *vm);
/* KVM_CHECK_EXTENSION on the VM: the capability's value, <= 0 when absent. */
int kvm_vm_cap(const struct kvm_vm *vm, long cap);
/* Maps host memory at guest physical gpa as memslot slot. */
int kvm_memslot_set(struct kvm_vm *vm, uint32_t slot, uint64_t gpa, void *host,
		    uint64_t size, uint32_t flags, char *err, size_t errlen);

/* Creates vCPU 0 and maps its run area. On failure vcpu is closable. */
int kvm_vcpu_create(struct kvm_vm *vm, struct kvm_vcpu *vcpu, char *err, size_t errlen);
void kvm_vcpu_destroy(struct kvm_vcpu *vcpu);

/* Everything KVM can offer the guest (KVM_GET_SUPPORTED_CPUID, grown on
 * E2BIG). Returns a calloc'd table the caller frees, or NULL (err). */
struct kvm_cpuid2 *kvm_cpuid_supported(struct kvm_vm *vm, char *err, size_t errlen);
/* KVM_SET_CPUID2 on the vCPU. */
int kvm_vcpu_set_cpuid(struct kvm_vcpu *vcpu, struct kvm_cpuid2 *cpuid, char *err, size_t errlen);

/* A flat 4 GiB segment with the accessed bit preset, as the layout's GDT
 * holds it (db: default size 32, l: 64-bit code). */
void kvm_flat_segment(struct kvm_segment *s, uint16_t sel, uint8_t type,
		      uint8_t db, uint8_t l);

/* CLOCK_MONOTONIC in microseconds: every deadline of a run loop. */
uint64_t kvm_now_us(void);

#endif
