/* Cluster keys from keys (cluster.h). Tables, not code: a mnemonic
 * family is the first row that matches, so the order of rows matters
 * (SSE before string: "movsd" and "insertps" are SSE; string before
 * system: "movsb" is no MOV). */
#include <stdio.h>
#include <string.h>
#include "case.h"
#include "cluster.h"
#include "finding.h"
#include "knobs.h"

const char *cluster_field_class(const char *field)
{
	static const struct {
		const char *prefix, *cls;
	} rows[] = {
		{ "terminal", "terminal" }, { "event.", "trace" }, { "exception.", "exception" },
		{ "rip", "rip" }, { "rflags", "flags" }, { "xmm", "xmm" }, { "mem", "memory" },
		{ "cr", "sysreg" }, { "efer", "sysreg" }, { "unsupported", "none" },
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		if (!strncmp(field, rows[i].prefix, strlen(rows[i].prefix)))
			return rows[i].cls;
	if (gpr_from_name(field) >= 0)
		return "gpr";
	static const char *const segs[] = { "cs", "ss", "ds", "es", "fs", "gs" };
	for (size_t i = 0; i < sizeof(segs) / sizeof(segs[0]); i++)
		if (!strcmp(field, segs[i]))
			return "sysreg";
	return "other";
}

/* Exact mnemonics first, then prefix rows. */
static const struct {
	const char *name, *family;
} exact[] = {
	{ "-", "none" }, { "(bad)", "undecodable" }, { "step-budget", "none" },
	{ "wait", "x87" }, { "fwait", "x87" },
	{ "emms", "mmx" },
	{ "movsx", "alu" }, { "movsxd", "alu" }, { "movzx", "alu" }, { "sahf", "alu" },
	{ "lahf", "alu" }, { "ud0", "invalid" }, { "ud1", "invalid" }, { "ud2", "invalid" },
	{ "in", "io" }, { "out", "io" },
	{ "pause", "alu" }, { "popcnt", "bits" }, { "popf", "stack" }, { "popfd", "stack" },
	{ "popfq", "stack" }, { "popal", "stack" }, { "popaw", "stack" }, { "pop", "stack" },
	{ "push", "stack" }, { "pushf", "stack" }, { "pushfd", "stack" }, { "pushfq", "stack" },
	{ "pushal", "stack" }, { "pushaw", "stack" }, { "enter", "stack" }, { "leave", "stack" },
	{ "hlt", "system" }, { "cli", "system" }, { "sti", "system" }, { "stac", "system" },
	{ "clac", "system" }, { "cpuid", "system" }, { "clts", "system" }, { "invd", "system" },
	{ "wbinvd", "system" }, { "invlpg", "system" }, { "swapgs", "system" },
	{ "monitor", "system" }, { "mwait", "system" }, { "lar", "system" }, { "lsl", "system" },
	{ "verr", "system" }, { "verw", "system" }, { "lss", "system" }, { "lfs", "system" },
	{ "lgs", "system" }, { "lds", "system" }, { "les", "system" },
	{ "daa", "legacy" }, { "das", "legacy" }, { "aaa", "legacy" }, { "aas", "legacy" },
	{ "aam", "legacy" }, { "aad", "legacy" }, { "bound", "legacy" }, { "arpl", "legacy" },
	{ "into", "control" }, { "int", "control" }, { "int1", "control" }, { "int3", "control" },
	{ "syscall", "control" }, { "sysret", "control" }, { "sysretq", "control" },
	{ "sysenter", "control" }, { "sysexit", "control" }, { "call", "control" },
	{ "lcall", "control" }, { "ret", "control" }, { "retf", "control" }, { "lret", "control" },
	{ "jmp", "control" }, { "ljmp", "control" }, { "loop", "control" }, { "loope", "control" },
	{ "loopne", "control" }, { "jcxz", "control" }, { "jecxz", "control" },
	{ "jrcxz", "control" },
	{ "movd", "sse" }, { "movq", "sse" }, { "movnti", "sse" },
	{ "bt", "bits" }, { "bts", "bits" }, { "btr", "bits" }, { "btc", "bits" },
	{ "bsf", "bits" }, { "bsr", "bits" }, { "lzcnt", "bits" }, { "tzcnt", "bits" },
	{ "bswap", "bits" },
};

static const struct {
	const char *prefix, *family;
} prefixes[] = {
	/* SSE and MMX by their shapes: packed integer (a leading p), the
	 * ps/pd/ss/sd suffixes (checked before this table), MXCSR, state
	 * save, non-temporal moves, the movdq forms. MMX and SSE share the
	 * packed-integer mnemonics, so both count as "sse". */
	{ "movdq", "sse" }, { "movnt", "sse" }, { "ldmxcsr", "sse" }, { "stmxcsr", "sse" },
	{ "fxsave", "sse" }, { "fxrstor", "sse" }, { "xsave", "sse" }, { "xrstor", "sse" },
	{ "xgetbv", "system" }, { "xsetbv", "system" }, { "clflush", "sse" },
	{ "lfence", "sse" }, { "sfence", "sse" }, { "mfence", "sse" },
	{ "push", "stack" }, { "pop", "stack" },
	{ "p", "sse" },
	{ "f", "x87" },
	{ "rep", "string" }, { "movs", "string" }, { "cmps", "string" }, { "scas", "string" },
	{ "lods", "string" }, { "stos", "string" }, { "ins", "string" }, { "outs", "string" },
	{ "rdmsr", "system" }, { "wrmsr", "system" }, { "rdtsc", "system" }, { "rdpmc", "system" },
	{ "rdpid", "system" }, { "rdrand", "system" }, { "rdseed", "system" },
	{ "rdfsbase", "system" }, { "rdgsbase", "system" }, { "wrfsbase", "system" },
	{ "wrgsbase", "system" }, { "lgdt", "system" }, { "lidt", "system" }, { "sgdt", "system" },
	{ "sidt", "system" }, { "sldt", "system" }, { "lldt", "system" }, { "str", "system" },
	{ "ltr", "system" }, { "smsw", "system" }, { "lmsw", "system" },
	{ "iret", "control" }, { "j", "control" },
	{ "sh", "bits" }, { "sa", "bits" }, { "ro", "bits" }, { "rc", "bits" },
	{ "cmpxchg", "alu" }, { "xadd", "alu" },
};

static int ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);
	return n > k && !strcmp(s + n - k, suffix);
}

