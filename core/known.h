/* The known-divergence list: signatures a campaign counts but does not save
 * as new. File format, one entry per line:
 *
 *   [KNOB,KNOB] SIGNATURE  reason text   # comments and blank lines ignored
 *
 * A signature with a '*' is a pattern: '*' matches any run of characters
 * (fnmatch), so "exception#PF/exception#PF:mem:*" or "hlt/hlt:*:tzcnt".
 * The optional leading [knobs] (names from core/knobs.c) makes the entry
 * hold only for cases with all those knobs: a KVM behaviour a knob brings
 * out whose signature alone would also name other bugs. Host conditions
 * stand among them: vendor=intel|amd and backend=MODULE (kvm_pvm, kvm_intel,
 * kvm_amd) make the entry hold only on such a host ("[backend=kvm_pvm,cpl3]"),
 * so a divergence seen on one backend or CPU is not assumed on another.
 * vmm=NAME (vmm/vmm.h: qemu-tcg) makes it hold only where that VMM is the
 * executor compared with the reference ("[vmm=qemu-tcg]"); there, entries
 * without it, which describe KVM, do not hold.
 *
 *   [KNOB,...] {REF/KVM CLASS FAMILY MODE [KNOBS]}  reason
 *
 * names a root-cause cluster (core/cluster.h) instead of one signature:
 * it holds for every bucket key whose cluster key matches, so one line
 * accepts one cause seen through many instructions. The four fields are
 * matched with fnmatch ('*' for any run: "{exception#NM/exception#* exception fpu
 * long64 [cpl3,cr0.ts]}"); the knob part, as the summary prints it, is
 * the entry's knob condition ("[none]", "[?]", "[*]" or none at all: any
 * case). A signature entry that matches is taken before any cluster
 * entry. */
#ifndef EXITDIFF_KNOWN_H
#define EXITDIFF_KNOWN_H

#include <stddef.h>
#include <stdint.h>
#include "config.h"

struct known_entry {
	char sig[SIGNATURE_MAX];
	char reason[200];
	int prefix;          /* sig holds a '*': a pattern, matched with fnmatch */
	int cluster;         /* sig is a cluster-key pattern (REF/KVM CLASS FAMILY MODE) */
	uint32_t knobs;      /* KNOB_* bits a case needs for the entry to hold, 0: any */
	int vendor;          /* enum cpu_vendor the host must have, 0: any */
	char backend[16];    /* KVM module the host must run, "": any */
	char vmm[32];        /* the VMM executor it holds for, "": KVM */
	unsigned line;
	/* strlen(sig), and how many of its first bytes are literal (before
	 * any of * ? [ \): a key that differs there cannot match, so most
	 * entries are passed over without fnmatch. */
	uint16_t len, lit;
	uint8_t brackets;    /* sig holds [ or \: fnmatch, not the plain matcher */
	/* A pattern's longest run of literal bytes (sig + seg, seg_len
	 * bytes): a key without it cannot match. */
	uint16_t seg, seg_len;
};

/* An entry's literal head (its first bytes before any wildcard, up to
 * KNOWN_HEAD_MAX) as a length and a hash: kept apart from the entries
 * (~450 bytes each), so a lookup reads 8 bytes an entry and passes over
 * nearly all of them without touching the entry (a scan of the entries
 * themselves took ~15 us, cache misses mostly). */
#define KNOWN_HEAD_MAX 24
struct known_head {
	uint32_t hash;
	uint32_t len;
};

struct known_list {
	struct known_entry *e;
	struct known_head *head; /* head[i] is e[i]'s */
	size_t n, cap;
	uint32_t knob_entries; /* entries with a knob condition */
	/* The VMM the list is looked up for (vmm/vmm.h's profile name,
	 * "command" for a VMM given as a command line); "": KVM. */
	char vmm[32];
};

/* Parses text (len bytes) into k (appending). filename is for messages.
 * Returns 0, or -1 with "FILE:LINE: message" in err. */
int known_parse(struct known_list *k, const char *text, size_t len,
		const char *filename, char *err, size_t errlen);
/* Reads and parses a file. Returns 0, or -1 with the reason in err. */
int known_load(struct known_list *k, const char *path, char *err, size_t errlen);
/* The entry matching sig (exact before prefix) among those without a knob
 * condition, or NULL. */
const struct known_entry *known_find(const struct known_list *k, const char *sig);
/* The same among the entries whose knobs a case with knobs has (exact
 * before pattern, then the longest pattern; an unconditional entry before
 * a conditional one of the same rank), then among the cluster entries
 * matching sig's cluster key (the longest pattern first). */
const struct known_entry *known_find_for(const struct known_list *k, const char *sig,
					 uint32_t knobs);
void known_free(struct known_list *k);

#endif
