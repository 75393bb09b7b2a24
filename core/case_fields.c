#include <string.h>
#include "case_fields.h"

#define SF(n, member, nz) { n, offsetof(struct outcome, member), \
	sizeof(((struct outcome *)0)->member), nz }

/* Print order of the end state: how far it ran, where it stopped, then the
 * registers in encoding order, then the system registers. */
const struct case_state_field case_state_fields[] = {
	SF("steps", steps, 1),
	SF("rip", state.rip, 0),
	SF("rflags", state.rflags, 0),
	SF("undefined-flags", undefined_flags, 1),
	SF("undefined-gprs", undefined_gprs, 1),
	SF("rax", state.gpr[RAX], 0), SF("rcx", state.gpr[RCX], 0),
	SF("rdx", state.gpr[RDX], 0), SF("rbx", state.gpr[RBX], 0),
	SF("rsp", state.gpr[RSP], 0), SF("rbp", state.gpr[RBP], 0),
	SF("rsi", state.gpr[RSI], 0), SF("rdi", state.gpr[RDI], 0),
	SF("r8", state.gpr[R8], 0),   SF("r9", state.gpr[R9], 0),
	SF("r10", state.gpr[R10], 0), SF("r11", state.gpr[R11], 0),
	SF("r12", state.gpr[R12], 0), SF("r13", state.gpr[R13], 0),
	SF("r14", state.gpr[R14], 0), SF("r15", state.gpr[R15], 0),
	SF("cr0", state.cr0, 0), SF("cr2", state.cr2, 0),
	SF("cr3", state.cr3, 0), SF("cr4", state.cr4, 0),
	SF("cr8", state.cr8, 0), SF("efer", state.efer, 0),
	SF("cs", state.cs, 0), SF("ds", state.ds, 0), SF("es", state.es, 0),
	SF("fs", state.fs, 0), SF("gs", state.gs, 0), SF("ss", state.ss, 0),
#define XMM(i) SF("xmm" #i, state.xmm[i][0], 1), SF("xmm" #i ".hi", state.xmm[i][1], 1)
	XMM(0), XMM(1), XMM(2), XMM(3), XMM(4), XMM(5), XMM(6), XMM(7),
	XMM(8), XMM(9), XMM(10), XMM(11), XMM(12), XMM(13), XMM(14), XMM(15),
#undef XMM
};
const size_t case_state_field_count =
	sizeof(case_state_fields) / sizeof(case_state_fields[0]);

const struct case_state_field *case_state_field_find(const char *name)
{
	for (size_t i = 0; i < case_state_field_count; i++)
		if (strcmp(case_state_fields[i].name, name) == 0)
			return &case_state_fields[i];
	return NULL;
}

uint64_t case_field_get(const struct outcome *o, const struct case_state_field *f)
{
	const uint8_t *p = (const uint8_t *)o + f->off;
	uint16_t v16;
	uint32_t v32;
	uint64_t v64;
	switch (f->size) {
	case 2: memcpy(&v16, p, 2); return v16;
	case 4: memcpy(&v32, p, 4); return v32;
	default: memcpy(&v64, p, 8); return v64;
	}
}

void case_field_set(struct outcome *o, const struct case_state_field *f, uint64_t v)
{
	uint8_t *p = (uint8_t *)o + f->off;
	uint16_t v16 = (uint16_t)v;
	uint32_t v32 = (uint32_t)v;
	switch (f->size) {
	case 2: memcpy(p, &v16, 2); break;
	case 4: memcpy(p, &v32, 4); break;
	default: memcpy(p, &v, 8); break;
	}
}

#define K(e) (1u << EXIT_##e)
#define ALL_KINDS ((1u << EXIT_KIND_COUNT) - 1)

const struct case_ev_key case_ev_keys[] = {
	{ "port",     EVF_ADDR,   K(IO) },
	{ "gpa",      EVF_ADDR,   K(MMIO) },
	{ "vector",   EVF_ADDR,   K(EXCEPTION) },
	{ "suberror", EVF_ADDR,   K(INTERNAL_ERROR) },
	{ "reason",   EVF_ADDR,   K(FAIL_ENTRY) | K(OTHER) },
	{ "budget",   EVF_BUDGET, K(TIMEOUT) },
	{ "size",     EVF_SIZE,   K(IO) | K(MMIO) },
	{ "index",    EVF_ADDR,   K(MSR) },
	{ "data",     EVF_DATA,   K(IO) | K(MMIO) | K(INTERNAL_ERROR) | K(MSR) },
	{ "error",    EVF_ERROR,  K(EXCEPTION) },
	{ "ndata",    EVF_NDATA,  K(INTERNAL_ERROR) },
	{ "nr",       EVF_ADDR,   K(HYPERCALL) },
	{ "a0",       EVF_DATA,   K(HYPERCALL) },
	{ "a1",       EVF_CR2,    K(HYPERCALL) },
	{ "a2",       EVF_NDATA,  K(HYPERCALL) },
	/* Printed for every kind when non-zero, so nothing an executor
	 * records is lost in a round trip. */
	{ "rip",      EVF_RIP,    ALL_KINDS },
	{ "cr2",      EVF_CR2,    ALL_KINDS },
	/* The reference's instruction behind the event (names signatures). */
	{ "by",       EVF_BY,     ALL_KINDS },
};
const size_t case_ev_key_count = sizeof(case_ev_keys) / sizeof(case_ev_keys[0]);

const char *case_dir_name(enum exit_kind k, unsigned dir)
{
	if (k == EXIT_MMIO || k == EXIT_MSR)
		return dir == DIR_OUT ? "write" : "read";
	return dir == DIR_OUT ? "out" : "in";
}
