/* TMK runtime: port I/O, the COM1 console and the isa-debug-exit port. */
#include "tmk.h"

#define COM1        0x3f8
#define COM1_LSR    (COM1 + 5)
#define LSR_THRE    0x20   /* transmit holding register empty */
#define DEBUG_EXIT  0xf4   /* -device isa-debug-exit,iobase=0xf4,iosize=0x04 */

void rt_outb(uint16_t port, uint8_t v)
{
	__asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

uint8_t rt_inb(uint16_t port)
{
	uint8_t v;
	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static void rt_putc(char c)
{
	/* Bounded wait: an absent UART reads all ones (THRE set) anyway. */
	for (int i = 0; i < 100000 && !(rt_inb(COM1_LSR) & LSR_THRE); i++)
		;
	rt_outb(COM1, (uint8_t)c);
}

void rt_puts(const char *s)
{
	while (*s)
		rt_putc(*s++);
}

void rt_puthex(uint64_t v)
{
	char buf[19];
	int n = 0;
	buf[n++] = '0';
	buf[n++] = 'x';
	int started = 0;
	for (int sh = 60; sh >= 0; sh -= 4) {
		unsigned d = (v >> sh) & 0xf;
		if (d || started || sh == 0) {
			buf[n++] = "0123456789abcdef"[d];
			started = 1;
		}
	}
	buf[n] = 0;
	rt_puts(buf);
}

void rt_putdec(uint64_t v)
{
	char buf[21];
	int n = 20;
	buf[n] = 0;
	do {
		buf[--n] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	rt_puts(buf + n);
}

/* QEMU's isa-debug-exit makes the process exit with (code << 1) | 1: 1 when
 * every test passed, 3 when one failed. Without the device (another VMM,
 * bare metal) the write is ignored and the CPU halts for good. */
void rt_exit(unsigned code)
{
	__asm__ volatile("outl %0, %1" : : "a"(code), "Nd"((uint16_t)DEBUG_EXIT));
	for (;;)
		__asm__ volatile("cli; hlt");
}
