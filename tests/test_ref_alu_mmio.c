/* Memory-access shape of the arithmetic/logic semantics: with the memory
 * operand in the MMIO window every access is an exit event, so the trace
 * shows exactly how many reads and writes a handler made and in which
 * order. KVM's emulator makes one MMIO read per memory source and one
 * write per memory destination; a duplicated or missing access would be a
 * false divergence. MMIO reads are answered with ENV_MMIO_READ_BYTE bytes
 * (0xff), so the written values below are computed from all-ones inputs. */
#include <string.h>
#include "check.h"
#include "../core/case.h"
#include "../core/executor.h"
#include "../core/layout.h"
#include "../core/outcome.h"

struct acc { uint8_t dir, size; uint64_t data; };

struct mmio_row {
	const char *name;
	uint8_t code[8];
	unsigned len;
	uint64_t rax, rcx, fin;
	unsigned n;                 /* MMIO events before the HLT */
	struct acc ev[2];
	uint64_t o_rax;
};

#define RD(sz) { DIR_IN, sz, 0xffffffffffffffffull >> (64 - 8 * (sz)) }
#define WR(sz, v) { DIR_OUT, sz, v }

static const struct mmio_row rows[] = {
	{ "add [mmio],ecx: read then write", { 0x01, 0x0b }, 2, 0, 1, 0,
	  2, { RD(4), WR(4, 0) }, 0 },
	{ "cmp [mmio],ecx: one read, no write", { 0x39, 0x0b }, 2, 0, 1, 0,
	  1, { RD(4) }, 0 },
	{ "test byte [mmio],1: one read", { 0xf6, 0x03, 0x01 }, 3, 0, 0, 0,
	  1, { RD(1) }, 0 },
	{ "cmove eax,[mmio] false: read, eax zero-extended", { 0x0f, 0x44, 0x03 }, 3,
	  0xffffffff00000005ull, 0, 0, 1, { RD(4) }, 5 },
	{ "shl dword [mmio],cl (cl=0): read, written back", { 0xd3, 0x23 }, 2, 0, 0, 0,
	  2, { RD(4), WR(4, 0xffffffffull) }, 0 },
	{ "setne byte [mmio]: write only", { 0x0f, 0x95, 0x03 }, 3, 0, 0, 0,
	  1, { WR(1, 1) }, 0 },
	{ "div byte [mmio]: one read", { 0xf6, 0x33 }, 2, 0x1fe, 0, 0,
	  1, { RD(1) }, 0x0002 },
	{ "inc qword [mmio]: read 8, write 8", { 0x48, 0xff, 0x03 }, 3, 0, 0, 0,
	  2, { RD(8), WR(8, 0) }, 0 },
	{ "imul eax,[mmio],3: one read", { 0x6b, 0x03, 0x03 }, 3, 0, 0, 0,
	  1, { RD(4) }, 0xfffffffdull },
	{ "neg word [mmio]: read then write", { 0x66, 0xf7, 0x1b }, 3, 0, 0, 0,
	  2, { RD(2), WR(2, 1) }, 0 },
};

static void run_row(struct executor *ex, const struct mmio_row *r)
{
	static struct test_case c;
	static struct outcome o;
	case_init(&c);
	snprintf(c.id, sizeof(c.id), "alu-mmio:%s", r->name);
	memcpy(c.code, r->code, r->len);
	c.code[r->len] = 0xf4; /* HLT */
	c.code_len = r->len + 1;
	c.gpr[RAX] = r->rax;
	c.gpr[RCX] = r->rcx;
	c.gpr[RBX] = LAYOUT_MMIO;
	c.rflags = r->fin | RFLAGS_FIXED1;
	if (ex->ops->run(ex, &c, &o) != 0) {
		CHECK(0, "%s: executor failed: %s", r->name, ex->err);
		return;
	}
	int ok = o.n_events == r->n + 1 && o.events[r->n].kind == EXIT_HLT &&
		 o.state.gpr[RAX] == r->o_rax;
	for (unsigned i = 0; ok && i < r->n; i++) {
		const struct exit_event *e = &o.events[i];
		ok = e->kind == EXIT_MMIO && e->dir == r->ev[i].dir &&
		     e->size == r->ev[i].size && e->addr == LAYOUT_MMIO &&
		     e->data == r->ev[i].data;
	}
	if (!ok) {
		printf("  trace of %s (%u events), rax 0x%" PRIx64 " want 0x%" PRIx64 ":\n",
		       r->name, o.n_events, o.state.gpr[RAX], r->o_rax);
		for (unsigned i = 0; i < o.n_events; i++)
			printf("    %s dir %u size %u addr 0x%" PRIx64 " data 0x%" PRIx64 "\n",
			       exit_kind_name(o.events[i].kind), o.events[i].dir,
			       o.events[i].size, o.events[i].addr, o.events[i].data);
	}
	CHECK(ok, "%s (%u MMIO accesses then HLT)", r->name, r->n);
}

int main(void)
{
	struct executor ex = { .ops = &ref_executor_ops };
	char err[256];
	if (ex.ops->init(&ex, err, sizeof(err)) != 0) {
		printf("FAILED: reference executor init: %s\n", err);
		return 1;
	}
	for (unsigned i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		run_row(&ex, &rows[i]);
	ex.ops->fini(&ex);
	return check_done("test_ref_alu_mmio");
}
