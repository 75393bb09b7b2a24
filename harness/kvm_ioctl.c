/* The checked KVM ioctl: an error names the ioctl from one table
 * (kvm_ioctls.def) instead of a string typed at every call. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <linux/kvm.h>
#include "kvm_ioctl.h"

static const struct {
	unsigned long req;
	const char *name;
} names[] = {
#define X(req) { req, #req },
#include "kvm_ioctls.def"
#undef X
};

const char *kvm_ioctl_name(unsigned long req)
{
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].req == req)
			return names[i].name;
	return NULL;
}

static void describe(unsigned long req, int e, char *err, size_t errlen, const char *what)
{
	const char *name = kvm_ioctl_name(req);
	char num[32];
	if (!name) {
		snprintf(num, sizeof(num), "ioctl 0x%lx", req);
		name = num;
	}
	if (what && *what)
		snprintf(err, errlen, "%s (%s): %s", name, what, strerror(e));
	else
		snprintf(err, errlen, "%s: %s", name, strerror(e));
}

int kvm_ioctl(int fd, unsigned long req, void *arg, char *err, size_t errlen)
{
	int rc = ioctl(fd, req, arg);
	if (rc < 0 && err) {
		int e = errno;
		describe(req, e, err, errlen, NULL);
		errno = e;
	}
	return rc;
}

int kvm_ioctl_what(int fd, unsigned long req, void *arg, char *err, size_t errlen,
		   const char *what, ...)
{
	int rc = ioctl(fd, req, arg);
	if (rc < 0 && err) {
		int e = errno;
		char w[160];
		va_list ap;
		va_start(ap, what);
		vsnprintf(w, sizeof(w), what, ap);
		va_end(ap);
		describe(req, e, err, errlen, w);
		errno = e;
	}
	return rc;
}
