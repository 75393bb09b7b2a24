/*
 * Outcome features. Code coverage alone stops rewarding an input once the
 * emulator paths it takes are known; these features make a new *outcome*
 * (a new terminal pair, vector, divergence class, signature, mnemonic)
 * count as new, so the engines keep inputs that reach new behaviour of
 * the guest even through code already covered.
 */
#include <string.h>
#include "fuzz_exec.h"

uint32_t fx_hash(uint32_t h, const void *p, size_t n)
{
	const uint8_t *b = p;
	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 16777619u;
	return h;
}

/* Each feature kind hashes a tag first, so equal values of different
 * kinds land on different counters. */
enum fx_tag {
	TAG_TERMINALS = 1, TAG_VECTOR, TAG_CLASS, TAG_SIGNATURE, TAG_MNEMONIC,
	TAG_TRACE_LEN, TAG_VERDICT,
};

static uint32_t feat(enum fx_tag tag, const void *p, size_t n)
{
	uint8_t t = (uint8_t)tag;
	return fx_hash(fx_hash(FX_HASH_INIT, &t, 1), p, n);
}

static uint32_t feat_u32(enum fx_tag tag, uint32_t a, uint32_t b)
{
	uint32_t v[2] = { a, b };
	return feat(tag, v, sizeof(v));
}

/* 0, 1, 2-3, 4-7, ...: the shape of a trace, not its exact length. */
static uint32_t log2_bucket(uint32_t n)
{
	uint32_t b = 0;
	while (n) {
		b++;
		n >>= 1;
	}
	return b;
}

static void side(const struct outcome *o, uint32_t which,
		 void (*hit)(void *, uint32_t), void *ctx)
{
	const struct exit_event *t = outcome_terminal(o);
	if (t && t->kind == EXIT_EXCEPTION)
		hit(ctx, feat_u32(TAG_VECTOR, which, (uint32_t)t->addr));
	hit(ctx, feat_u32(TAG_TRACE_LEN, which, log2_bucket(o->n_events)));
}

void fx_features(const struct fx_result *r, void (*hit)(void *ctx, uint32_t h), void *ctx)
{
	const struct exit_event *tr = outcome_terminal(r->ref);
	const struct exit_event *tk = outcome_terminal(r->kvm);
	uint32_t kr = tr ? tr->kind : EXIT_KIND_COUNT, kk = tk ? tk->kind : EXIT_KIND_COUNT;
	hit(ctx, feat_u32(TAG_TERMINALS, kr, kk));
	hit(ctx, feat_u32(TAG_VERDICT, r->verdict, r->known));
	side(r->ref, 0, hit, ctx);
	side(r->kvm, 1, hit, ctx);
	/* The reference's last mnemonic: an UNSUPPORTED one names what the
	 * reference does not model yet, the rest where cases end. */
	if (r->ref->mnemonic[0])
		hit(ctx, feat(TAG_MNEMONIC, r->ref->mnemonic,
			      strnlen(r->ref->mnemonic, sizeof(r->ref->mnemonic))));
	if (r->verdict != VERDICT_DIVERGE)
		return;
	uint32_t cf = fx_hash(FX_HASH_INIT, r->d.field, strnlen(r->d.field, sizeof(r->d.field)));
	hit(ctx, feat_u32(TAG_CLASS, r->d.cls, cf));
	hit(ctx, feat(TAG_SIGNATURE, r->d.signature,
		      strnlen(r->d.signature, sizeof(r->d.signature))));
}
