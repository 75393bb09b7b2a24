/* The VMMs exitdiff knows by name, and a command line for any other.
 *
 * A profile declares the VMM's environment rather than leaving the diff to
 * guess it: the CPU model it gives the guest (the guest's own CPUID is read
 * at boot and handed to the reference, vmm_executor.c) and what reads of
 * unassigned ports and MMIO return there. A case whose reference trace
 * reads where the answers differ is not compared (core/diff.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "outcome.h"
#include "vmm.h"

#ifndef EXITDIFF_VMM_IMAGE
#define EXITDIFF_VMM_IMAGE "tmk-batch/batch.bin"
#endif

static const struct vmm_profile profiles[] = {
	{
		.name = "qemu-tcg",
		/* -nodefaults: no VGA, NIC or floppy answering ports; the PC's
		 * own devices (PIC, PIT, i8042, RTC, DMA, fw_cfg, PCI config)
		 * stay. -no-reboot: a triple fault ends the process, which the
		 * executor sees as SHUTDOWN. The monitor must not share stdio. */
		/* -icount shift=0,sleep=off: the guest's clock counts
		 * instructions (1 ns each) and jumps ahead while the vCPU
		 * halts. A case's budget is then a number of instructions,
		 * the same on every run, and the TCG translation of the
		 * runtime's own mode switch cannot eat it (measured: with a
		 * real-time clock a 200 us budget fired inside the runtime and
		 * hung it); a HLT costs no wall time waiting for the NMI. */
		/* The RAM is the file {shm} (vmm_shm.c, shared with exitdiff):
		 * its size is -m's; the mailbox in it carries the cases. */
		/* -bios qboot.rom: the image needs no BIOS service, and a boot
		 * (one after each case that ends the VM) took some 75 ms with
		 * SeaBIOS, 45 ms with qboot (measured, QEMU 7.2, to READY). */
		.command = "qemu-system-x86_64 -nodefaults -bios qboot.rom "
			   "-machine pc,memory-backend=xdram "
			   "-object memory-backend-file,id=xdram,size=64M,mem-path={shm},share=on "
			   "-accel tcg -cpu max -icount shift=0,sleep=off -m 64 -kernel {image} "
			   "-serial stdio -display none -monitor none -no-reboot",
		.cpu = "max",
		.own_reads = OUTCOME_OWN_MMIO | OUTCOME_OWN_PORTS,
		/* Measured, QEMU 7.2 -m 64: unassigned MMIO at the window
		 * (0xc0000000) reads 0 in every mode, and the reference and
		 * Unicorn answer so for it; other MMIO is the batch runtime's RAM
		 * (its 0xff fill keeps what a case writes), left out. Unassigned
		 * ports read 0xff as in the reference, but ports 0x20, 0x40,
		 * 0x60, 0x70 ... are devices, so every port read is left out. */
		.mmio_window_read = 0x100 | 0x00,
		.reads = "the MMIO window reads 0x00, ports 0xff except the PC's devices",
		.unicorn_kin = 1,
	},
};

const char *vmm_profile_names(void)
{
	return "qemu-tcg";
}

const char *vmm_name_of(const char *spec)
{
	for (size_t i = 0; i < sizeof(profiles) / sizeof(profiles[0]); i++)
		if (!strcmp(spec, profiles[i].name))
			return profiles[i].name;
	return "command";
}

const struct vmm_profile *vmm_profile_find(const char *spec, struct vmm_profile *own,
					   char *err, size_t errlen)
{
	for (size_t i = 0; i < sizeof(profiles) / sizeof(profiles[0]); i++)
		if (!strcmp(spec, profiles[i].name))
			return &profiles[i];
	if (!strstr(spec, "{image}")) {
		snprintf(err, errlen, "vmm '%s': not a known VMM (%s) and not a command line "
			 "holding {image}", spec, vmm_profile_names());
		return NULL;
	}
	/* A VMM we know nothing of: every read it answers is its own. */
	*own = (struct vmm_profile){
		.name = "",
		.command = spec,
		.cpu = "",
		.own_reads = OUTCOME_OWN_MMIO | OUTCOME_OWN_MMIO_WINDOW | OUTCOME_OWN_PORTS,
		.reads = "not declared: every port and MMIO read is left out",
	};
	return own;
}

const char *vmm_image_path(void)
{
	const char *e = getenv("EXITDIFF_VMM_IMAGE");
	return e && *e ? e : EXITDIFF_VMM_IMAGE;
}
