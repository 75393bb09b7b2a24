/* The host a verdict comes from: kernel, KVM backend module, CPU vendor,
 * family/model/stepping and microcode. Outcomes depend on all of them
 * (KVM's code, the CPU that runs CPL3 guest code natively), so recorded
 * expectations and known divergences say which host they hold on. Read
 * without KVM: sysfs, /proc/cpuinfo and the CPUID instruction. */
#ifndef EXITDIFF_HOST_H
#define EXITDIFF_HOST_H

#include <stddef.h>
#include "vendor.h"

struct host_info {
	char kernel[64];
	char backend[32];     /* kvm_pvm, kvm_intel, kvm_amd, "unknown", or
			       * "none" when there is no KVM device */
	enum cpu_vendor vendor;
	unsigned family, model, stepping;   /* CPUID leaf 1, display form */
	char microcode[24];   /* /proc/cpuinfo's revision, "" when unreadable */
};

/* This host, probed once per process. */
const struct host_info *host_info(void);

/* The KVM device: $EXITDIFF_KVM_DEVICE (tests point it at a missing
 * file to check the error path), else /dev/kvm. */
#define KVM_DEVICE_ENV     "EXITDIFF_KVM_DEVICE"
#define KVM_DEVICE_DEFAULT "/dev/kvm"
const char *host_kvm_device(void);

/* Where a verdict was produced: the host, the CPUID table the guest read
 * (a hash of it: two hosts with one hash answer CPUID alike) and the KVM
 * module parameters that change behaviour. Recorded with outcomes. */
struct environment_info {
	char kernel[64];
	char backend[32];
	char vendor[8];
	char cpu[24];          /* "family.model.stepping", decimal */
	char microcode[24];
	char cpuid_hash[20];   /* "" until the CPUID table is calibrated */
	char params[384];
};

/* Fills the host part of env (kernel .. microcode); the rest is left. */
void environment_from_host(struct environment_info *env);
/* Appends " name=value" to buf (cap bytes) only when the whole pair fits,
 * so a cut line never ends in half a pair. */
void environment_append_pair(char *buf, size_t cap, const char *name, const char *val);
/* The one-line form recorded in expectations and printed by `exitdiff env`:
 * "kernel=.. backend=.. vendor=.. cpu=.. microcode=.. cpuid=.. params=..",
 * cut at whole pairs to fit len. */
void environment_format(const struct environment_info *env, char *buf, size_t len);

#endif
