/* A case that writes CR8 must not leak it into the next case: this KVM's
 * KVM_SET_SREGS leaves CR8 alone, so the executor resets it from inside the
 * guest. Checks the next case sees CR8 = 0 both in state and by MOV. */
#include <string.h>
#include "check.h"
#include "executor.h"

static struct executor kvm;
static struct outcome out;

static int run(const char *id, uint64_t rax, const uint8_t *code, unsigned len)
{
	struct test_case c;
	case_init(&c);
	snprintf(c.id, sizeof(c.id), "%s", id);
	c.gpr[RAX] = rax;
	memcpy(c.code, code, len);
	c.code_len = len;
	return kvm.ops->run(&kvm, &c, &out);
}

int main(void)
{
	SKIP_WITHOUT_KVM();
	kvm.ops = &kvm_executor_ops;
	if (kvm.ops->init(&kvm, kvm.err, sizeof(kvm.err)) < 0) {
		printf("FAILED: init: %s\n", kvm.err);
		return 1;
	}
	static const uint8_t write_cr8[] = { 0x44, 0x0f, 0x22, 0xc0, 0xf4 };      /* mov cr8, rax; hlt */
	static const uint8_t write_cr8_ud[] = { 0x44, 0x0f, 0x22, 0xc0, 0x0f, 0x0b }; /* ...; ud2 */
	static const uint8_t read_cr8[] = { 0x44, 0x0f, 0x20, 0xc0, 0xf4 };       /* mov rax, cr8; hlt */

	CHECK(run("write-cr8", 5, write_cr8, sizeof(write_cr8)) == 0, "case writing CR8=5 runs");
	CHECK_EQ_U64(out.state.cr8, 5, "its end state has CR8");
	CHECK(run("read-cr8", 0x77, read_cr8, sizeof(read_cr8)) == 0, "next case runs");
	CHECK_EQ_U64(out.state.gpr[RAX], 0, "next case reads CR8 = 0 with MOV");
	CHECK_EQ_U64(out.state.cr8, 0, "next case's end state has CR8 = 0");

	CHECK(run("write-cr8-ud", 9, write_cr8_ud, sizeof(write_cr8_ud)) == 0, "CR8 write ending in #UD runs");
	CHECK_EQ_U64(out.events[out.n_events - 1].addr, 6, "it ends with #UD");
	CHECK(run("read-cr8-again", 0x77, read_cr8, sizeof(read_cr8)) == 0, "next case runs");
	CHECK_EQ_U64(out.state.gpr[RAX], 0, "CR8 is reset after a faulting case too");
	kvm.ops->fini(&kvm);
	return check_done("test_kvm_cr8");
}
