/* CPU vendors whose manuals define x86 differently in places (Intel SDM,
 * AMD APM): the reference follows the vendor of the host it compares with
 * (docs/vendors.md lists every difference it models). */
#ifndef EXITDIFF_VENDOR_H
#define EXITDIFF_VENDOR_H

#include <stdint.h>

enum cpu_vendor { VENDOR_UNKNOWN = 0, VENDOR_INTEL, VENDOR_AMD, VENDOR_COUNT };

/* "unknown", "intel", "amd". */
const char *vendor_name(enum cpu_vendor v);
/* The vendor named s ("intel", "amd"), or -1. */
int vendor_from_name(const char *s);
/* The vendor of CPUID leaf 0's identification string (EBX, EDX, ECX). */
enum cpu_vendor vendor_from_cpuid0(uint32_t ebx, uint32_t ecx, uint32_t edx);
/* The vendor of the CPU this process runs on. */
enum cpu_vendor vendor_of_host(void);

#endif
