#include <stddef.h>
#include <string.h>
#include "case.h"
#include "layout.h"

static const char *const gpr_names[GPR_COUNT] = {
	"rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
	"r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15",
};

static const char *const mode_names[MODE_COUNT] = {
	[MODE_LONG64] = "long64",
	[MODE_PROT32] = "prot32",
	[MODE_PROT32PG] = "prot32-paged",
	[MODE_REAL16] = "real16",
	[MODE_COMPAT32] = "compat32",
	[MODE_PROT32PAE] = "prot32-pae",
	[MODE_V86] = "v86",
};

static const char *const rflags_names[32] = {
	[0] = "CF", [2] = "PF", [4] = "AF", [6] = "ZF", [7] = "SF", [8] = "TF",
	[9] = "IF", [10] = "DF", [11] = "OF", [12] = "IOPL", [13] = "IOPL",
	[14] = "NT", [16] = "RF", [17] = "VM", [18] = "AC", [19] = "VIF",
	[20] = "VIP", [21] = "ID",
};

const char *rflags_bit_name(unsigned bit)
{
	return bit < 32 ? rflags_names[bit] : NULL;
}

void case_init_empty(struct test_case *c)
{
	memset(c, 0, offsetof(struct test_case, code));
	c->mode = MODE_LONG64;
	c->gpr[RSP] = LAYOUT_STACK_TOP;
	c->rflags = INITIAL_RFLAGS;
}

int case_equal(const struct test_case *x, const struct test_case *y)
{
	return !memcmp(x, y, offsetof(struct test_case, code)) &&
	       !memcmp(x->code, y->code, x->code_len) && !memcmp(x->data, y->data, x->data_len);
}

void case_init(struct test_case *c)
{
	memset(c, 0, sizeof(*c));
	case_init_empty(c);
}

const char *mode_name(enum cpu_mode m)
{
	return (unsigned)m < MODE_COUNT ? mode_names[m] : "?";
}

const char *gpr_name(enum gpr r)
{
	return (unsigned)r < GPR_COUNT ? gpr_names[r] : "?";
}

int gpr_from_name(const char *name)
{
	for (int i = 0; i < GPR_COUNT; i++)
		if (strcmp(name, gpr_names[i]) == 0)
			return i;
	return -1;
}

int case_arms_breakpoints(const struct test_case *c)
{
	for (uint32_t i = 0; i + 2 < c->code_len; i++) {
		unsigned dr = (c->code[i + 2] >> 3) & 7;
		if (c->code[i] == 0x0f && c->code[i + 1] == 0x23 && (dr == 7 || dr == 5))
			return 1;
	}
	return 0;
}
