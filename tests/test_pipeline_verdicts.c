/* The finding pipeline (pipeline/pipeline.h) with fake executors whose
 * behaviour each check chooses: the verdicts (same, unsupported, diverged,
 * unconfirmed when a second KVM run does not repeat, executor failures
 * with their reason), the first divergence of a case whose wrong value a
 * later instruction copies, its filing (bucket key with @MODE, known-list
 * lookup) and the cluster key. No KVM needed. */
#include <string.h>
#include "check.h"
#include "fake_executor.h"
#include "pipeline.h"

/* What the fakes do, set per check. */
static int kvm_flips;        /* KVM's first instruction leaves RAX wrong */
static int kvm_flaky;        /* ... on every other run only */
static unsigned kvm_flip_runs; /* ... on the first this many runs only (0: all) */
static int kvm_fails;        /* KVM's run fails */
static int ref_unsupported;  /* the reference ends UNSUPPORTED */
/* The reference's trace holds an MMIO write there (0: none) in a case
 * whose second byte is 0xaa. */
static uint64_t ref_write_at;
static unsigned vmm_cases;   /* cases the fake VMM was given */
static unsigned kvm_runs;

/* The case: two one-byte instructions (offsets 0 and 1) and a HLT. The
 * reference records both as run; RAX's last writer is the second ("mov")
 * when it ran, else the first ("add"), as a MOV copying the first's
 * result would be named. */
static int fake_ref_run(struct executor *ex, const struct test_case *c, struct outcome *o)
{
	(void)ex;
	base_outcome(c, o);
	if (ref_unsupported) {
		outcome_init(o);
		struct exit_event e = { .kind = EXIT_UNSUPPORTED, .rip = LAYOUT_CODE };
		outcome_push(o, &e);
		snprintf(o->mnemonic, sizeof(o->mnemonic), "fake");
		return 0;
	}
	if (ref_write_at && c->code[1] == 0xaa) {
		/* Before the terminal HLT base_outcome pushed. */
		struct exit_event w = { .kind = EXIT_MMIO, .dir = DIR_OUT, .size = 2, .addr = ref_write_at };
		struct exit_event t = o->events[o->n_events - 1];
		o->events[o->n_events - 1] = w;
		outcome_push(o, &t);
	}
	static const char *const names[] = { "add", "mov" };
	for (unsigned i = 0; i < 2 && c->code[i] != 0xf4; i++) {
		struct ran_insn *r = ran_place(o, LAYOUT_CODE + i);
		r->rip = LAYOUT_CODE + i;
		snprintf(r->mnemonic, sizeof(r->mnemonic), "%s", names[i]);
		snprintf(o->writer_gpr[RAX], sizeof(o->writer_gpr[RAX]), "%s", names[i]);
	}
	return 0;
}

static int fake_kvm_run(struct executor *ex, const struct test_case *c, struct outcome *o)
{
	kvm_runs++;
	if (kvm_fails && kvm_runs >= (unsigned)kvm_fails) {
		snprintf(ex->err, sizeof(ex->err), "case %s: fake KVM_RUN failure", c->id);
		return -1;
	}
	base_outcome(c, o);
	if (kvm_flips && c->code[0] != 0xf4 && (!kvm_flaky || kvm_runs % 2) &&
	    (!kvm_flip_runs || kvm_runs <= kvm_flip_runs))
		o->state.gpr[RAX] ^= 1;
	return 0;
}

/* A VMM: no trace, and a batch call as the VMM executor has. */
static int fake_vmm_run(struct executor *ex, const struct test_case *c, struct outcome *o)
{
	(void)ex;
	vmm_cases++;
	base_outcome(c, o);
	o->unobserved = OUTCOME_NO_TRACE;
	return 0;
}

static size_t fake_vmm_batch(struct executor *ex, const struct test_case *c, size_t n,
			     const uint32_t *budget_us, struct outcome *o)
{
	for (size_t i = 0; i < n; i++)
		if (!budget_us || budget_us[i] != EXEC_NOT_RUN)
			fake_vmm_run(ex, &c[i], &o[i]);
	return n;
}

static const struct executor_ops fake_ref_ops = { .name = "fake-ref", .init = fake_init, .run = fake_ref_run, .fini = fake_fini };
static const struct executor_ops fake_kvm_ops = { .name = "fake-kvm", .init = fake_init, .run = fake_kvm_run, .fini = fake_fini };
static struct executor xr = { .ops = &fake_ref_ops }, xk = { .ops = &fake_kvm_ops };

static void reset(void)
{
	kvm_flips = kvm_flaky = kvm_fails = ref_unsupported = 0;
	kvm_runs = kvm_flip_runs = 0;
}

