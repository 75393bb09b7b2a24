#include <stdio.h>
#include <string.h>
#include "knobs.h"

#define M(m) (1u << (m))
#define ALL (M(MODE_LONG64) | M(MODE_PROT32) | M(MODE_PROT32PG) | M(MODE_REAL16) | \
	     M(MODE_COMPAT32) | M(MODE_PROT32PAE) | M(MODE_V86))
#define PROT (M(MODE_LONG64) | M(MODE_PROT32) | M(MODE_PROT32PG) | M(MODE_COMPAT32) | \
	      M(MODE_PROT32PAE))

/* Bits that change what an instruction does (SDM Vol. 3A 2.5, 2.2.1), and
 * that a hypervisor's emulator must check itself. The rest of CR0/CR4/EFER
 * is fixed by the mode (core/mode.c). */
const struct knob_def knob_defs[] = {
	{ KNOB_CPL3, "cpl3", KNOB_REG_CPL, 0, 1, M(MODE_LONG64),
	  "run the case at CPL3: 64-bit user code runs on the CPU, not in KVM's emulator" },
	{ KNOB_CR0_TS, "cr0.ts", KNOB_REG_CR0, 1ull << 3, 1, ALL,
	  "task switched: x87, MMX and SSE instructions raise #NM" },
	{ KNOB_CR0_EM, "cr0.em", KNOB_REG_CR0, 1ull << 2, 1, ALL,
	  "emulation: x87 raises #NM, MMX/SSE raise #UD" },
	{ KNOB_CR4_TSD, "cr4.tsd", KNOB_REG_CR4, 1ull << 2, 1, PROT,
	  "RDTSC/RDTSCP raise #GP above CPL0" },
	{ KNOB_CR4_UMIP, "cr4.umip", KNOB_REG_CR4, 1ull << 11, 1, PROT,
	  "SGDT/SIDT/SLDT/SMSW/STR raise #GP above CPL0" },
	{ KNOB_CR4_OSXSAVE, "cr4.osxsave", KNOB_REG_CR4, 1ull << 18, 1, PROT,
	  "XGETBV/XSETBV stop raising #UD" },
	{ KNOB_CR4_FSGSBASE, "cr4.fsgsbase", KNOB_REG_CR4, 1ull << 16, 1, M(MODE_LONG64),
	  "RDFSBASE/RDGSBASE/WRFSBASE/WRGSBASE stop raising #UD" },
	{ KNOB_CR4_SMAP, "cr4.smap", KNOB_REG_CR4, 1ull << 21, 1, M(MODE_LONG64),
	  "CPL0 data accesses to user pages fault unless RFLAGS.AC (STAC/CLAC)" },
	{ KNOB_NO_OSFXSR, "no-osfxsr", KNOB_REG_CR4, 1ull << 9, 0, ALL,
	  "CR4.OSFXSR clear: SSE instructions raise #UD" },
	{ KNOB_NO_SCE, "no-sce", KNOB_REG_EFER, 1ull << 0, 0, M(MODE_LONG64),
	  "EFER.SCE clear: SYSCALL/SYSRET raise #UD" },
	{ KNOB_MSR_EXIT, "msr-exit", KNOB_REG_VM, 0, 1, ALL,
	  "an MSR filter sends RDMSR/WRMSR of some MSRs to exitdiff (msr events, docs/formats.md)" },
	{ KNOB_IOPL3, "iopl3", KNOB_REG_RFLAGS, 3ull << 12, 1, M(MODE_V86),
	  "RFLAGS.IOPL=3: CLI, STI, PUSHF, POPF, INT n and IRET stop raising #GP(0) in virtual-8086 mode" },
};
const unsigned knob_def_count = sizeof(knob_defs) / sizeof(knob_defs[0]);

const struct knob_def *knob_by_bit(uint32_t bit)
{
	for (unsigned i = 0; i < knob_def_count; i++)
		if (knob_defs[i].bit == bit)
			return &knob_defs[i];
	return NULL;
}

const struct knob_def *knob_by_name(const char *name)
{
	for (unsigned i = 0; i < knob_def_count; i++)
		if (strcmp(knob_defs[i].name, name) == 0)
			return &knob_defs[i];
	return NULL;
}

uint32_t knobs_for_mode(enum cpu_mode m)
{
	uint32_t k = 0;
	for (unsigned i = 0; i < knob_def_count; i++)
		if (knob_defs[i].modes & M(m))
			k |= knob_defs[i].bit;
	return k;
}

int knobs_valid_for(uint32_t knobs, enum cpu_mode m)
{
	return (unsigned)m < MODE_COUNT && !(knobs & ~knobs_for_mode(m));
}

char *knobs_format(uint32_t knobs, char *buf, size_t len)
{
	size_t n = 0;
	if (len)
		buf[0] = 0;
	for (unsigned i = 0; i < knob_def_count; i++) {
		if (!(knobs & knob_defs[i].bit))
			continue;
		int w = snprintf(buf + n, n < len ? len - n : 0, "%s%s", n ? " " : "",
				 knob_defs[i].name);
		if (w < 0 || n + (size_t)w >= len)
			break;
		n += (size_t)w;
	}
	return buf;
}
