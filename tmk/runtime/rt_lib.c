/* TMK runtime: the few libc functions gcc may emit calls to, even with
 * -ffreestanding (struct copies, zeroing), and a string compare. */
#include "tmk.h"

void *memcpy(void *d, const void *s, unsigned long n)
{
	/* One string instruction: cheap even where every instruction is
	 * emulated (kvm_pvm runs CPL0 code in KVM's emulator). */
	void *r = d;
	__asm__ volatile("rep movsb" : "+D"(d), "+S"(s), "+c"(n) : : "memory");
	return r;
}

void *memset(void *d, int c, unsigned long n)
{
	void *r = d;
	__asm__ volatile("rep stosb" : "+D"(d), "+c"(n) : "a"(c) : "memory");
	return r;
}

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
