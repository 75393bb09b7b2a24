/* Cluster keys (core/cluster.h): field classes, instruction families and
 * the key of a bucket key, against classifications read off the SDM's
 * instruction groups (Vol. 1 ch. 5), not off the code; buckets of one
 * cause that must share a cluster, and ones that must not. */
#include <string.h>
#include "check.h"
#include "cluster.h"
#include "knobs.h"

int main(void)
{
	static const struct {
		const char *field, *cls;
	} fields[] = {
		{ "terminal", "terminal" }, { "event.count", "trace" }, { "event.data", "trace" },
		{ "exception.vector", "exception" }, { "exception.rip", "exception" },
		{ "rip", "rip" }, { "rax", "gpr" }, { "r15", "gpr" }, { "rflags.cf", "flags" },
		{ "cr0", "sysreg" }, { "cr8", "sysreg" }, { "efer", "sysreg" }, { "fs", "sysreg" },
		{ "xmm3.hi", "xmm" }, { "mem", "memory" },
	};
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		const char *got = cluster_field_class(fields[i].field);
		CHECK(!strcmp(got, fields[i].cls), "field %s is class %s (got %s)", fields[i].field,
		      fields[i].cls, got);
	}
	static const struct {
		const char *m, *family;
	} fams[] = {
		{ "fld1", "x87" }, { "fninit", "x87" }, { "fstp", "x87" }, { "wait", "x87" },
		{ "movaps", "sse" }, { "movups", "sse" }, { "xorps", "sse" }, { "pxor", "sse" },
		{ "movdqa", "sse" }, { "movq", "sse" }, { "cvtsi2sd", "sse" }, { "fxsave", "sse" },
		{ "emms", "mmx" },
		{ "add", "alu" }, { "mov", "alu" }, { "movzx", "alu" }, { "movsx", "alu" },
		{ "imul", "alu" }, { "shl", "bits" }, { "rcr", "bits" }, { "tzcnt", "bits" },
		{ "movsb", "string" }, { "rep movsd", "string" }, { "rep stosd", "string" },
		{ "lodsb", "string" }, { "in", "io" }, { "out", "io" },
		{ "push", "stack" }, { "popfq", "stack" }, { "leave", "stack" },
		{ "jmp", "control" }, { "jne", "control" }, { "ljmp", "control" },
		{ "iretq", "control" }, { "syscall", "control" }, { "int3", "control" },
		{ "rdtsc", "system" }, { "xgetbv", "system" }, { "sgdt", "system" },
		{ "wrmsr", "system" }, { "str", "system" }, { "stosb", "string" },
		{ "daa", "legacy" }, { "ud2", "invalid" }, { "(bad)", "undecodable" },
		{ "popcnt", "bits" }, { "pause", "alu" },
	};
	for (size_t i = 0; i < sizeof(fams) / sizeof(fams[0]); i++) {
		const char *got = cluster_family(fams[i].m);
		CHECK(!strcmp(got, fams[i].family), "mnemonic %s is family %s (got %s)", fams[i].m,
		      fams[i].family, got);
	}

	char k[192];
	int rc = cluster_key("exception#UD/exception#GP:exception.vector:movups", KNOB_CPL3 | KNOB_NO_OSFXSR,
			     1, k, sizeof(k));
	CHECK(rc == 0 && !strcmp(k, "exception#UD/missed exception fpu long64 [cpl3,no-osfxsr]"),
	      "cluster of a long64 SSE bucket: %s", k);
	char k2[192];
	cluster_key("exception#UD/exception#GP:exception.vector:xorps", KNOB_CPL3 | KNOB_NO_OSFXSR, 1,
		    k2, sizeof(k2));
	CHECK(!strcmp(k, k2), "movups and xorps buckets share the cluster (%s)", k2);
	cluster_key("hlt/hlt:rax:add@real16", 0, 1, k, sizeof(k));
	CHECK(!strcmp(k, "hlt/hlt gpr alu real16 [none]"), "a real16 bucket names its mode: %s", k);
	cluster_key("hlt/hlt:rax:add@real16", KNOB_CR0_TS, 0, k, sizeof(k));
	CHECK(!strcmp(k, "hlt/hlt gpr alu real16 [?]"), "knobs not shown needed print as ?: %s", k);
	/* Software interrupt vectors are one terminal: INT 0x80 and INT 0xFD
	 * that KVM mishandles alike are one cause; #GP stays its own. */
	cluster_key("exception#128/timeout:terminal:int@real16", 0, 1, k, sizeof(k));
	cluster_key("exception#253/timeout:terminal:int@real16", 0, 1, k2, sizeof(k2));
	CHECK(!strcmp(k, k2) && !strcmp(k, "exception#INTn/timeout terminal control real16 [none]"),
	      "INT 0x80 and INT 0xFD share a cluster (%s | %s)", k, k2);
	cluster_key("exception#GP/timeout:terminal:int@real16", 0, 1, k2, sizeof(k2));
	CHECK(strcmp(k, k2) != 0, "an architectural vector keeps its name (%s)", k2);
	/* The same exception with an extra exit before it: one cause across
	 * instruction families; a different field keeps the family. */
	cluster_key("exception#UD/exception#UD:event.count:sar@real16", 0, 1, k, sizeof(k));
	cluster_key("exception#UD/exception#UD:event.count:ltr@real16", 0, 1, k2, sizeof(k2));
	CHECK(!strcmp(k, k2) && !strcmp(k, "exception#UD/exception#UD trace any real16 [none]"),
	      "an extra exit before the same #UD: one cluster across families (%s | %s)", k, k2);
	cluster_key("hlt/hlt:event.count:sar@real16", 0, 1, k2, sizeof(k2));
	CHECK(!strcmp(k2, "hlt/hlt trace bits real16 [none]"), "other traces keep their family (%s)", k2);
	/* One cause, many symptoms: x87, MMX and SSE share their control bits,
	 * and what KVM did instead of the reference's exception follows from
	 * the operands. Each of these once made a cluster of its own under
	 * CR0.TS at CPL3 (kvm_pvm runs CPL3 code with the host's FPU bits). */
	static const char *const ts_cpl3[] = {
		"exception#NM/exception#PF:exception.vector:movups",
		"exception#NM/exception#PF:exception.vector:fninit",
		"exception#NM/exception#UD:exception.vector:pxor",
		"exception#NM/exception#GP:event.count:movaps",
		"exception#NM/hlt:terminal:fld1",
	};
	for (size_t i = 0; i < sizeof(ts_cpl3) / sizeof(ts_cpl3[0]); i++) {
		cluster_key(ts_cpl3[i], KNOB_CPL3 | KNOB_CR0_TS, 1, k, sizeof(k));
		CHECK(!strcmp(k, "exception#NM/missed exception fpu long64 [cpl3,cr0.ts]"),
		      "%s: the missed #NM cluster (got %s)", ts_cpl3[i], k);
	}
	cluster_key("exception#UD/exception#UD:exception.rip:movaps", KNOB_CPL3 | KNOB_NO_OSFXSR, 1, k,
		    sizeof(k));
	CHECK(!strcmp(k, "exception#UD/missed exception fpu long64 [cpl3,no-osfxsr]"),
	      "the same vector at another instruction is missed there too: %s", k);
	cluster_key("exception#NM/internal_error:terminal:fld1", KNOB_CR0_TS, 1, k, sizeof(k));
	CHECK(!strcmp(k, "exception#NM/internal_error terminal fpu long64 [cr0.ts]"),
	      "a KVM that failed keeps its terminal (another cause): %s", k);
	cluster_key("exception#PF/exception#PF:event.count:lcall", 0, 1, k, sizeof(k));
	CHECK(!strcmp(k, "exception#PF/exception#PF trace any long64 [none]"),
	      "the same exception after other exits is no missed one: %s", k);
	cluster_key("hlt/exception#PF:terminal:mov", 0, 1, k, sizeof(k));
	CHECK(!strcmp(k, "hlt/exception#PF terminal alu long64 [none]"),
	      "an exception only KVM raised keeps its vector: %s", k);
	rc = cluster_key_head("exception#UD/exception#GP:exception.vector:xorps@prot32", k, sizeof(k));
	CHECK(rc == 0 && !strcmp(k, "exception#UD/missed exception fpu prot32"),
	      "the head of a cluster key has no knobs: %s", k);

	rc = cluster_key("not-a-signature", 0, 1, k, sizeof(k));
	CHECK(rc == -1 && !strcmp(k, "not-a-signature"), "a key that is no signature stays itself");
	return check_done("test_core_cluster");
}
