/* Where a verdict was produced: the host (core/host.c), the CPUID table
 * the guest reads, and the module parameters that change how KVM behaves. Recorded with
 * outcomes so a divergence can be tied to a configuration. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <unistd.h>
#include "kvm_internal.h"

/* kvm.ko parameters that change guest-visible behaviour. Every parameter
 * of the backend module is recorded too (they are few and all matter). */
static const char *const kvm_params[] = {
	"force_emulation_prefix", "ignore_msrs", "enable_vmware_backdoor",
	"tdp_mmu", "mmio_caching",
};

static int read_param(const char *module, const char *name, char *val, size_t len)
{
	char path[256];
	snprintf(path, sizeof(path), "/sys/module/%s/parameters/%s", module, name);
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	if (!fgets(val, (int)len, f))
		val[0] = 0;
	fclose(f);
	val[strcspn(val, "\n")] = 0;
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void append_module_params(char *buf, size_t cap, const char *module)
{
	char path[128], val[64];
	snprintf(path, sizeof(path), "/sys/module/%s/parameters", module);
	DIR *d = opendir(path);
	if (!d)
		return;
	/* Sorted, so the string is stable across runs. */
	char names[64][64];
	const char *order[64];
	unsigned n = 0;
	struct dirent *de;
	while ((de = readdir(d)) && n < 64) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(names[n], sizeof(names[n]), "%.63s", de->d_name);
		order[n] = names[n];
		n++;
	}
	closedir(d);
	qsort(order, n, sizeof(order[0]), cmp_str);
	for (unsigned i = 0; i < n; i++)
		if (read_param(module, order[i], val, sizeof(val)) == 0)
			environment_append_pair(buf, cap, order[i], val);
}

void kvm_env_fill(struct environment_info *env)
{
	memset(env, 0, sizeof(*env));
	environment_from_host(env);
	char val[64];
	for (size_t i = 0; i < sizeof(kvm_params) / sizeof(kvm_params[0]); i++)
		if (read_param("kvm", kvm_params[i], val, sizeof(val)) == 0)
			environment_append_pair(env->params, sizeof(env->params), kvm_params[i], val);
	if (strcmp(env->backend, "unknown"))
		append_module_params(env->params, sizeof(env->params), env->backend);
}

/* FNV-1a over the entries in order (CPL0's, then CPL3's when they differ),
 * APIC IDs left out:
 * calibration always asks the same leaves in the same order, so equal
 * tables give equal hashes. */
static uint64_t hash_table(uint64_t h, const struct cpuid_table *t)
{
	for (uint32_t i = 0; i < t->n; i++) {
		uint32_t w[6] = { t->e[i].leaf, t->e[i].subleaf, t->e[i].eax,
				  t->e[i].ebx, t->e[i].ecx, t->e[i].edx };
		/* APIC IDs name a CPU, not the host's model: kvm_pvm answers
		 * with the host CPU's, which differs from process to process. */
		unsigned per_cpu = cpuid_per_cpu_regs(t->e[i].leaf);
		for (unsigned r = 0; r < 4; r++)
			if (per_cpu & (1u << r))
				w[2 + r] = 0;
		const uint8_t *b = (const uint8_t *)w;
		for (size_t j = 0; j < sizeof(w); j++)
			h = (h ^ b[j]) * 0x100000001b3ull;
	}
	return h;
}

void kvm_env_hash_cpuid(struct environment_info *env, const struct cpuid_table *t)
{
	uint64_t h = hash_table(0xcbf29ce484222325ull, t);
	if (t->user)
		h = hash_table(h, t->user);
	snprintf(env->cpuid_hash, sizeof(env->cpuid_hash), "%016llx", (unsigned long long)h);
}