int main(void)
{
	static struct test_case c;
	static struct outcome ref, kvm;
	struct known_list known = { 0 };
	char err[256] = "";
	const char *list = "hlt/hlt:rax:add@prot32  the fake's first instruction in prot32\n";
	CHECK(known_parse(&known, list, strlen(list), "known.txt", err, sizeof(err)) == 0,
	      "known list parses (%s)", err);
	struct pipeline p;
	CHECK(pipeline_open(&p, &xr, &xk, &known) == 0, "pipeline opens");
	p.confirm = 1;
	case_init(&c);
	snprintf(c.id, sizeof(c.id), "two-insns");
	c.code[0] = 0x90;
	c.code[1] = 0x90;
	c.code[2] = 0xf4;
	c.code_len = 3;
	struct pl_result r, cut;
	int got;

	reset();
	CHECK(pipeline_run(&p, &c, &ref, &kvm, &r) == PL_SAME && kvm_runs == 1,
	      "agreeing executors: same, one KVM run (%u)", kvm_runs);

	reset();
	ref_unsupported = 1;
	CHECK(pipeline_run(&p, &c, &ref, &kvm, &r) == PL_UNSUPPORTED, "UNSUPPORTED reference: not compared");

	reset();
	kvm_fails = 1;
	CHECK(pipeline_run(&p, &c, &ref, &kvm, &r) == PL_KVM_FAILED &&
	      !strcmp(r.err, "fake-kvm executor: case two-insns: fake KVM_RUN failure"),
	      "a failing KVM executor: PL_KVM_FAILED with its reason (%s)", r.err);

	reset();
	kvm_flips = 1;
	enum pl_verdict v = pipeline_run(&p, &c, &ref, &kvm, &r);
	CHECK(v == PL_DIVERGED && kvm_runs == 2 && !strcmp(r.d.signature, "hlt/hlt:rax:mov"),
	      "a divergence: confirmed by a second KVM run (%u runs), named by the copier: %s",
	      kvm_runs, r.d.signature);

	reset();
	kvm_flips = kvm_flaky = 1;
	v = pipeline_run(&p, &c, &ref, &kvm, &r);
	CHECK(v == PL_UNCONFIRMED, "a divergence a second KVM run does not repeat: unconfirmed (%d)", v);

	reset();
	kvm_flips = 1;
	p.confirm = 0;
	v = pipeline_run(&p, &c, &ref, &kvm, &r);
	CHECK(v == PL_DIVERGED && kvm_runs == 1, "without confirm: one KVM run (%u)", kvm_runs);
	CHECK(pipeline_confirm(&p, &r) == PL_DIVERGED && kvm_runs == 2,
	      "pipeline_confirm runs KVM once more (%u)", kvm_runs);
	p.confirm = 1;

	/* KVM failing on the confirming run is a hypervisor failure, never
	 * "unconfirmed": its case must be filed. */
	reset();
	kvm_flips = 1;
	kvm_fails = 2; /* from the second run on */
	v = pipeline_run(&p, &c, &ref, &kvm, &r);
	CHECK(v == PL_KVM_FAILED && strstr(r.err, "confirming run") && strstr(r.err, "fake KVM_RUN failure"),
	      "KVM failing on the confirming run: PL_KVM_FAILED (%d: %s)", v, r.err);

	/* The first divergence: the HLT on the second instruction still
	 * diverges (the first one wrote RAX), on the first it does not. */
	reset();
	kvm_flips = 1;
	pipeline_run(&p, &c, &ref, &kvm, &r);
	CHECK(pipeline_first(&p, &r, &cut) == 1 && cut.cut_at == 1 &&
	      !strcmp(cut.d.signature, "hlt/hlt:rax:add") && cut.c->code[1] == 0xf4 &&
	      !strcmp(cut.c->id, "two-insns-cut"),
	      "the first divergence: cut at offset %d, %s, id %s", cut.cut_at, cut.d.signature,
	      cut.c->id);
	CHECK(c.code[1] == 0x90, "the whole case is left as it was");

	/* The cut's runs: the search asks about offsets 1 and 0, the cut at
	 * 1 runs once more, then KVM confirms it: the 4th run after r. */
	for (unsigned until = 3; until <= 4; until++) {
		reset();
		kvm_flips = 1;
		pipeline_run(&p, &c, &ref, &kvm, &r);
		kvm_runs = 0;
		kvm_flip_runs = until;
		got = pipeline_first(&p, &r, &cut);
		CHECK(got == (until == 4), "the cut's divergence %s: %s (%d)",
		      until == 4 ? "repeated by the confirming KVM run" :
		      "gone in the confirming KVM run", until == 4 ? "taken" : "not taken", got);
	}

	/* Filing: the bucket key, the known list, the cluster key. */
	struct finding f;
	pipeline_file(&p, &c, "hlt/hlt:rax:add", &f);
	CHECK(!strcmp(f.key, "hlt/hlt:rax:add") && !f.known, "long64: key %s, not known", f.key);
	c.mode = MODE_PROT32;
	pipeline_file(&p, &c, "hlt/hlt:rax:add", &f);
	CHECK(!strcmp(f.key, "hlt/hlt:rax:add@prot32") && f.known,
	      "prot32: key %s, known by the @prot32 entry", f.key);
	char cl[PIPELINE_CLUSTER_MAX];
	pipeline_cluster(f.key, 0, 1, cl);
	CHECK(!strcmp(cl, "hlt/hlt gpr alu prot32 [none]"), "its cluster: %s", cl);
	CHECK(pipeline_case_known("hlt/hlt:r*:add", "hlt/hlt:rax:add") &&
	      !pipeline_case_known("", "hlt/hlt:rax:add"),
	      "a case file's known-signature pattern matches; an empty one never");

	/* Budgets: a reference whose trace filled up gives KVM the whole
	 * budget (its own trace may end it otherwise); an executor without a
	 * trace is not given the case (nothing it does there is compared),
	 * nor one whose reference spent its step budget. */
	static const struct executor_ops traceless_ops = { .name = "fake-vmm", .no_trace = 1 };
	struct executor traceless = { .ops = &traceless_ops };
	struct outcome full;
	outcome_init(&full);
	struct exit_event io = { .kind = EXIT_IO, .dir = DIR_OUT, .size = 1, .addr = 0x80 };
	while (outcome_push(&full, &io))
		;
	CHECK(pipeline_budget_of(&full) == PL_BUDGET_WHOLE, "a full trace: KVM gets the whole budget");
	CHECK(!exec_skip_reason(&xk, &c, &full), "... and is given the case");
	const char *why = exec_skip_reason(&traceless, &c, &full);
	CHECK(why && !strcmp(why, "trace-full"),
	      "an executor without a trace is not given it: nothing it does could diverge (%s)", why);
	struct outcome spent;
	outcome_init(&spent);
	struct exit_event steps = { .kind = EXIT_TIMEOUT };
	outcome_push(&spent, &steps);
	spent.steps = REF_STEP_BUDGET;
	why = exec_skip_reason(&traceless, &c, &spent);
	CHECK(outcome_step_budget_spent(&spent) && why && !strcmp(why, "step-budget") &&
		      !exec_skip_reason(&xk, &c, &spent),
	      "a spent step budget: KVM runs it, the VMM is not given it (%s)", why);
	struct outcome unsup;
	outcome_init(&unsup);
	struct exit_event u = { .kind = EXIT_UNSUPPORTED, .rip = 0x3000000 };
	outcome_push(&unsup, &u);
	why = exec_skip_reason(&traceless, &c, &unsup);
	CHECK(why && !strcmp(why, "ref-unsupported") && !exec_skip_reason(&xk, &c, &unsup),
	      "a reference that ended UNSUPPORTED: KVM runs it, the VMM is not given it (%s)", why);

	/* A write to the system part (the GDT's CS entry at 0x1028) in the
	 * reference's trace: a VMM's guest would keep it (its runtime's live
	 * GDT), so the VMM is not given the case, alone or in a batch, and
	 * the verdict names why; KVM, whose memslot there is read-only, and
	 * a write to the writable part run as ever. */
	static const struct executor_ops vmm_ops = { .name = "fake-vmm", .init = fake_init,
		.run = fake_vmm_run, .fini = fake_fini, .no_trace = 1, .run_batch = fake_vmm_batch };
	struct executor vmm = { .ops = &vmm_ops };
	struct pipeline pv;
	CHECK(pipeline_open(&pv, &xr, &vmm, NULL) == 0, "a pipeline with the fake VMM opens");
	reset();
	vmm_cases = 0;
	ref_write_at = 0x1028;
	c.code[1] = 0xaa;
	CHECK(pipeline_run(&pv, &c, &ref, &kvm, &r) == PL_UNSUPPORTED && vmm_cases == 0 &&
		      !strcmp(r.d.mnemonic, "vmm:system-write") && !strcmp(kvm.mnemonic, "vmm:system-write"),
	      "a system-part write: the VMM is not run (%u cases), not compared as %s", vmm_cases,
	      r.d.mnemonic);
	CHECK(pipeline_run(&p, &c, &ref, &kvm, &r) != PL_UNSUPPORTED && kvm_runs >= 1,
	      "the same case against KVM: run (%u), compared", kvm_runs);
	ref_write_at = LAYOUT_DATA;
	CHECK(pipeline_run(&pv, &c, &ref, &kvm, &r) == PL_SAME && vmm_cases == 1,
	      "a write to the data page: the VMM runs it (%u), compared", vmm_cases);
	ref_write_at = 0x1028;
	static struct test_case bc[3];
	static struct outcome bref[3], bvmm[3];
	struct pl_result br[3];
	for (int i = 0; i < 3; i++) {
		bc[i] = c;
		bc[i].code[1] = i == 1 ? 0xaa : 0x90;
	}
	vmm_cases = 0;
	size_t m1 = pipeline_run_batch(&pv, bc, 3, bref, bvmm, br);
	CHECK(m1 == 3 && vmm_cases == 2 && br[0].verdict == PL_SAME && br[2].verdict == PL_SAME,
	      "a batch with a system-part write in the middle: %zu results, %u cases run", m1, vmm_cases);
	CHECK(br[1].verdict == PL_UNSUPPORTED && !strcmp(br[1].d.mnemonic, "vmm:system-write"),
	      "the one between was not given to the VMM, not compared (%s)", br[1].d.mnemonic);
	ref_write_at = 0;
	pipeline_close(&pv);

	pipeline_close(&p);
	known_free(&known);
	return check_done("test_pipeline_verdicts");
}
