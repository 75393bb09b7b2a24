/*
 * The binary case format (docs/formats.md): any byte string decodes to a
 * valid case, so every libFuzzer/AFL++ input is usable, and the canonical
 * encoding decodes back to the same case.
 */
#include <stdio.h>
#include <string.h>
#include "case_bin.h"
#include "knobs.h"
#include "mode.h"

#define BIN_FLAG_MODE_MASK 0x0fu
#define BIN_FLAG_HAS_DATA  0x10u
#define BIN_REG_RFLAGS     16     /* register-mask bit of RFLAGS */
#define BIN_REG_EVENT      17     /* ... of the first event record (8 bytes) */
#define BIN_REG_EVENT2     18     /* ... of the second one */

/* A reader where bytes past the end read as zero: truncated inputs decode. */
struct reader {
	const uint8_t *buf;
	size_t len, pos;
};

static uint64_t rd(struct reader *r, unsigned nbytes)
{
	uint64_t v = 0;
	for (unsigned i = 0; i < nbytes; i++) {
		uint64_t b = r->pos < r->len ? r->buf[r->pos] : 0;
		r->pos++;
		v |= b << (8 * i);
	}
	return v;
}

/* 64-bit FNV-1a: a stable, dependency-free name for the input. */
static uint64_t fnv1a64(const uint8_t *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ull;
	for (size_t i = 0; i < n; i++) {
		h ^= p[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

/* One 8-byte event record: byte 0 the kind, 1 the vector, 2 the shadow, 3
 * bit 0 at=handler, 4..7 an exception's error code, or for nmi and intr
 * bytes 4..5 after=N (modulo CASE_EVENT_AFTER_MAX + 1). Kind, vector and
 * shadow wrap; an error code is kept only where the vector has one; an
 * interrupt's vector below 32 moves up by 32, its shadow is dropped; a
 * later point drops the shadow, at=handler drops after=, and CPL3 drops
 * after= (KVM cannot step there). */
static struct case_event event_decode(uint64_t v, int cpl3)
{
	struct case_event e = {
		.kind = (uint8_t)((v & 0xff) % CASE_EVENT_KINDS),
		.shadow = (uint8_t)(((v >> 16) & 0xff) % CASE_SHADOWS),
	};
	if (e.kind == CASE_EVENT_EXCEPTION) {
		e.vector = (uint8_t)((v >> 8) & 31);
		e.has_error = VECTOR_HAS_ERROR_CODE(e.vector) ? 1 : 0;
		e.error = e.has_error ? (uint32_t)(v >> 32) : 0;
	} else if (e.kind != CASE_EVENT_NONE) {
		if (e.kind == CASE_EVENT_INTR) {
			uint8_t b = (uint8_t)(v >> 8);
			e.vector = b >= 32 ? b : (uint8_t)(b + 32); /* encodes back as it is */
			e.shadow = CASE_SHADOW_NONE;
		}
		e.in_handler = (uint8_t)((v >> 24) & 1);
		e.after = e.in_handler || cpl3 ? 0 :
			  (uint16_t)(((v >> 32) & 0xffff) % (CASE_EVENT_AFTER_MAX + 1));
		if (e.after || e.in_handler)
			e.shadow = CASE_SHADOW_NONE;
	}
	if (e.kind == CASE_EVENT_NONE || case_event_invalid(&e))
		memset(&e, 0, sizeof(e));
	return e;
}

static uint64_t event_encode(const struct case_event *e)
{
	uint64_t hi = e->kind == CASE_EVENT_EXCEPTION ? e->error : e->after;
	return (uint64_t)e->kind | (uint64_t)e->vector << 8 | (uint64_t)e->shadow << 16 |
	       (uint64_t)(e->in_handler & 1) << 24 | hi << 32;
}

void case_decode(const uint8_t *buf, size_t len, struct test_case *c)
{
	struct reader r = { buf, buf ? len : 0, 0 };
	case_init(c);
	snprintf(c->id, sizeof(c->id), "bin-%016llx",
		 (unsigned long long)fnv1a64(buf, r.len));
	uint8_t flags = (uint8_t)rd(&r, 1);
	c->mode = (uint8_t)((flags & BIN_FLAG_MODE_MASK) % MODE_COUNT);
	c->knobs = (uint32_t)rd(&r, 4) & knobs_for_mode((enum cpu_mode)c->mode);
	uint32_t mask = (uint32_t)rd(&r, 3);
	for (int i = 0; i < GPR_COUNT; i++)
		if (mask & (1u << i))
			c->gpr[i] = rd(&r, 8) & mode_reg_mask((enum cpu_mode)c->mode);
	if (mask & (1u << BIN_REG_RFLAGS))
		c->rflags = (rd(&r, 8) & RFLAGS_CASE_SETTABLE) | RFLAGS_FIXED1;
	/* Each record: any 8 bytes make a valid event or none; an event that
	 * does not go with the ones before it is dropped. */
	for (unsigned i = 0; i < CASE_EVENTS_MAX; i++) {
		if (!(mask & (1u << (BIN_REG_EVENT + i))))
			continue;
		struct case_event e = event_decode(rd(&r, 8), c->mode == MODE_LONG64 &&
								 (c->knobs & KNOB_CPL3));
		unsigned n = case_events_count(c->event);
		if (!e.kind || c->mode != MODE_LONG64 || n >= CASE_EVENTS_MAX)
			continue;
		c->event[n] = e;
		if (case_events_invalid(c->event, (c->knobs & KNOB_CPL3) != 0))
			memset(&c->event[n], 0, sizeof(c->event[n]));
	}
	if (flags & BIN_FLAG_HAS_DATA) {
		uint32_t dl = (uint32_t)rd(&r, 2);
		c->data_len = dl > CASE_DATA_MAX ? CASE_DATA_MAX : dl;
		for (uint32_t i = 0; i < c->data_len; i++)
			c->data[i] = (uint8_t)rd(&r, 1);
	}
	size_t rest = r.pos < r.len ? r.len - r.pos : 0;
	c->code_len = (uint32_t)(rest > CASE_CODE_MAX ? CASE_CODE_MAX : rest);
	if (c->code_len)
		memcpy(c->code, r.buf + r.pos, c->code_len);
}

struct writer {
	uint8_t *buf;
	size_t cap, pos;
	int overflow;
};

static void wr(struct writer *w, uint64_t v, unsigned nbytes)
{
	for (unsigned i = 0; i < nbytes; i++) {
		if (w->pos >= w->cap) {
			w->overflow = 1;
			return;
		}
		w->buf[w->pos++] = (uint8_t)(v >> (8 * i));
	}
}

static void wr_bytes(struct writer *w, const uint8_t *p, size_t n)
{
	if (n > w->cap - w->pos) {
		w->overflow = 1;
		return;
	}
	memcpy(w->buf + w->pos, p, n);
	w->pos += n;
}

size_t case_encode(const struct test_case *c, uint8_t *buf, size_t cap)
{
	struct test_case def;
	struct writer w = { buf, buf ? cap : 0, 0, 0 };
	uint32_t dl = c->data_len > CASE_DATA_MAX ? CASE_DATA_MAX : c->data_len;
	uint32_t cl = c->code_len > CASE_CODE_MAX ? CASE_CODE_MAX : c->code_len;
	uint32_t mask = 0;
	case_init(&def);
	for (int i = 0; i < GPR_COUNT; i++)
		if (c->gpr[i] != def.gpr[i])
			mask |= 1u << i;
	if (c->rflags != def.rflags)
		mask |= 1u << BIN_REG_RFLAGS;
	for (unsigned i = 0; i < case_events_count(c->event); i++)
		mask |= 1u << (BIN_REG_EVENT + i);
	wr(&w, (c->mode % MODE_COUNT) | (dl ? BIN_FLAG_HAS_DATA : 0), 1);
	wr(&w, c->knobs & KNOBS_KNOWN, 4);
	wr(&w, mask, 3);
	for (int i = 0; i < GPR_COUNT; i++)
		if (mask & (1u << i))
			wr(&w, c->gpr[i], 8);
	if (mask & (1u << BIN_REG_RFLAGS))
		wr(&w, c->rflags, 8);
	for (unsigned i = 0; i < CASE_EVENTS_MAX; i++)
		if (mask & (1u << (BIN_REG_EVENT + i)))
			wr(&w, event_encode(&c->event[i]), 8);
	if (dl) {
		wr(&w, dl, 2);
		wr_bytes(&w, c->data, dl);
	}
	wr_bytes(&w, c->code, cl);
	return w.overflow ? 0 : w.pos;
}
