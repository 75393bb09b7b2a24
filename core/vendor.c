#include <cpuid.h>
#include <string.h>
#include "vendor.h"

static const char *const names[VENDOR_COUNT] = {
	[VENDOR_UNKNOWN] = "unknown", [VENDOR_INTEL] = "intel", [VENDOR_AMD] = "amd",
};

const char *vendor_name(enum cpu_vendor v)
{
	return (unsigned)v < VENDOR_COUNT ? names[v] : names[VENDOR_UNKNOWN];
}

int vendor_from_name(const char *s)
{
	for (int v = VENDOR_INTEL; v < VENDOR_COUNT; v++)
		if (!strcmp(s, names[v]))
			return v;
	return -1;
}

enum cpu_vendor vendor_from_cpuid0(uint32_t ebx, uint32_t ecx, uint32_t edx)
{
	char id[13];
	memcpy(id, &ebx, 4);
	memcpy(id + 4, &edx, 4);
	memcpy(id + 8, &ecx, 4);
	id[12] = 0;
	if (!strcmp(id, "GenuineIntel"))
		return VENDOR_INTEL;
	/* Hygon's Zen derivatives follow the APM. */
	if (!strcmp(id, "AuthenticAMD") || !strcmp(id, "HygonGenuine"))
		return VENDOR_AMD;
	return VENDOR_UNKNOWN;
}

enum cpu_vendor vendor_of_host(void)
{
	/* Asked once: CPUID traps to the hypervisor when this runs in a VM. */
	static int known = -1;
	if (known < 0) {
		unsigned a, b, c, d;
		known = __get_cpuid(0, &a, &b, &c, &d) ? (int)vendor_from_cpuid0(b, c, d) :
							  VENDOR_UNKNOWN;
	}
	return (enum cpu_vendor)known;
}
