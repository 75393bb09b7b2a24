/* layout_runtime_patched (core/layout.c): the system-part bytes a TMK's or
 * VMM batch image's runtime sets otherwise than layout_build, as
 * tmk/runtime/rt_env.c patches them. Checked at each range's edges: the
 * long-mode IDT gate's offset bytes (0-1, 6-11) but not its selector,
 * type or reserved bytes; IVT vector 2 but not 1; IDT32 gate 2's offset
 * bytes but not its selector; PML4 slot 256 but not 255; PT32 from the
 * entry of 1 MiB, PT_PAE from 1 MiB, PD_PAE's 2-4 MiB entry; nothing at
 * or above LAYOUT_RW_BASE; a read that straddles into a patched byte. */
#include "check.h"
#include "layout.h"

static void want(uint64_t gpa, unsigned len, int patched, const char *what)
{
	CHECK(layout_runtime_patched(gpa, len) == patched, "%#llx+%u (%s): %s", (unsigned long long)gpa,
	      len, what, patched ? "patched" : "the layout's");
}

int main(void)
{
	want(LAYOUT_IDT + 0, 1, 1, "gate 0 offset 7:0");
	want(LAYOUT_IDT + 1, 1, 1, "gate 0 offset 15:8");
	want(LAYOUT_IDT + 2, 4, 0, "gate 0 selector, IST, type");
	want(LAYOUT_IDT + 6, 1, 1, "gate 0 offset 23:16");
	want(LAYOUT_IDT + 11, 1, 1, "gate 0 offset 63:56");
	want(LAYOUT_IDT + 12, 4, 0, "gate 0 reserved");
	want(LAYOUT_IDT + 16 * 255 + 8, 1, 1, "gate 255 offset 39:32");
	want(LAYOUT_IDT + 2, 5, 1, "a read from the selector into offset 23:16");
	want(LAYOUT_IVT + 4 * 1, 4, 0, "IVT vector 1");
	want(LAYOUT_IVT + 4 * 2, 1, 1, "IVT vector 2");
	want(LAYOUT_IDT32 + 8 * 2 + 2, 4, 0, "IDT32 gate 2 selector and type");
	want(LAYOUT_IDT32 + 8 * 2 + 7, 1, 1, "IDT32 gate 2 offset 31:24");
	want(LAYOUT_IDT32 + 8 * 3, 8, 0, "IDT32 gate 3");
	want(LAYOUT_PML4 + 8 * 255, 8, 0, "PML4 slot 255");
	want(LAYOUT_PML4 + 8 * 256, 8, 1, "PML4 slot 256 (the trampoline)");
	want(LAYOUT_PT32 + 4 * 255, 4, 0, "PT32 entry of 1 MiB - 4 KiB");
	want(LAYOUT_PT32 + 4 * 256, 4, 1, "PT32 entry of 1 MiB");
	want(LAYOUT_PT_PAE + 8 * 255, 8, 0, "PT_PAE entry below 1 MiB");
	want(LAYOUT_PT_PAE + 8 * 511, 8, 1, "PT_PAE entry below 2 MiB");
	want(LAYOUT_PD_PAE, 8, 0, "PD_PAE 0-2 MiB");
	want(LAYOUT_PD_PAE + 8, 8, 1, "PD_PAE 2-4 MiB");
	want(LAYOUT_RW_BASE, 16, 0, "the code page");
	want(LAYOUT_GDT, 64, 0, "the GDT");
	return check_done("test_core_layout_runtime");
}
