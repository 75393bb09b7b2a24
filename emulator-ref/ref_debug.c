/* Debug breakpoints of DR0-DR3 under DR7 (SDM Vol. 3A 17.2, 17.3): the
 * instruction breakpoint is a fault before the instruction runs; data
 * breakpoints, matched here against every data access the instruction
 * makes, trap after it (after the element of a REP string instruction
 * that hit, as single-step does) and, like single-step, wait past MOV SS
 * and POP SS (Vol. 3A 6.8.3). I/O breakpoints (RW = 10, defined only
 * with CR4.DE = 1: Vol. 3A 17.2.4) match the ports an IN, OUT, INS or
 * OUTS accesses and trap after it the same way. Without CR4.DE, and for
 * 8-byte ones outside long mode, the case ends unsupported (mov dr7, or
 * the mov cr4 that clears DE under an armed I/O breakpoint). */
#include "ref_internal.h"
#include "ref_sys_priv.h"

static unsigned bp_enabled(uint64_t dr7, unsigned i) { return (dr7 >> (2 * i)) & 3; }
static unsigned bp_rw(uint64_t dr7, unsigned i) { return (dr7 >> (16 + 4 * i)) & 3; }

/* The breakpoint's length in bytes: LEN 00 1, 01 2, 11 4, 10 8. */
static unsigned bp_len(uint64_t dr7, unsigned i)
{
	static const uint8_t len[4] = { 1, 2, 8, 4 };
	return len[(dr7 >> (18 + 4 * i)) & 3];
}

const char *ref_dbg_unmodeled(const struct ref_cpu *cpu, uint64_t dr7)
{
	for (unsigned i = 0; i < 4; i++) {
		if (!bp_enabled(dr7, i))
			continue;
		unsigned rw = bp_rw(dr7, i), len = bp_len(dr7, i);
		if (rw == 2 && !(cpu->cr4 & CR4_DE))
			return "mov dr7:io-breakpoint-no-de";
		/* SDM Vol. 3A 17.2.5: LEN must be 00 for an instruction
		 * breakpoint; 8 bytes is 64-bit only (else undefined). */
		if (rw == 0 && len != 1)
			return "mov dr7:exec-len";
		if (len == 8 && cpu->code_bits != 64)
			return "mov dr7:len8";
	}
	return NULL;
}

void ref_dbg_data(struct ref_cpu *cpu, uint64_t la, unsigned size, int write)
{
	uint64_t dr7 = cpu->dr[7];
	if (!(dr7 & 0xff) || cpu->delivering >= 0)
		return;
	for (unsigned i = 0; i < 4; i++) {
		unsigned rw = bp_rw(dr7, i);
		if (!bp_enabled(dr7, i) || rw == 0 || (rw == 1 && !write))
			continue;
		/* The breakpoint covers its length, aligned down (17.2.5). */
		uint64_t len = bp_len(dr7, i), base = cpu->dr[i] & ~(len - 1);
		if (la < base + len && base < la + size)
			cpu->db_hits |= (uint8_t)(1u << i);
	}
}

void ref_dbg_io(struct ref_cpu *cpu, uint16_t port, unsigned size)
{
	uint64_t dr7 = cpu->dr[7];
	if (!(dr7 & 0xff) || !(cpu->cr4 & CR4_DE))
		return;
	for (unsigned i = 0; i < 4; i++) {
		if (!bp_enabled(dr7, i) || bp_rw(dr7, i) != 2)
			continue;
		/* DRi holds the port; the range is aligned down like a data
		 * breakpoint's (Vol. 3A 17.2.5). */
		uint64_t len = bp_len(dr7, i), base = (cpu->dr[i] & 0xffff) & ~(len - 1);
		if (port < base + len && base < (uint64_t)port + size)
			cpu->db_hits |= (uint8_t)(1u << i);
	}
}

int ref_dbg_io_armed(const struct ref_cpu *cpu)
{
	for (unsigned i = 0; i < 4; i++)
		if (bp_enabled(cpu->dr[7], i) && bp_rw(cpu->dr[7], i) == 2)
			return 1;
	return 0;
}

int ref_dbg_exec_hit(struct ref_cpu *cpu, uint64_t lip)
{
	uint64_t dr7 = cpu->dr[7];
	if (!(dr7 & 0xff) || (cpu->rflags & RFLAGS_RF))
		return 0;
	unsigned hit = 0;
	for (unsigned i = 0; i < 4; i++)
		if (bp_enabled(dr7, i) && bp_rw(dr7, i) == 0 && cpu->dr[i] == lip)
			hit |= 1u << i;
	if (hit)
		cpu->dr[6] = (cpu->dr[6] & ~0xfull) | hit;
	return hit != 0;
}
