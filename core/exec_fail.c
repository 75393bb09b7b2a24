/* Names a hypervisor failure of an executor, so a campaign can file it
 * like a divergence: "executor#ERRNO/WHERE" (docs/formats.md). The
 * symbolic errno name, not its text, keeps the signature short and the
 * same across C libraries' wordings. */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>
#include "executor.h"

void exec_fail_signature(const struct executor *ex, char *sig, size_t len)
{
	const char *name = ex->fail_errno ? strerrorname_np(ex->fail_errno) : "none";
	char num[16];
	if (!name) {
		snprintf(num, sizeof(num), "E%d", ex->fail_errno);
		name = num;
	}
	snprintf(sig, len, "executor#%s/%s", name, ex->fail_where[0] ? ex->fail_where : "?");
}
