/* Sets up the executors a subcommand needs, sharing the CPUID table. */
#include <stdio.h>
#include <string.h>
#include "cli.h"
#include "native.h"
#include "vmm.h"
#ifdef EXITDIFF_HAVE_UNICORN
#include "uc_oracle.h"
#endif

static int init_one(struct executor *ex, const struct executor_ops *ops,
		    struct cpuid_table *cpuid, const char *spec)
{
	memset(ex, 0, sizeof(*ex));
	ex->ops = ops;
	ex->cpuid = cpuid;
	ex->spec = spec;
	if (ops->init(ex, ex->err, sizeof(ex->err)) == 0)
		return 0;
	fprintf(stderr, "exitdiff: %s executor: %s\n", ops->name, ex->err);
	return -1;
}

int session_open(struct session *s, unsigned need)
{
	return session_open_vmm(s, need, NULL);
}

int session_open_vmm(struct session *s, unsigned need, const char *vmm_spec)
{
	memset(s, 0, sizeof(*s));
	s->vmm_spec = vmm_spec;
	if ((need & NEED_VMM) && !(need & NEED_KVM))
		snprintf(s->hv_label, sizeof(s->hv_label), "vmm:%.50s", vmm_spec ? vmm_spec : "?");
	else
		snprintf(s->hv_label, sizeof(s->hv_label), "kvm");
	if (need & NEED_KVM) {
		if (init_one(&s->kvm, &kvm_executor_ops, NULL, NULL) < 0)
			return -1;
		s->have_kvm = 1;
	}
	if (need & NEED_VMM) {
		/* The VMM's guest reads its CPUID at boot: the table the
		 * reference answers from when KVM does not run. */
		if (init_one(&s->vmm, &vmm_executor_ops, s->have_kvm ? s->kvm.cpuid : NULL,
			     vmm_spec) < 0) {
			session_close(s);
			return -1;
		}
		s->have_vmm = 1;
	}
	/* The environment's CPUID for every other executor: the KVM
	 * executor calibrated it inside its guest, else the VMM's guest read
	 * it; without either the reference answers CPUID with UNSUPPORTED
	 * and the native run refuses no instruction for its feature. */
	struct cpuid_table *env_cpuid = s->have_kvm ? s->kvm.cpuid : s->have_vmm ? s->vmm.cpuid : NULL;
	/* What the MMIO window reads: the VMM's, where it declares it and
	 * takes KVM's place. */
	uint16_t window = !s->have_kvm && s->have_vmm ? vmm_mmio_window_read(&s->vmm) : 0;
	if (need & NEED_REF) {
		if (init_one(&s->ref, &ref_executor_ops, env_cpuid, NULL) < 0) {
			session_close(s);
			return -1;
		}
		s->ref.mmio_window_read = window;
		if (s->have_vmm)
			s->vmm.mmio_window_read = window;   /* the reference answers as it does */
		s->have_ref = 1;
	}
	if (need & NEED_UNICORN) {
#ifdef EXITDIFF_HAVE_UNICORN
		if (init_one(&s->uc, &unicorn_executor_ops, env_cpuid, NULL) < 0) {
			session_close(s);
			return -1;
		}
		s->uc.mmio_window_read = window;
		s->have_uc = 1;
#else
		fprintf(stderr, "exitdiff: built without Unicorn: install libunicorn-dev "
			"and rebuild for --oracle\n");
		session_close(s);
		return -1;
#endif
	}
	if (need & NEED_NATIVE) {
		/* The environment's CPUID: the native run refuses what the
		 * host CPU has and the table says is absent, or the reverse. */
		if (init_one(&s->native, &native_executor_ops, env_cpuid, NULL) < 0) {
			session_close(s);
			return -1;
		}
		s->have_native = 1;
	}
	return 0;
}

void session_close(struct session *s)
{
	if (s->have_vmm)
		s->vmm.ops->fini(&s->vmm);
	if (s->have_native)
		s->native.ops->fini(&s->native);
	if (s->have_uc)
		s->uc.ops->fini(&s->uc);
	if (s->have_ref)
		s->ref.ops->fini(&s->ref);
	if (s->have_kvm)
		s->kvm.ops->fini(&s->kvm);
	s->have_vmm = s->have_native = s->have_uc = s->have_ref = s->have_kvm = 0;
}