const char *cluster_family(const char *m)
{
	for (size_t i = 0; i < sizeof(exact) / sizeof(exact[0]); i++)
		if (!strcmp(m, exact[i].name))
			return exact[i].family;
	/* Scalar and packed floating point: addps, cvtsd2si, movss, ... The
	 * string MOVSD/CMPSD share their names with the SSE moves; the
	 * generator emits the SSE forms far more often, and a REP string form
	 * is named "rep movsd" (string, checked first). */
	if (!strncmp(m, "rep", 3))
		return "string";
	if (ends_with(m, "ps") || ends_with(m, "pd") || ends_with(m, "ss") || ends_with(m, "sd") ||
	    !strncmp(m, "cvt", 3) || !strncmp(m, "ucomis", 6) || !strncmp(m, "comis", 5))
		return "sse";
	for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++)
		if (!strncmp(m, prefixes[i].prefix, strlen(prefixes[i].prefix)))
			return prefixes[i].family;
	return "alu";
}

/* The family a cluster is keyed by: x87, MMX and SSE are one "fpu". They
 * share one state and one set of controls (CR0.EM/TS/MP, CR4.OSFXSR; SDM
 * Vol. 3A 2.5 and 13.1), and KVM handles them in one place (the FPU
 * state, #NM, and at CPL3 on kvm_pvm the host's bits): a 60 s campaign
 * made one cluster per family of the same CR0.TS cause. */
