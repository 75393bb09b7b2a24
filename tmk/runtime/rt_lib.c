/* TMK runtime: the few libc functions gcc may emit calls to, even with
 * -ffreestanding (struct copies, zeroing), a string compare, and the two
 * that core/knobs.c (linked for mode_env_init's knob table) calls. */
#include <stdarg.h>
#include <stddef.h>
#include "tmk.h"

int strcmp(const char *a, const char *b);
int snprintf(char *buf, size_t len, const char *fmt, ...);

#ifdef TMK_BATCH_IMAGE
/* The batch image runs under VMMs such as QEMU TCG, which runs a REP
 * string instruction one iteration per pass through its translated-code
 * loop: 64 bytes a pass in plain moves cost far less there (measured on
 * the batch image's per-case copies and fills of the compare window). The
 * empty asm keeps the compiler from turning the loops back into calls. */
void *memcpy(void *d, const void *s, unsigned long n)
{
	uint64_t *dq = d;
	const uint64_t *sq = s;
	unsigned long q = n / 8;
	for (; q >= 8; q -= 8, dq += 8, sq += 8) {
		uint64_t a0 = sq[0], a1 = sq[1], a2 = sq[2], a3 = sq[3];
		uint64_t a4 = sq[4], a5 = sq[5], a6 = sq[6], a7 = sq[7];
		dq[0] = a0, dq[1] = a1, dq[2] = a2, dq[3] = a3;
		dq[4] = a4, dq[5] = a5, dq[6] = a6, dq[7] = a7;
		__asm__ volatile("" ::: "memory");
	}
	for (; q; q--)
		*dq++ = *sq++;
	uint8_t *db = (uint8_t *)dq;
	const uint8_t *sb = (const uint8_t *)sq;
	for (unsigned long b = n % 8; b; b--) {
		*db++ = *sb++;
		__asm__ volatile("" ::: "memory");
	}
	return d;
}

void *memset(void *d, int c, unsigned long n)
{
	uint64_t v = (uint8_t)c * 0x0101010101010101ull, *dq = d;
	unsigned long q = n / 8;
	for (; q >= 8; q -= 8, dq += 8) {
		dq[0] = v, dq[1] = v, dq[2] = v, dq[3] = v;
		dq[4] = v, dq[5] = v, dq[6] = v, dq[7] = v;
		__asm__ volatile("" ::: "memory");
	}
	for (; q; q--)
		*dq++ = v;
	uint8_t *db = (uint8_t *)dq;
	for (unsigned long b = n % 8; b; b--) {
		*db++ = (uint8_t)c;
		__asm__ volatile("" ::: "memory");
	}
	return d;
}
#else
void *memcpy(void *d, const void *s, unsigned long n)
{
	/* String instructions: cheap even where every instruction is
	 * emulated (kvm_pvm runs CPL0 code in KVM's emulator). Quadwords
	 * first: QEMU TCG runs a REP one iteration at a time (measured: the
	 * batch image's per-case copies of the 24 KiB compare window cost
	 * more than the case). */
	void *r = d;
	unsigned long q = n / 8, b = n % 8;
	__asm__ volatile("rep movsq" : "+D"(d), "+S"(s), "+c"(q) : : "memory");
	__asm__ volatile("rep movsb" : "+D"(d), "+S"(s), "+c"(b) : : "memory");
	return r;
}

void *memset(void *d, int c, unsigned long n)
{
	void *r = d;
	unsigned long q = n / 8, b = n % 8;
	uint64_t v = (uint8_t)c * 0x0101010101010101ull;
	__asm__ volatile("rep stosq" : "+D"(d), "+c"(q) : "a"(v) : "memory");
	__asm__ volatile("rep stosb" : "+D"(d), "+c"(b) : "a"(v) : "memory");
	return r;
}
#endif

int memcmp(const void *a, const void *b, unsigned long n)
{
	const uint8_t *x = a, *y = b;
	for (; n; n--, x++, y++)
		if (*x != *y)
			return *x < *y ? -1 : 1;
	return 0;
}

int rt_streq(const char *a, const char *b)
{
	while (*a && *a == *b)
		a++, b++;
	return *a == *b;
}

int strcmp(const char *a, const char *b)
{
	while (*a && *a == *b)
		a++, b++;
	return (unsigned char)*a - (unsigned char)*b;
}

/* Only what knobs_format() asks for: %s and plain text. */
int snprintf(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;
	size_t n = 0;
	va_start(ap, fmt);
	for (const char *f = fmt; *f; f++) {
		const char *s = f;
		size_t k = 1;
		if (f[0] == '%' && f[1] == 's') {
			s = va_arg(ap, const char *);
			k = 0;
			while (s[k])
				k++;
			f++;
		}
		for (size_t i = 0; i < k; i++, n++)
			if (n + 1 < len)
				buf[n] = s[i];
	}
	va_end(ap);
	if (len)
		buf[n < len ? n : len - 1] = 0;
	return (int)n;
}
