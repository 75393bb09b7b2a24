/*
 * The host kernel log (/dev/kmsg) as an oracle: a KVM complaint, WARNING,
 * BUG, Oops, KASAN or UBSAN report printed while a case ran is a finding,
 * filed under the message with its numbers removed ("kmsg/kvm-pvm:
 * INTERNAL_ERROR after native exit: vec=N err=N rip=N cpl=N"). Rate-limit
 * notes ("N callbacks suppressed") are counted, never saved.
 *
 * Reading costs one non-blocking read() per poll when nothing is new
 * (EAGAIN; measured 0.4-0.5 us on this host), so campaigns poll after every
 * case. See docs/campaigns.md "The host kernel log".
 */
#ifndef EXITDIFF_KMSG_H
#define EXITDIFF_KMSG_H

#include <stddef.h>
#include <stdint.h>

/* Environment variable overriding the device path (tests). */
#define KMSG_DEVICE_ENV "EXITDIFF_KMSG"
#define KMSG_DEVICE_DEFAULT "/dev/kmsg"
/* A multi-line report (WARNING splat, KASAN) whose end marker never came
 * ends after this many lines. */
#define KMSG_REPORT_MAX_LINES 200

enum kmsg_class {
	KMSG_OTHER = 0,     /* not about KVM, not a report: ignored */
	KMSG_FINDING,       /* a finding: key filled */
	KMSG_REPORT_BODY,   /* a line inside a report whose header was the finding */
	KMSG_SUPPRESSED,    /* "N callbacks suppressed": counted in suppressed */
};

/* What a stream of kernel messages has shown so far: the report a line
 * belongs to, and the counts. */
struct kmsg_attr {
	int in_report;      /* lines left in the current report, 0 = none */
	uint64_t findings, suppressed, body_lines;
};

/* Classifies the next message of a stream (the text of one record, no
 * prefix). For KMSG_FINDING, key gets "kmsg/" + the message with every
 * number removed (kmsg_strip_numbers), cut to keylen; and *pid the process
 * the message names ("pid N", "PID: N"), or 0. */
enum kmsg_class kmsg_classify(struct kmsg_attr *a, const char *msg, char *key, size_t keylen,
			      long *pid);
/* The message with every number (decimal, 0x-hex, bare hex words with a
 * digit, hex words after '=' or '/') replaced by N: "vec=14 err=0x4" -> "vec=N err=N"; names that
 * contain digits stay ("x86", "CR3", "vcpu0"). */
void kmsg_strip_numbers(const char *msg, char *out, size_t outlen);
/* The text of a /dev/kmsg record "PRI,SEQ,TS,FLAGS;TEXT\n[ KEY=VAL\n]..."
 * (first line only) into msg. Returns 0, or -1 when rec is not a record. */
int kmsg_record_text(const char *rec, size_t len, char *msg, size_t msglen);

struct kmsg_reader {
	int fd;             /* -1 when the log is not watched */
	struct kmsg_attr attr;
	uint64_t records, lost;
};
/* Opens the log non-blocking, positioned at its end (only what is printed
 * from now on is read). Returns 0, or -1 with err (no access: EACCES/EPERM
 * without CAP_SYSLOG when dmesg_restrict is set). */
int kmsg_open(struct kmsg_reader *r, char *err, size_t errlen);
/* Reads every record printed since the last call and hands each message
 * to fn. Returns the number of records read (0 after one read() that says
 * EAGAIN). Records the kernel overwrote before they were read are counted
 * in lost. */
typedef void (*kmsg_fn)(void *ctx, const char *msg);
unsigned kmsg_drain(struct kmsg_reader *r, kmsg_fn fn, void *ctx);
void kmsg_close(struct kmsg_reader *r);

#endif
