/* The exitdiff command: one binary, one file per subcommand. */
#ifndef EXITDIFF_CLI_H
#define EXITDIFF_CLI_H

#include <stddef.h>
#include <stdint.h>
#include "executor.h"

/* Exit codes of every subcommand (README, docs/guide.md). */
enum { EXIT_AGREE = 0, EXIT_DIVERGE = 1, EXIT_USAGE = 2 };

int cmd_run(int argc, char **argv);
int cmd_replay(int argc, char **argv);
int cmd_bench(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_tmk(int argc, char **argv);
int cmd_convert(int argc, char **argv);
int cmd_gen(int argc, char **argv);
int cmd_fuzz(int argc, char **argv);

/* Parses a non-negative number (decimal, 0x hex); 0 or -1. (cmd_gen.c) */
int cli_parse_u64(const char *s, uint64_t *out);
/* --mode / --knobs of `gen` and `fuzz` (cmd_gen.c): parses v into cfg.
 * Returns 0, or -1 after printing the error as `exitdiff CMD: ...`. */
struct gen_config;
int cli_gen_option(const char *cmd, const char *opt, const char *v, struct gen_config *cfg);
int cmd_minimize(int argc, char **argv);
/* exitdiff run --lockstep FILE: KVM single-stepped beside the reference
 * (cli/cmd_lockstep.c, docs/lockstep.md). */
int cmd_lockstep(int argc, char **argv);

/* Both executors, set up once per process. The reference answers CPUID
 * with the table the KVM executor calibrated in its guest. */
struct session {
	struct executor kvm;
	struct executor ref;
	struct executor uc;     /* the Unicorn oracle (NEED_UNICORN) */
	struct executor native; /* the host CPU (NEED_NATIVE, native/) */
	struct executor vmm;    /* a VMM (NEED_VMM, vmm/) */
	const char *vmm_spec;
	int have_kvm, have_ref, have_uc, have_native, have_vmm;
	/* The side compared with the reference, as verdicts name it: "kvm",
	 * or "vmm:SPEC" when a VMM is opened without KVM (it takes KVM's
	 * place). */
	char hv_label[64];
};

/* NEED_UNICORN fails with a message when built without Unicorn. */
/* NEED_VMM: session_open_vmm names the VMM ("qemu-tcg" or a command line);
 * without NEED_KVM the reference answers CPUID as the VMM's guest does. */
enum { NEED_KVM = 1, NEED_REF = 2, NEED_UNICORN = 4, NEED_NATIVE = 8, NEED_VMM = 16 };

/* --oracle: runs Unicorn on a diverging case and prints one line saying
 * which side it takes, then the host CPU's line when it can run the case
 * (cli/oracle.c). Needs a session with NEED_UNICORN (and NEED_NATIVE). */
void oracle_report(struct session *s, const struct test_case *c,
		   const struct outcome *ref, const struct outcome *kvm);
/* Whose side Unicorn takes, in triage order: agreeing with the reference
 * points at KVM (first), with KVM at the reference. */
enum oracle_side {
	ORACLE_REFERENCE, ORACLE_NEITHER, ORACLE_BOTH, ORACLE_KVM, ORACLE_CANNOT, ORACLE_FAILED,
};
/* The same judgement as a value; detail gets the reason for NEITHER,
 * CANNOT and FAILED ("" otherwise). */
enum oracle_side oracle_judge(struct session *s, const struct test_case *c,
			      const struct outcome *ref, const struct outcome *kvm,
			      char *detail, size_t len);
const char *oracle_side_name(enum oracle_side s);
/* The same judgement by any executor ex (Unicorn, native): its outcome is
 * left in third, with the reference's masks copied in. */
enum oracle_side oracle_judge_by(struct executor *ex, const char *hv_label,
				 const struct test_case *c, const struct outcome *ref,
				 const struct outcome *kvm, struct outcome *third, char *detail,
				 size_t len);
/* Prints "oracle: WHO agrees with ..." for a judgement (detail may be
 * cut at its first newline); hv_label names the side in KVM's place. */
void oracle_print(const char *who, const char *hv_label, enum oracle_side side, char *detail);
int cmd_triage(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_env(int argc, char **argv);
#define EXITDIFF_VERSION "0.9"
/* Returns 0, or -1 after printing a one-line error. */
int session_open(struct session *s, unsigned need);
int session_open_vmm(struct session *s, unsigned need, const char *vmm_spec);
void session_close(struct session *s);

/* Prints "exitdiff CMD: message" to stderr. */
void cli_error(const char *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Collects *.case paths from a list of files and directories (recursing,
 * sorted). Returns the count, or -1 after printing an error. The array and
 * strings are malloc'd; free with paths_free. */
int collect_case_paths(const char *cmd, char **args, int nargs, char ***out);
void paths_free(char **paths, int n);

#endif
