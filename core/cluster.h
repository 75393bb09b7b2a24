/* Root-cause clusters: a level above keys. Many findings are one cause
 * seen through different instructions (every SSE move raising #UD where
 * KVM raises #GP under no-osfxsr is one finding per mnemonic), so a
 * campaign's report leads with clusters and lists findings under them.
 *
 * A cluster key names what a person triages by:
 *
 *   REF_TERMINAL/KVM_TERMINAL FIELD_CLASS FAMILY MODE [KNOBS]
 *   exception#UD/exception#GP exception sse long64 [cpl3,no-osfxsr]
 *
 * the two terminal kinds with their vectors (from the signature), the
 * class of the first differing field (terminal, trace, exception, rip,
 * gpr, flags, sysreg, xmm, memory), the instruction family of the
 * signature's mnemonic (x87, sse, mmx, alu, bits, string, io, stack,
 * control, system, legacy, none), the key's mode and the knobs the
 * finding's case needs ("?" when unknown: a case the minimizer did not
 * reduce carries knobs that may not matter; "none" when it needs none). */
#ifndef EXITDIFF_CLUSTER_H
#define EXITDIFF_CLUSTER_H

#include <stddef.h>
#include <stdint.h>

/* The class of a signature's field ("rax" -> "gpr", "exception.vector" ->
 * "exception", "event.count" -> "trace", "xmm3.hi" -> "xmm"). */
const char *cluster_field_class(const char *field);
/* The instruction family of a mnemonic ("movaps" -> "sse", "fstp" ->
 * "x87", "rep movsb" -> "string", "ljmp" -> "control"). */
const char *cluster_family(const char *mnemonic);

/* The family a cluster key names: cluster_family, with x87, MMX and SSE
 * as one "fpu" (one state, one set of control bits). */
const char *cluster_cause_family(const char *mnemonic);

/* The cluster key without its knobs: "REF/KVM CLASS FAMILY MODE", what a
 * known-list cluster entry is matched against (core/known.h). Returns 0,
 * or -1 when key is not a signature (buf then holds key itself). */
int cluster_key_head(const char *key, char *buf, size_t len);

/* The cluster key of bucket key (signature[@MODE]) whose case needs knobs
 * (knobs_needed 0: not known, printed "?"). Returns 0, or -1 when key is
 * not a signature (buf then holds key itself). */
int cluster_key(const char *key, uint32_t knobs, int knobs_needed, char *buf, size_t len);

#endif
