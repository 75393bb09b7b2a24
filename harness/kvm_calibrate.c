/*
 * CPUID calibration: what the guest really reads. Under some backends
 * (kvm_pvm) KVM_SET_CPUID2 does not control most of what CPUID returns, so
 * instead of trusting the table we handed KVM, a small guest program runs
 * CPUID for every (leaf, subleaf) of a list and stores the answers; the
 * reference executor then answers CPUID from the same table.
 *
 * The program runs as an ordinary case from the code page. Its list is the
 * case's data: pairs of u32 (leaf, subleaf) at LAYOUT_DATA; the answers go
 * to LAYOUT_DATA + 0x1000 as EAX, EBX, ECX, EDX (16 bytes per entry).
 * RSI = list, RDI = answers, R8 = count.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "kvm_internal.h"
#include "layout.h"

#define CAL_OUT      (LAYOUT_DATA + 0x1000u)
#define CAL_MAX      (0x1000u / 16u)   /* answers fit in data page 1 */
#define CAL_BASIC_MAX 0x20u
#define CAL_EXT_MAX  0x80000008u
#define CAL_HV_MAX   0x40000010u
#define CAL_SUBLEAVES 4u
#define CAL_TRIES    5u                /* runs of the probe before a timeout counts */

static const uint8_t cal_program[] = {
	/* loop: */
	0x8b, 0x06,             /* mov eax, [rsi]     */
	0x8b, 0x4e, 0x04,       /* mov ecx, [rsi+4]   */
	0x0f, 0xa2,             /* cpuid              */
	0x89, 0x07,             /* mov [rdi], eax     */
	0x89, 0x5f, 0x04,       /* mov [rdi+4], ebx   */
	0x89, 0x4f, 0x08,       /* mov [rdi+8], ecx   */
	0x89, 0x57, 0x0c,       /* mov [rdi+12], edx  */
	0x48, 0x83, 0xc6, 0x08, /* add rsi, 8         */
	0x48, 0x83, 0xc7, 0x10, /* add rdi, 16        */
	0x49, 0xff, 0xc8,       /* dec r8             */
	0x75, 0x100 - 31,       /* jnz loop (rel8 from the end of this jnz) */
	0xf4,                   /* hlt                */
};

static void put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

static uint32_t get32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return v;
}

/* Runs the program over n (leaf, subleaf) pairs; answers into t (appended). */
static int cal_run(struct kvm_ctx *k, const uint32_t (*list)[2], unsigned n,
		   struct cpuid_table *t, uint32_t knobs, struct test_case *c,
		   struct outcome *out, char *err, size_t errlen)
{
	case_init(c);
	snprintf(c->id, sizeof(c->id), "cpuid-calibration%s", knobs ? "-cpl3" : "");
	c->knobs = knobs;
	memcpy(c->code, cal_program, sizeof(cal_program));
	c->code_len = sizeof(cal_program);
	for (unsigned i = 0; i < n; i++) {
		put32(c->data + 8 * i, list[i][0]);
		put32(c->data + 8 * i + 4, list[i][1]);
	}
	c->data_len = 8 * n;
	c->gpr[RSI] = LAYOUT_DATA;
	c->gpr[RDI] = CAL_OUT;
	c->gpr[R8] = n;
	/* A loaded host can stretch the probe past a case's time budget
	 * (measured in CI: a TIMEOUT while other tests ran); the probe is
	 * deterministic otherwise, so a timeout is run again. */
	const struct exit_event *e = NULL;
	for (unsigned tries = 0; tries < CAL_TRIES; tries++) {
		if (kvm_exec_case(k, c, out, err, errlen) < 0)
			return -1;
		e = outcome_terminal(out);
		if (!e || e->kind != EXIT_TIMEOUT)
			break;
	}
	uint64_t want_rip = LAYOUT_CODE + sizeof(cal_program);
	/* At CPL3 the closing HLT is #GP(0), raised at the HLT itself. */
	int done = knobs & KNOB_CPL3 ?
		e && e->kind == EXIT_EXCEPTION && e->addr == 13 && e->rip == want_rip - 1 :
		e && e->kind == EXIT_HLT && e->rip == want_rip;
	if (!done) {
		snprintf(err, errlen, "CPUID calibration: guest ended with %s (vector/addr 0x%llx, rip 0x%llx), wanted hlt at 0x%llx",
			 e ? exit_kind_name(e->kind) : "nothing",
			 e ? (unsigned long long)e->addr : 0ull,
			 e ? (unsigned long long)e->rip : 0ull,
			 (unsigned long long)want_rip);
		return -1;
	}
	for (unsigned i = 0; i < n && t->n < CPUID_TABLE_MAX; i++) {
		const uint8_t *a = k->ram + CAL_OUT + 16 * i;
		struct cpuid_entry *ce = &t->e[t->n++];
		ce->leaf = list[i][0];
		ce->subleaf = list[i][1];
		ce->eax = get32(a);
		ce->ebx = get32(a + 4);
		ce->ecx = get32(a + 8);
		ce->edx = get32(a + 12);
	}
	return 0;
}

int kvm_calibrate_cpuid(struct kvm_ctx *k, struct cpuid_table *t, uint32_t knobs,
			char *err, size_t errlen)
{
	struct test_case *c = malloc(sizeof(*c));
	struct outcome *out = malloc(sizeof(*out));
	uint32_t (*list)[2] = calloc(CAL_MAX, sizeof(*list));
	struct cpuid_table *probe = calloc(1, sizeof(*probe));
	int rc = -1;
	if (!c || !out || !list || !probe) {
		snprintf(err, errlen, "CPUID calibration: out of memory");
		goto done;
	}

	/* First the max-leaf queries of the three ranges, then every leaf
	 * of each (up to a cap) with CAL_SUBLEAVES subleaves: the reference
	 * answers any subleaf of a leaf whose first ones agree (the generator
	 * sets ECX to 0..2). The hypervisor range (KVM's signature leaves) is
	 * taken only when its first leaf says so. */
	list[0][0] = 0;
	list[1][0] = 0x80000000u;
	list[2][0] = 0x40000000u;
	if (cal_run(k, (const uint32_t (*)[2])list, 3, probe, knobs, c, out, err, errlen) < 0)
		goto done;
	uint32_t max_basic = probe->e[0].eax, max_ext = probe->e[1].eax;
	uint32_t max_hv = probe->e[2].eax;
	if (max_basic > CAL_BASIC_MAX)
		max_basic = CAL_BASIC_MAX;
	if (max_ext > CAL_EXT_MAX)
		max_ext = CAL_EXT_MAX;
	if (max_hv < 0x40000000u || max_hv > CAL_HV_MAX)
		max_hv = max_hv < 0x40000000u ? 0 : CAL_HV_MAX;

	unsigned n = 0;
	const uint32_t ranges[3][2] = { { 0, max_basic }, { 0x40000000u, max_hv },
					{ 0x80000000u, max_ext } };
	for (unsigned r = 0; r < 3; r++) {
		if (r && ranges[r][1] < ranges[r][0])
			continue;
		for (uint32_t leaf = ranges[r][0]; leaf <= ranges[r][1]; leaf++)
			for (uint32_t sub = 0; sub < CAL_SUBLEAVES && n < CAL_MAX; sub++) {
				list[n][0] = leaf;
				list[n++][1] = sub;
			}
	}
	t->n = 0;
	rc = cal_run(k, (const uint32_t (*)[2])list, n, t, knobs, c, out, err, errlen);
done:
	free(c);
	free(out);
	free(list);
	free(probe);
	return rc;
}
