/* The TMK image reader (tmk/tmk_image.c): synthetic images, each written to
 * a temporary file, must be accepted or rejected with a one-line reason
 * naming the file. Needs neither KVM nor a built runtime. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "check.h"
#include "tmk_host.h"

#define LOAD 0x100000u

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* A flat image like boot.S makes: header at hoff, names at 0x800. */
static size_t make_image(uint8_t *b, size_t cap, size_t hoff, uint32_t flags,
			 int good_checksum, const char *names, size_t names_len)
{
	memset(b, 0x90, cap);
	uint8_t *h = b + hoff;
	put32(h, TMK_MB_MAGIC);
	put32(h + 4, flags);
	put32(h + 8, -(TMK_MB_MAGIC + flags) + (good_checksum ? 0 : 1));
	put32(h + 12, LOAD + (uint32_t)hoff);
	put32(h + 16, LOAD);
	put32(h + 20, LOAD + (uint32_t)cap);
	put32(h + 24, LOAD + (uint32_t)cap + 0x1000);
	put32(h + 28, LOAD + 0x100);
	memcpy(h + 32, "XDTMK64", 7);
	h[39] = 1;
	put32(h + 40, LOAD + 0x120);
	put32(h + 44, LOAD + 0x400);
	put32(h + 48, LOAD + 0x800);
	memcpy(b + 0x800, names, names_len);
	return cap;
}

static const char *tmp_path(void)
{
	static char p[64];
	snprintf(p, sizeof(p), "/tmp/test_tmk_image.%d", (int)getpid());
	return p;
}

static int load_bytes(const uint8_t *b, size_t n, struct tmk_image *img, char *err)
{
	FILE *f = fopen(tmp_path(), "wb");
	fwrite(b, 1, n, f);
	fclose(f);
	return tmk_image_load(tmp_path(), img, err, 512);
}

int main(void)
{
	static uint8_t b[0x2000];
	static struct tmk_image img;
	char err[512];
	const char names[] = "alu-add\0ud-ud2\0";

	size_t n = make_image(b, sizeof(b), 8, 0x10003, 1, names, sizeof(names));
	int rc = load_bytes(b, n, &img, err);
	CHECK(rc == 0, "a well-formed image loads (%s)", rc ? err : "ok");
	CHECK_EQ_U64(img.entry32, LOAD + 0x100, "entry32");
	CHECK_EQ_U64(img.entry64, LOAD + 0x120, "entry64 from the exitdiff header");
	CHECK_EQ_U64(img.n_names, 2, "number of test names");
	CHECK(img.n_names == 2 && !strcmp(img.names[1], "ud-ud2"), "second name is ud-ud2");
	CHECK(tmk_image_find(&img, "alu-add") == 0, "find alu-add -> 0");
	CHECK(tmk_image_find(&img, "nope") == -1, "find of an absent name -> -1");
	tmk_image_free(&img);

	rc = load_bytes(b, n - 100, &img, err);
	CHECK(rc < 0 && strstr(err, "truncated") && strstr(err, tmp_path()) &&
	      !strchr(err, '\n'), "cut image: one-line 'truncated' error naming the file (%s)", err);

	make_image(b, sizeof(b), 8, 0x10003, 0, names, sizeof(names));
	rc = load_bytes(b, n, &img, err);
	CHECK(rc < 0 && strstr(err, "not a multiboot image"), "bad checksum rejected (%s)", err);

	make_image(b, sizeof(b), 8, 0x3, 1, names, sizeof(names));
	rc = load_bytes(b, n, &img, err);
	CHECK(rc < 0 && strstr(err, "a.out kludge"), "no address fields rejected (%s)", err);

	rc = load_bytes((const uint8_t *)"hello", 5, &img, err);
	CHECK(rc < 0 && strstr(err, "not a multiboot image"), "tiny file rejected (%s)", err);

	rc = tmk_image_load("/nonexistent/tmk.bin", &img, err, sizeof(err));
	CHECK(rc < 0 && strstr(err, "/nonexistent/tmk.bin"), "missing file named (%s)", err);

	/* Header past the 8 KiB multiboot search window. */
	static uint8_t big[0x3000];
	make_image(big, sizeof(big), 0x2004, 0x10003, 1, names, sizeof(names));
	rc = load_bytes(big, sizeof(big), &img, err);
	CHECK(rc < 0 && strstr(err, "not a multiboot image"), "header beyond 8 KiB rejected (%s)", err);

	unlink(tmp_path());
	return check_done("test_tmk_image");
}
