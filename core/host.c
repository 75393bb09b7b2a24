#include <cpuid.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>
#include "host.h"

static const char *const kvm_backends[] = { "kvm_pvm", "kvm_intel", "kvm_amd" };

/* CPUID leaf 1's family and model as the manuals display them: the
 * extended fields count only for family 0Fh (and model for family 06h on
 * Intel) (SDM Vol. 2A CPUID, "Processor Version Information"; APM Vol. 3
 * CPUID Fn0000_0001_EAX). */
static void fms(struct host_info *h)
{
	unsigned a, b, c, d;
	if (!__get_cpuid(1, &a, &b, &c, &d))
		return;
	unsigned fam = (a >> 8) & 0xf, model = (a >> 4) & 0xf;
	if (fam == 0xf)
		fam += (a >> 20) & 0xff;
	if (fam == 0xf || fam >= 0x10 || (fam == 6 && h->vendor == VENDOR_INTEL))
		model |= ((a >> 16) & 0xf) << 4;
	h->family = fam;
	h->model = model;
	h->stepping = a & 0xf;
}

static void microcode(struct host_info *h)
{
	FILE *f = fopen("/proc/cpuinfo", "r");
	char line[256];
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		unsigned long long rev;
		if (sscanf(line, "microcode : %llx", &rev) == 1) {
			snprintf(h->microcode, sizeof(h->microcode), "0x%llx", rev);
			break;
		}
	}
	fclose(f);
}

/* The KVM module loaded (kvm_backends), "unknown" when none of them. */
static void kvm_module(char *name, size_t len)
{
	snprintf(name, len, "unknown");
	for (size_t i = 0; i < sizeof(kvm_backends) / sizeof(kvm_backends[0]); i++) {
		char path[64];
		snprintf(path, sizeof(path), "/sys/module/%s", kvm_backends[i]);
		if (access(path, F_OK) == 0) {
			snprintf(name, len, "%s", kvm_backends[i]);
			return;
		}
	}
}

const char *host_kvm_device(void)
{
	const char *dev = getenv(KVM_DEVICE_ENV);
	return dev && dev[0] ? dev : KVM_DEVICE_DEFAULT;
}

const struct host_info *host_info(void)
{
	static struct host_info h;
	static int probed;
	if (probed)
		return &h;
	probed = 1;
	struct utsname u;
	if (uname(&u) == 0)
		snprintf(h.kernel, sizeof(h.kernel), "%.63s", u.release);
	/* A module can be loaded and still serve no guests (kvm_pvm on a
	 * host that is itself a kvm_pvm guest does not bind): no device,
	 * no backend. */
	if (access(host_kvm_device(), F_OK) < 0)
		snprintf(h.backend, sizeof(h.backend), "none");
	else
		kvm_module(h.backend, sizeof(h.backend));
	h.vendor = vendor_of_host();
	fms(&h);
	microcode(&h);
	return &h;
}

void environment_from_host(struct environment_info *env)
{
	const struct host_info *h = host_info();
	snprintf(env->kernel, sizeof(env->kernel), "%.63s", h->kernel);
	snprintf(env->backend, sizeof(env->backend), "%.31s", h->backend);
	snprintf(env->vendor, sizeof(env->vendor), "%s", vendor_name(h->vendor));
	snprintf(env->cpu, sizeof(env->cpu), "%u.%u.%u", h->family, h->model, h->stepping);
	snprintf(env->microcode, sizeof(env->microcode), "%s", h->microcode[0] ? h->microcode : "-");
}

void environment_append_pair(char *buf, size_t cap, const char *name, const char *val)
{
	size_t used = strlen(buf);
	int need = snprintf(NULL, 0, "%s%s=%s", used ? " " : "", name, val);
	if (need < 0 || used + (size_t)need + 1 > cap)
		return;
	snprintf(buf + used, cap - used, "%s%s=%s", used ? " " : "", name, val);
}

void environment_format(const struct environment_info *env, char *buf, size_t len)
{
	if (!len)
		return;
	buf[0] = 0;
	environment_append_pair(buf, len, "kernel", env->kernel);
	environment_append_pair(buf, len, "backend", env->backend);
	environment_append_pair(buf, len, "vendor", env->vendor[0] ? env->vendor : "unknown");
	environment_append_pair(buf, len, "cpu", env->cpu[0] ? env->cpu : "-");
	environment_append_pair(buf, len, "microcode", env->microcode[0] ? env->microcode : "-");
	environment_append_pair(buf, len, "cpuid", env->cpuid_hash[0] ? env->cpuid_hash : "-");
	/* The parameters go last: they are the longest and the least needed,
	 * so a short buffer loses them first, whole pairs at a time. */
	size_t used = strlen(buf);
	if (env->params[0] && used + 8 < len) {
		snprintf(buf + used, len - used, " params=");
		used += 8;
		const char *p = env->params;
		while (*p) {
			size_t w = strcspn(p, " ");
			if (used + w + 2 > len)
				break;
			if (p != env->params)
				buf[used++] = ' ';
			memcpy(buf + used, p, w);
			used += w;
			buf[used] = 0;
			p += w;
			while (*p == ' ')
				p++;
		}
		if (p == env->params)
			buf[used - 8] = 0;  /* not even one pair fitted */
	}
}
