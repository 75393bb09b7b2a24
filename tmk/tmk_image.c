/* Reads a TMK image: finds the multiboot header (v1, a.out kludge), the
 * exitdiff header after it and the table of test names, without running
 * anything. Every error is one line naming the file. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tmk_host.h"
#include "file_io.h"

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}


/* The names live at a guest address inside the loaded part of the image:
 * file offset = hdr_off + (addr - header_addr). */
static int read_names(struct tmk_image *img, char *err, size_t errlen)
{
	size_t base = img->hdr_off - (img->header_addr - img->load_addr);
	if (img->names_addr < img->load_addr || img->names_addr >= img->load_end) {
		snprintf(err, errlen, "%s: test name table at 0x%x lies outside the image",
			 img->path, img->names_addr);
		return -1;
	}
	size_t off = base + (img->names_addr - img->load_addr);
	int cap = 0;
	while (off < img->file_len && img->file[off]) {
		size_t len = strnlen((const char *)img->file + off, img->file_len - off);
		if (off + len >= img->file_len || len >= TMK_NAME_MAX) {
			snprintf(err, errlen, "%s: test name %d at file offset 0x%zx is %s",
				 img->path, img->n_names + 1, off,
				 off + len >= img->file_len ? "cut off by the end of the file" :
				 "longer than a test name can be");
			return -1;
		}
		if (img->n_names == cap) {
			cap = cap ? 2 * cap : 64;
			char (*n)[TMK_NAME_MAX] = realloc(img->names, (size_t)cap * sizeof(*n));
			if (!n) {
				snprintf(err, errlen, "%s: out of memory for %d test names", img->path, cap);
				return -1;
			}
			img->names = n;
		}
		memcpy(img->names[img->n_names++], img->file + off, len + 1);
		off += len + 1;
	}
	return 0;
}

int tmk_image_load(const char *path, struct tmk_image *img, char *err, size_t errlen)
{
	memset(img, 0, sizeof(*img));
	snprintf(img->path, sizeof(img->path), "%s", path);
	if (file_read_all(path, 0, (char **)&img->file, &img->file_len, err, errlen) < 0)
		return -1;
	size_t lim = img->file_len < TMK_MB_SEARCH ? img->file_len : TMK_MB_SEARCH;
	size_t off = 0;
	int found = 0;
	for (; off + 12 <= lim; off += 4) {
		const uint8_t *h = img->file + off;
		if (rd32(h) == TMK_MB_MAGIC &&
		    (uint32_t)(rd32(h) + rd32(h + 4) + rd32(h + 8)) == 0) {
			found = 1;
			break;
		}
	}
	if (!found) {
		snprintf(err, errlen, "%s: not a multiboot image (no valid header in the "
			 "first %u bytes, %zu bytes read)", path, TMK_MB_SEARCH, img->file_len);
		goto fail;
	}
	const uint8_t *h = img->file + off;
	img->hdr_off = off;
	if (!(rd32(h + 4) & TMK_MB_AOUT_KLUDGE) || off + 32 > img->file_len) {
		snprintf(err, errlen, "%s: multiboot header without load addresses "
			 "(a.out kludge): not an exitdiff TMK image", path);
		goto fail;
	}
	img->header_addr = rd32(h + 12);
	img->load_addr = rd32(h + 16);
	img->load_end = rd32(h + 20);
	img->bss_end = rd32(h + 24);
	img->entry32 = rd32(h + 28);
	if (img->header_addr < img->load_addr ||
	    img->header_addr - img->load_addr > off ||
	    img->load_end <= img->load_addr ||
	    (img->bss_end && img->bss_end < img->load_end) ||
	    img->entry32 < img->load_addr || img->entry32 >= img->load_end) {
		snprintf(err, errlen, "%s: inconsistent multiboot load addresses", path);
		goto fail;
	}
	size_t need = off - (img->header_addr - img->load_addr) +
		      (img->load_end - img->load_addr);
	if (img->file_len < need) {
		snprintf(err, errlen, "%s: truncated image: %zu bytes, the header asks "
			 "for %zu", path, img->file_len, need);
		goto fail;
	}
	if (off + 32 + 24 <= img->file_len &&
	    !memcmp(h + 32, TMK_HDR_MAGIC_HOST, 7)) {
		img->has_xd = 1;
		img->entry64 = rd32(h + 40);
		img->boot_cr3 = rd32(h + 44);
		img->names_addr = rd32(h + 48);
		if (read_names(img, err, errlen) < 0)
			goto fail;
	}
	return 0;
fail:
	tmk_image_free(img);
	return -1;
}

void tmk_image_free(struct tmk_image *img)
{
	free(img->file);
	img->file = NULL;
	img->file_len = 0;
	free(img->names);
	img->names = NULL;
	img->n_names = 0;
}

int tmk_image_find(const struct tmk_image *img, const char *name)
{
	for (int i = 0; i < img->n_names; i++)
		if (!strcmp(img->names[i], name))
			return i;
	return -1;
}
