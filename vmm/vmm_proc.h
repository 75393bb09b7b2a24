/* The VMM process: its stdin and stdout are the guest's COM1. */
#ifndef EXITDIFF_VMM_PROC_H
#define EXITDIFF_VMM_PROC_H

#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

struct vmm_proc {
	pid_t pid;                 /* 0: not running */
	int to, from;              /* its stdin (we write), its stdout */
	FILE *errlog;              /* its stderr, kept for messages */
	int closed;                /* its output reached end of file */
	char buf[1 << 16];         /* what came from it, not yet a line */
	size_t len;
};

/* Starts command (sh -c) with {image} replaced by image and {shm} by shm
 * (the guest RAM file, or NULL). 0, or -1 with a reason in err. */
int vmm_proc_start(struct vmm_proc *p, const char *command, const char *image, const char *shm,
		   char *err, size_t errlen);
/* The next line (newline stripped, NUL-terminated, cut at cap) within ms.
 * Returns 1, 0 when ms passed, -1 when the VMM closed its output. */
int vmm_proc_line(struct vmm_proc *p, char *line, size_t cap, int ms);
/* Writes all of buf. 0, or -1 when the VMM no longer reads. */
int vmm_proc_write(struct vmm_proc *p, const void *buf, size_t n);
/* Ends the VMM (its whole process group) and reaps it; how it ended into
 * how ("exit status 0", "killed"), and the last line it wrote on stderr
 * into last (both may be NULL). */
void vmm_proc_stop(struct vmm_proc *p, char *how, size_t howlen, char *last, size_t lastlen);
/* Where a dying VMM says it failed, from its last words (vmm_proc_stop's
 * last): the source line of an assertion or abort ("serial.c:337",
 * "tcg.c:3243"), else the words after "fatal: " ("invalid-tss"), else "".
 * One crash of the VMM's, one bucket: the campaign files vmm:died:SITE. */
void vmm_crash_site(const char *words, char *site, size_t len);

#endif
