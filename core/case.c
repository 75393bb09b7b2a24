#include <string.h>
#include "case.h"
#include "layout.h"

static const char *const gpr_names[GPR_COUNT] = {
	"rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
	"r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15",
};

static const char *const mode_names[MODE_COUNT] = {
	[MODE_LONG64] = "long64",
};

void case_init(struct test_case *c)
{
	memset(c, 0, sizeof(*c));
	c->mode = MODE_LONG64;
	c->gpr[RSP] = LAYOUT_STACK_TOP;
	c->rflags = INITIAL_RFLAGS;
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
