/* The KVM executor's step operations (core/executor.h): a case stepped
 * through the interface stops after every instruction with the state KVM
 * has then, ends at its HLT, reports what stepping met in its note, and
 * leaves the executor able to run whole cases. */
#include <string.h>
#include "check.h"
#include "executor.h"
#include "layout.h"

int main(void)
{
	SKIP_WITHOUT_KVM();
	static struct executor ex;
	static struct test_case c, plain;
	static struct outcome o, whole;
	ex.ops = &kvm_executor_ops;
	if (ex.ops->init(&ex, ex.err, sizeof(ex.err)) < 0) {
		printf("FAILED: KVM executor init: %s\n", ex.err);
		return 1;
	}
	case_init(&c);
	snprintf(c.id, sizeof(c.id), "step-ops");
	static const uint8_t code[] = { 0x90, 0xff, 0xc0, 0xf4 }; /* nop; inc eax; hlt */
	memcpy(c.code, code, sizeof(code));
	c.code_len = sizeof(code);
	c.gpr[RAX] = 41;
	c.rflags = RFLAGS_FIXED1;

	if (ex.ops->step_begin(&ex, &c, &o) < 0) {
		printf("SKIPPED: this KVM cannot single-step: %s\n", ex.err);
		ex.ops->fini(&ex);
		return 77;
	}
	CHECK(o.n_events == 0, "step_begin: no events yet");
	int r = ex.ops->step(&ex, 1, &o);
	CHECK(r == EXEC_STEPPED, "step 1 (nop): stepped (rc %d, %s)", r, r < 0 ? ex.err : "");
	CHECK_EQ_U64(o.state.rip, LAYOUT_CODE + 1, "rip after the nop");
	CHECK_EQ_U64(o.state.gpr[RAX], 41, "rax untouched by the nop");
	r = ex.ops->step(&ex, 1, &o);
	CHECK(r == EXEC_STEPPED, "step 2 (inc eax): stepped (rc %d)", r);
	CHECK_EQ_U64(o.state.gpr[RAX], 42, "rax after inc eax");
	CHECK_EQ_U64(o.state.rip, LAYOUT_CODE + 3, "rip after inc eax");
	r = ex.ops->step(&ex, 1, &o);
	const struct exit_event *t = outcome_terminal(&o);
	CHECK(r == EXEC_ENDED && t && t->kind == EXIT_HLT && t->rip == LAYOUT_CODE + 4,
	      "step 3 ends the case at its HLT (rc %d, end %s, rip 0x%llx)", r,
	      t ? exit_kind_name((enum exit_kind)t->kind) : "-",
	      t ? (unsigned long long)t->rip : 0ull);
	CHECK(o.mem[0] == 0x90 && o.mem[3] == 0xf4, "the compared memory is KVM's (the code)");
	char note[200] = "";
	ex.ops->step_end(&ex, note, sizeof(note));
	CHECK(strstr(note, "kvm: 3 debug exits") == note, "the note counts the debug exits: \"%s\"",
	      note);

	case_init(&plain);
	snprintf(plain.id, sizeof(plain.id), "after-stepping");
	plain.code[0] = 0x0f, plain.code[1] = 0x0b; /* ud2 */
	plain.code_len = 2;
	r = ex.ops->run(&ex, &plain, &whole);
	t = outcome_terminal(&whole);
	CHECK(r == 0 && t && t->kind == EXIT_EXCEPTION && t->addr == 6,
	      "a whole case after stepping runs as usual: #UD (rc %d, %s %llu)", r,
	      t ? exit_kind_name((enum exit_kind)t->kind) : "-",
	      t ? (unsigned long long)t->addr : 0ull);
	ex.ops->fini(&ex);
	return check_done("test_kvm_step_ops");
}
