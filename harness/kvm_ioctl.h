/* The checked KVM ioctl and the names of KVM ioctls (kvm_ioctls.def), the
 * lowest layer of the KVM library (kvm_lib.h). */
#ifndef EXITDIFF_KVM_IOCTL_H
#define EXITDIFF_KVM_IOCTL_H

#include <stddef.h>

/*
 * The checked ioctl (the raw one is ioctl(2) itself, for hot paths that
 * classify errno). Returns what ioctl returned; on -1, err holds
 * "KVM_SET_SREGS: Invalid argument" (with what's text in brackets after
 * the name when what is not NULL) and errno is kept for the caller.
 */
int kvm_ioctl(int fd, unsigned long req, void *arg, char *err, size_t errlen);
int kvm_ioctl_what(int fd, unsigned long req, void *arg, char *err, size_t errlen,
		   const char *what, ...) __attribute__((format(printf, 6, 7)));
/* The name of a KVM ioctl ("KVM_RUN"), NULL when not one we issue. */
const char *kvm_ioctl_name(unsigned long req);

#endif
