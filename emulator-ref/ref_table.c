/* The semantics table: fragments from every family file merged into one
 * dense array indexed by Capstone instruction id. An id no fragment names
 * stays NULL and ends the case with UNSUPPORTED. */
#include "ref_internal.h"
#include "ref_ext_priv.h"

static ref_handler table[X86_INS_ENDING];
static int table_built;

static void merge(const struct ref_sem *frag, unsigned n)
{
	for (unsigned i = 0; frag && i < n; i++) {
		unsigned id = frag[i].id;
		/* The first fragment to name an id keeps it: the framework's
		 * own families are merged first. */
		if (id < X86_INS_ENDING && !table[id])
			table[id] = frag[i].fn;
	}
}

void ref_table_build(void)
{
	if (__atomic_load_n(&table_built, __ATOMIC_ACQUIRE))
		return;
	merge(ref_sem_ctl, ref_sem_ctl_count);
	merge(ref_sem_ctl_io, ref_sem_ctl_io_count);
	merge(ref_sem_bits, ref_sem_bits_count);
	merge(ref_sem_xchg, ref_sem_xchg_count);
	merge(ref_sem_flagreg, ref_sem_flagreg_count);
	merge(ref_sem_string, ref_sem_string_count);
	merge(ref_sem_misc, ref_sem_misc_count);
	merge(ref_sem_sys, ref_sem_sys_count);
	merge(ref_sem_sys_desc, ref_sem_sys_desc_count);
	merge(ref_sem_sys_msr, ref_sem_sys_msr_count);
	merge(ref_sem_sse, ref_sem_sse_count);
	merge(ref_sem_hypercall, ref_sem_hypercall_count);
	merge(ref_sem_alu, ref_sem_alu_count);
	__atomic_store_n(&table_built, 1, __ATOMIC_RELEASE);
}

ref_handler ref_lookup(unsigned insn_id)
{
	if (!__atomic_load_n(&table_built, __ATOMIC_ACQUIRE))
		ref_table_build();
	return insn_id < X86_INS_ENDING ? table[insn_id] : NULL;
}