const char *cluster_cause_family(const char *mnemonic)
{
	const char *f = cluster_family(mnemonic);
	return !strcmp(f, "x87") || !strcmp(f, "sse") || !strcmp(f, "mmx") ? "fpu" : f;
}

/* "exception#V" when the reference's terminal is an exception the KVM
 * terminal does not repeat (another vector, KVM ran on to HLT, or the
 * same vector at another instruction): the reference stopped at an
 * exception KVM did not raise there. What KVM did
 * instead follows from the instruction's operands (a memory operand
 * faults #PF, a misaligned one #GP, none runs on to more exits), not from
 * the cause, so those cases are one cluster "exception#V/missed" whose
 * field class is "exception". A KVM that failed (internal_error,
 * shutdown, timeout) keeps its own terminal: that is a cause of its own. */
static int missed_exception(const char *ref, const char *kvm, const char *field)
{
	if (strncmp(ref, "exception#", 10))
		return 0;
	if (!strcmp(ref, kvm))
		return !strcmp(field, "exception.rip");
	return !strncmp(kvm, "exception#", 10) || !strcmp(kvm, "hlt");
}

/* A terminal as a cluster names it: a software interrupt's vector (32 and
 * up: no architectural exception has one) is one "exception#INTn", so
 * INT 0x80 and INT 0xFD that KVM mishandles alike are one cause. */
static const char *cluster_terminal(const char *t, char *buf, size_t len)
{
	unsigned v;
	char rest;
	if (sscanf(t, "exception#%u%c", &v, &rest) == 1 && v >= 32) {
		snprintf(buf, len, "exception#INTn");
		return buf;
	}
	return t;
}

int cluster_key_head(const char *key, char *buf, size_t len)
{
	char sig[SIGNATURE_MAX];
	finding_key_base(sig, key);
	/* REF/KVM:FIELD:MNEMONIC; a known-list key may carry "[knobs]". */
	char *c1 = strchr(sig, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
	char *slash = strchr(sig, '/');
	if (!c1 || !c2 || !slash || slash > c1) {
		snprintf(buf, len, "%s", key);
		return -1;
	}
	*c1 = *c2 = *slash = 0;
	const char *ref = sig, *kvm = slash + 1, *cls = cluster_field_class(c1 + 1);
	if (missed_exception(ref, kvm, c1 + 1)) {
		kvm = "missed";
		cls = "exception";
	}
	char rb[24], kb[24];
	/* Both end in the same exception and only the exits before it differ:
	 * KVM's emulator touches an operand (an MMIO read) before it raises
	 * what the CPU raises at once, whatever the instruction: one cause,
	 * not one per family. */
	const char *fam = !strncmp(ref, "exception#", 10) && !strcmp(ref, kvm) &&
			  !strcmp(cls, "trace") ? "any" : cluster_cause_family(c2 + 1);
	snprintf(buf, len, "%s/%s %s %s %s", cluster_terminal(ref, rb, sizeof(rb)),
		 cluster_terminal(kvm, kb, sizeof(kb)), cls, fam,
		 mode_name((enum cpu_mode)finding_key_mode(key)));
	return 0;
}

int cluster_key(const char *key, uint32_t knobs, int knobs_needed, char *buf, size_t len)
{
	char head[160];
	if (cluster_key_head(key, head, sizeof(head)) < 0) {
		snprintf(buf, len, "%s", key);
		return -1;
	}
	char kn[128] = "?";
	if (knobs_needed && !knobs)
		snprintf(kn, sizeof(kn), "none");
	else if (knobs_needed) {
		knobs_format(knobs, kn, sizeof(kn));
		for (char *p = kn; *p; p++)
			if (*p == ' ')
				*p = ',';
	}
	snprintf(buf, len, "%s [%s]", head, kn);
	return 0;
}
