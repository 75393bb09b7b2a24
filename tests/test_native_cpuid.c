/* Which instructions the native executor refuses for their CPUID feature
 * (native/native_cpuid.c): RDSEED and RDPID against tables with and
 * without the bit. The host's own CPUID decides the expected answer: where
 * it shows the feature, only a table without it is refused ("native:cpuid
 * MNEMONIC"); where it hides it, every table is ("native:cpuid-hidden":
 * a guest whose hypervisor masks RDSEED ran it anyway, and the CPU judged
 * TCG against a #UD it never raises). An instruction without a feature and
 * a missing table are never refused. */
#include <cpuid.h>
#include <string.h>
#include <capstone/capstone.h>
#include "check.h"
#include "native_cpuid.h"

static int host_has(unsigned leaf, char reg, unsigned bit)
{
	unsigned a, b, c, d;
	if (!__get_cpuid_count(leaf, 0, &a, &b, &c, &d))
		return 0;
	return ((reg == 'b' ? b : c) >> bit) & 1;
}

static void one(csh cs, const char *name, const uint8_t *code, size_t len, unsigned leaf,
		char reg, unsigned bit, const char *mnemonic)
{
	cs_insn *in;
	if (cs_disasm(cs, code, len, 0x10000, 1, &in) != 1) {
		CHECK(0, "%s: Capstone decodes it", name);
		return;
	}
	static struct cpuid_table with, without;
	with.n = without.n = 1;
	with.e[0] = without.e[0] = (struct cpuid_entry){ .leaf = leaf };
	uint32_t *w = reg == 'b' ? &with.e[0].ebx : &with.e[0].ecx;
	*w = 1u << bit;
	int host = host_has(leaf, reg, bit);
	char why[64] = "", want[64];
	int r = native_cpuid_differs(&with, in, why, sizeof(why));
	snprintf(want, sizeof(want), "native:cpuid-hidden %s", mnemonic);
	if (host)
		CHECK(r == 0, "%s: the host has it, a table with it: run natively (%d %s)", name, r, why);
	else
		CHECK(r == 1 && !strcmp(why, want),
		      "%s: the host's CPUID hides it, a table with it: refused as '%s' (%d %s)", name,
		      want, r, why);
	why[0] = 0;
	r = native_cpuid_differs(&without, in, why, sizeof(why));
	snprintf(want, sizeof(want), "native:cpuid%s %s", host ? "" : "-hidden", mnemonic);
	CHECK(r == 1 && !strcmp(why, want), "%s: a table without it: refused as '%s' (%d %s)", name,
	      want, r, why);
	CHECK(native_cpuid_differs(NULL, in, why, sizeof(why)) == 0, "%s: no table: not refused", name);
	printf("  %s: the host %s it\n", name, host ? "shows" : "hides");
	cs_free(in, 1);
}

int main(void)
{
	csh cs;
	if (cs_open(CS_ARCH_X86, CS_MODE_64, &cs) != CS_ERR_OK) {
		printf("FAILED: cs_open\n");
		return 1;
	}
	cs_option(cs, CS_OPT_DETAIL, CS_OPT_ON);
	static const uint8_t rdseed[] = { 0x0f, 0xc7, 0xfb };          /* rdseed ebx */
	static const uint8_t rdpid[] = { 0xf3, 0x0f, 0xc7, 0xf8 };     /* rdpid rax */
	static const uint8_t add[] = { 0x01, 0xd8 };                   /* add eax, ebx */
	one(cs, "rdseed", rdseed, sizeof(rdseed), 7, 'b', 18, "rdseed");
	one(cs, "rdpid", rdpid, sizeof(rdpid), 7, 'c', 22, "rdpid");
	static const uint8_t popcnt[] = { 0xf3, 0x0f, 0xb8, 0xc3 };  /* popcnt eax, ebx */
	one(cs, "popcnt", popcnt, sizeof(popcnt), 1, 'c', 23, "popcnt");
	cs_insn *in;
	char why[64] = "";
	static struct cpuid_table empty = { .n = 1 };
	if (cs_disasm(cs, add, sizeof(add), 0x10000, 1, &in) == 1) {
		CHECK(native_cpuid_differs(&empty, in, why, sizeof(why)) == 0,
		      "add: no feature, never refused (%s)", why);
		cs_free(in, 1);
	}
	cs_close(&cs);
	return check_done("test_native_cpuid");
}
