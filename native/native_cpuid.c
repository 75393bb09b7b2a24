/* Instructions whose existence the CPUID table decides. The environment's
 * CPUID is the table the KVM executor calibrated in its guest (the
 * reference raises #UD, or runs LZCNT/TZCNT as BSR/BSF, when it says a
 * feature is absent); the host CPU runs what it has. When the two disagree
 * on an instruction's feature bit, the native run cannot judge the case. */
#include <cpuid.h>
#include <stdio.h>
#include <capstone/capstone.h>
#include "native_cpuid.h"

struct feature {
	unsigned insn;          /* X86_INS_*, or 0 for a byte pattern below */
	uint32_t leaf;
	char reg;               /* 'b', 'c', 'd' */
	uint8_t bit;
};

/* SDM Vol. 2 (each instruction's CPUID flag) and Vol. 3A table 3-8.3. */
static const struct feature features[] = {
	{ X86_INS_LZCNT, 0x80000001u, 'c', 5 },     /* ABM/LZCNT */
	{ X86_INS_TZCNT, 7, 'b', 3 },               /* BMI1 */
	{ X86_INS_POPCNT, 1, 'c', 23 },
	{ X86_INS_MOVBE, 1, 'c', 22 },
	{ X86_INS_CRC32, 1, 'c', 20 },              /* SSE4.2 */
	{ X86_INS_CMPXCHG16B, 1, 'c', 13 },
	{ X86_INS_RDTSCP, 0x80000001u, 'd', 27 },
	{ X86_INS_RDRAND, 1, 'c', 30 },
	{ X86_INS_RDSEED, 7, 'b', 18 },
	{ X86_INS_ADCX, 7, 'b', 19 },
	{ X86_INS_ADOX, 7, 'b', 19 },
	{ X86_INS_CLFLUSHOPT, 7, 'b', 23 },
	{ X86_INS_CLWB, 7, 'b', 24 },
	{ X86_INS_MONITOR, 1, 'c', 3 },
	{ X86_INS_MWAIT, 1, 'c', 3 },
};
/* RDPID (F3 0F C7 /7, register form): CPUID.07H:ECX.RDPID[bit 22];
 * Capstone 4 decodes it as RDSEED. */
static const struct feature rdpid = { 0, 7, 'c', 22 };

static int bit_of(char reg, unsigned bit, const struct cpuid_entry *e)
{
	uint32_t v = reg == 'b' ? e->ebx : reg == 'c' ? e->ecx : e->edx;
	return (v >> bit) & 1;
}

static int host_bit(const struct feature *f)
{
	unsigned a, b, c, d;
	if (!__get_cpuid_count(f->leaf, 0, &a, &b, &c, &d))
		return 0;
	struct cpuid_entry e = { .ebx = b, .ecx = c, .edx = d };
	return bit_of(f->reg, f->bit, &e);
}

static int table_bit(const struct cpuid_table *t, const struct feature *f)
{
	const struct cpuid_entry *e = cpuid_lookup(t, f->leaf, 0);
	return e ? bit_of(f->reg, f->bit, e) : 0;
}

static int is_rdpid(const cs_insn *in)
{
	const uint8_t *b = in->bytes;
	int f3 = 0;
	unsigned i = 0;
	for (; i < in->size && (b[i] == 0xf3 || b[i] == 0xf2 || b[i] == 0x66); i++)
		f3 |= b[i] == 0xf3;
	if (i < in->size && (b[i] & 0xf0) == 0x40)
		i++;
	return f3 && i + 2 < in->size && b[i] == 0x0f && b[i + 1] == 0xc7 &&
	       (b[i + 2] & 0xf8) == 0xf8;
}

int native_cpuid_differs(const struct cpuid_table *t, const cs_insn *in, char *why, size_t whylen)
{
	if (!t)
		return 0;
	const struct feature *f = is_rdpid(in) ? &rdpid : NULL;
	for (unsigned k = 0; !f && k < sizeof(features) / sizeof(features[0]); k++)
		if (features[k].insn == in->id)
			f = &features[k];
	if (!f)
		return 0;
	int host = host_bit(f);
	/* A feature the host's CPUID hides may still be in its silicon: a
	 * guest whose hypervisor masks RDSEED runs RDSEED anyway (measured: an
	 * AMD EPYC 1Ah guest without rdseed in /proc/cpuinfo), where a CPU
	 * without it raises #UD. Such a run says nothing either way. */
	if (host == table_bit(t, f) && host)
		return 0;
	snprintf(why, whylen, "native:cpuid%s %s", host ? "" : "-hidden",
		 f == &rdpid ? "rdpid" : in->mnemonic);
	return 1;
}
