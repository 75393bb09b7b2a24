/* exitdiff env: the host fingerprint every recorded expectation carries
 * (kernel, KVM backend, CPU vendor/family.model.stepping, microcode, a hash
 * of the CPUID table the guest reads, KVM's parameters), and whether CPL3
 * code reads the host CPU's CPUID. */
#include <stdio.h>
#include <string.h>
#include "cli.h"

int cmd_env(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		cli_error("env", "unknown option '%s' (usage: exitdiff env)", argv[i]);
		return EXIT_USAGE;
	}
	struct session s;
	char line[1024];
	if (session_open(&s, NEED_KVM) < 0) {
		/* Without KVM the host part still says where we are. */
		struct environment_info env = { 0 };
		environment_from_host(&env);
		environment_format(&env, line, sizeof(line));
		printf("env %s\n", line);
		return EXIT_USAGE;
	}
	environment_format(&s.kvm.env, line, sizeof(line));
	printf("env %s\n", line);
	printf("cpuid at cpl3: %s\n", s.kvm.cpuid && s.kvm.cpuid->user ?
	       "the host CPU answers (differs from CPL0's; APIC IDs not compared)" :
	       "as at CPL0");

	session_close(&s);
	return EXIT_AGREE;
}
