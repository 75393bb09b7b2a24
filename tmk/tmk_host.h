/*
 * TMK reproducers, host side: the exporter (`exitdiff export`), the image
 * reader and our own KVM runner (`exitdiff tmk`). The freestanding runtime
 * that goes into every image lives in tmk/runtime/ and is never linked
 * into the host binary. See docs/tmk.md.
 */
#ifndef EXITDIFF_TMK_HOST_H
#define EXITDIFF_TMK_HOST_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* The image header, as tmk/runtime/boot.S lays it out: the multiboot v1
 * header with a.out-kludge address fields, then "XDTMK64" + version,
 * entry64, boot_cr3, names (all 32-bit). */
#define TMK_MB_MAGIC        0x1badb002u
#define TMK_MB_AOUT_KLUDGE  (1u << 16)
#define TMK_MB_SEARCH       8192u       /* multiboot: header within 8 KiB */
#define TMK_HDR_MAGIC_HOST  "XDTMK64"
#define TMK_NAME_MAX        64
/* Legacy-mode cases: the runtime fills LAYOUT_RAM_SIZE up to here with the
 * MMIO answer (tmk/runtime/tmk.h RM_BLOB_ADDR), so reads there agree. */
#define TMK_LEGACY_MMIO_END 0x20000u

struct tmk_image {
	char path[256];
	uint8_t *file;             /* whole file, malloc'd */
	size_t file_len;
	size_t hdr_off;            /* file offset of the multiboot header */
	uint32_t header_addr, load_addr, load_end, bss_end, entry32;
	int has_xd;                /* the exitdiff header follows */
	uint32_t entry64, boot_cr3, names_addr;
	int n_names;
	char (*names)[TMK_NAME_MAX];  /* malloc'd, n_names of them: an image
					 holds any number of cases */
};

/* Reads and checks an image. Returns 0, or -1 with a one-line reason
 * naming the file in err (not multiboot, truncated, ...). */
int tmk_image_load(const char *path, struct tmk_image *img, char *err, size_t errlen);
void tmk_image_free(struct tmk_image *img);
/* Index of a test name, -1 when absent. */
int tmk_image_find(const struct tmk_image *img, const char *name);

/* Our runner. */
struct tmk_run_opts {
	const char *test;          /* NULL: all */
	int entry64;               /* start in long mode at the 64-bit entry */
	int verbose;               /* echo every serial line */
	unsigned timeout_s;        /* whole-image wall clock budget */
	FILE *out;                 /* log lines */
};
struct tmk_run_result {
	int exit_code_seen;        /* the image wrote the debug-exit port */
	unsigned exit_value;       /* what it wrote */
	unsigned started, passed, failed, skipped;
	char summary[128];         /* the SUMMARY: line, "" if none */
	char end_reason[128];      /* how the VM ended */
};
/* Runs the image in a fresh KVM VM. Returns 0 when it ran (whatever the
 * tests said; see res), -1 with a reason in err when KVM failed. */
int tmk_run_image(const struct tmk_image *img, const struct tmk_run_opts *o,
		  struct tmk_run_result *res, char *err, size_t errlen);

/* The exporter. */
struct tmk_export_opts {
	const char *outdir;
	int build;                 /* run make in outdir */
	int use_kvm;               /* also run KVM for the comments (if present) */
};
/* Writes the directory for the given .case files. Returns 0, or -1 after
 * printing errors (prefixed "exitdiff export: "). */
int tmk_export(char **paths, int n, const struct tmk_export_opts *o);

#endif
