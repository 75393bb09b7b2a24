/* The host kernel log as an oracle: reading /dev/kmsg, and telling which
 * messages are findings and under which key (kmsg.h). */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "kmsg.h"

static int word_char(char c)
{
	return isalnum((unsigned char)c) || c == '_';
}

void kmsg_strip_numbers(const char *msg, char *out, size_t outlen)
{
	size_t o = 0;
	if (!outlen)
		return;
	for (size_t i = 0; msg[i] && o + 1 < outlen;) {
		if (!word_char(msg[i]) || (i > 0 && word_char(msg[i - 1]))) {
			out[o++] = msg[i++];
			continue;
		}
		/* A word starts at i: a number when it is 0x + hex, or hex
		 * digits that start with a digit, or a long hex word (a kernel
		 * address, "ffff8881...") with a digit in it. */
		size_t end = i, digits = 0, hex = 1;
		while (word_char(msg[end])) {
			digits += isdigit((unsigned char)msg[end]) != 0;
			hex &= isxdigit((unsigned char)msg[end]) != 0;
			end++;
		}
		size_t n = end - i;
		int is_0x = n > 2 && msg[i] == '0' && (msg[i + 1] == 'x' || msg[i + 1] == 'X');
		if (is_0x) {
			hex = 1;
			for (size_t j = i + 2; j < end; j++)
				hex &= isxdigit((unsigned char)msg[j]) != 0;
		}
		/* After '=' or '/' a word is a value: "idt=a000/ffff" is hex
		 * without 0x (kvm-pvm prints some so). */
		int value = i > 0 && (msg[i - 1] == '=' || msg[i - 1] == '/');
		int number = (is_0x && hex) || (hex && isdigit((unsigned char)msg[i])) ||
			     (hex && digits && n >= 8) || (hex && value);
		if (number) {
			out[o++] = 'N';
		} else {
			for (size_t j = i; j < end && o + 1 < outlen; j++)
				out[o++] = msg[j];
		}
		i = end;
	}
	out[o] = 0;
}

static int has_word_ci(const char *s, const char *w)
{
	size_t n = strlen(w);
	for (; *s; s++)
		if (!strncasecmp(s, w, n))
			return 1;
	return 0;
}

/* The first line of a kernel report: the kernel's own markers for a
 * WARN_ON splat, a BUG, an oops and the sanitizers. */
static int report_header(const char *m)
{
	static const char *const heads[] = {
		"WARNING:", "BUG:", "kernel BUG at", "Oops", "general protection fault",
		"UBSAN:", "KASAN:", "BUG: KASAN", "Kernel panic",
	};
	for (size_t i = 0; i < sizeof(heads) / sizeof(heads[0]); i++)
		if (strstr(m, heads[i]))
			return 1;
	return 0;
}

static int report_end(const char *m)
{
	return strstr(m, "---[ end trace") != NULL || !strncmp(m, "=====", 5);
}

/* The process a message names: kvm-pvm's "pid 1234", a splat's
 * "PID: 1234", KVM's vcpu_unimpl "kvm [1234]: ...". 0 when none. */
static long named_pid(const char *m)
{
	static const char *const forms[] = { "pid ", "PID: ", "kvm [" };
	for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		const char *p = strstr(m, forms[i]);
		size_t skip = strlen(forms[i]);
		if (p && (p == m || !word_char(p[-1])) && isdigit((unsigned char)p[skip]))
			return strtol(p + skip, NULL, 10);
	}
	return 0;
}

enum kmsg_class kmsg_classify(struct kmsg_attr *a, const char *msg, char *key, size_t keylen,
			      long *pid)
{
	*pid = 0;
	const char *sup = strstr(msg, " callbacks suppressed");
	if (sup) {
		/* "kvm_pvm: 37 callbacks suppressed": the number before it. */
		const char *p = sup;
		while (p > msg && isdigit((unsigned char)p[-1]))
			p--;
		a->suppressed += p < sup ? strtoull(p, NULL, 10) : 1;
		return KMSG_SUPPRESSED;
	}
	if (a->in_report) {
		/* A line of the report a header opened (its call trace names
		 * kvm functions too): part of that finding, not a new one. */
		a->in_report = report_end(msg) ? 0 : a->in_report - 1;
		a->body_lines++;
		return KMSG_REPORT_BODY;
	}
	int header = report_header(msg);
	if (!header && !has_word_ci(msg, "kvm"))
		return KMSG_OTHER;
	if (header)
		a->in_report = KMSG_REPORT_MAX_LINES;
	char stripped[512];
	kmsg_strip_numbers(msg, stripped, sizeof(stripped));
	snprintf(key, keylen, "kmsg/%s", stripped);
	*pid = named_pid(msg);
	a->findings++;
	return KMSG_FINDING;
}

int kmsg_record_text(const char *rec, size_t len, char *msg, size_t msglen)
{
	const char *semi = memchr(rec, ';', len);
	if (!semi || !msglen)
		return -1;
	/* The prefix is "PRI,SEQ,TS,FLAGS" (Documentation/ABI/testing/dev-kmsg). */
	for (const char *p = rec; p < semi; p++)
		if (!isdigit((unsigned char)*p) && *p != ',' && *p != '-' && *p != 'c' && *p != '+')
			return -1;
	const char *text = semi + 1, *end = rec + len;
	const char *nl = memchr(text, '\n', (size_t)(end - text));
	size_t n = (size_t)((nl ? nl : end) - text);
	if (n >= msglen)
		n = msglen - 1;
	memcpy(msg, text, n);
	msg[n] = 0;
	return 0;
}

int kmsg_open(struct kmsg_reader *r, char *err, size_t errlen)
{
	memset(r, 0, sizeof(*r));
	const char *dev = getenv(KMSG_DEVICE_ENV);
	if (!dev || !*dev)
		dev = KMSG_DEVICE_DEFAULT;
	r->fd = open(dev, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (r->fd < 0) {
		snprintf(err, errlen, "cannot read the kernel log %s: %s", dev, strerror(errno));
		return -1;
	}
	/* SEEK_END on /dev/kmsg: the next read returns the next record
	 * printed (Documentation/ABI/testing/dev-kmsg). */
	if (lseek(r->fd, 0, SEEK_END) < 0) {
		snprintf(err, errlen, "kernel log %s: seek to the end: %s", dev, strerror(errno));
		close(r->fd);
		r->fd = -1;
		return -1;
	}
	return 0;
}

unsigned kmsg_drain(struct kmsg_reader *r, kmsg_fn fn, void *ctx)
{
	/* One record per read(); a record is at most ~8 KiB (the kernel's
	 * CONSOLE_EXT_LOG_MAX), and a shorter buffer gives EINVAL. */
	char rec[8192], msg[1024];
	unsigned n = 0;
	while (r->fd >= 0) {
		ssize_t got = read(r->fd, rec, sizeof(rec) - 1);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0 && errno == EPIPE) {
			/* Overwritten before we read it; the next read goes on
			 * with the oldest record still there. */
			r->lost++;
			continue;
		}
		if (got <= 0)
			break;
		rec[got] = 0;
		r->records++;
		n++;
		if (kmsg_record_text(rec, (size_t)got, msg, sizeof(msg)) == 0)
			fn(ctx, msg);
	}
	return n;
}

void kmsg_close(struct kmsg_reader *r)
{
	if (r->fd >= 0)
		close(r->fd);
	r->fd = -1;
}
