/*
 * The reference executor's internal contract: the CPU state, the services
 * every semantics handler uses (operands, memory, stack, flags, faults) and
 * the shape of the semantics tables.
 *
 * Semantics live in tables keyed by Capstone instruction id. Each family
 * file (ref_alu.c, ref_ctl.c, ...) exports one fragment; ref_table.c merges
 * them into a dense array at start-up. An id absent from every fragment ends
 * the case with UNSUPPORTED and the mnemonic.
 */
#ifndef EXITDIFF_REF_INTERNAL_H
#define EXITDIFF_REF_INTERNAL_H

#include <stdint.h>
#include <capstone/capstone.h>
#include "../decode/decode.h"
#include "../core/case.h"
#include "../core/outcome.h"
#include "../core/executor.h"
#include "../core/mode.h"

/* Same order as enum seg_reg (the Sreg encoding). */
enum ref_seg { SEG_ES, SEG_CS, SEG_SS, SEG_DS, SEG_FS, SEG_GS, SEG_COUNT };

struct ref_cpu {
	uint64_t gpr[GPR_COUNT];
	uint64_t rip;        /* address of the instruction being executed */
	uint64_t next_rip;   /* rip + length; a taken branch overwrites it */
	uint64_t rflags;
	uint64_t cr0, cr2, cr3, cr4, cr8, efer, xcr0;
	uint64_t xmm[16][2];  /* [i][0] bits 63:0 (ref_sse.c); zero at the start */
	/* Segment registers with their hidden parts; in 64-bit mode only the
	 * FS and GS bases matter (SDM Vol. 3A 3.4.4). Start: mode_env_init. */
	struct seg_desc seg[SEG_COUNT];
	struct seg_desc tr, ldtr;
	uint64_t gdtr_base, idtr_base;
	uint16_t gdtr_limit, idtr_limit;
	uint8_t mode;        /* enum cpu_mode of the case */
	uint8_t cpl;         /* current privilege level */
	uint8_t code_bits;   /* 16, 32, 64: the code segment's default size */
	uint32_t knobs;      /* KNOB_* of the case */
	uint8_t vendor;      /* enum cpu_vendor whose manual it follows (ref_vendor.c) */
	uint8_t read_undefined_mem; /* the instruction read undefined memory bits */
	uint8_t undef_mem_fresh;    /* undefined_mem slots whose own store is to come */
	/* System registers the system instructions model (ref_sys*.c):
	 * debug registers, and the MSRs of the documented set. */
	uint64_t dr[8];
	uint64_t msr_star, msr_lstar, msr_cstar, msr_fmask, msr_kernel_gs_base;
	uint64_t msr_tsc_aux, msr_sysenter_cs, msr_sysenter_esp, msr_sysenter_eip;
	uint8_t *ram;        /* LAYOUT_RAM_SIZE bytes, GPA 0 at ram[0] */
	uint64_t *ram_dirty; /* ref_ram_track.dirty of ram, or NULL */
	struct outcome *out;
	const struct cpuid_table *cpuid;
	uint16_t mmio_window_read; /* executor.mmio_window_read */
	const cs_insn *insn; /* the instruction being executed */
	/* RFLAGS bits currently undefined: set by an instruction that leaves
	 * them undefined, cleared by one that defines them (SDM Vol. 1 3.4.3
	 * and each instruction's "Flags Affected"). */
	uint64_t undefined_flags;
	/* Physical-address bits above MAXPHYADDR (bits 51:M), reserved in
	 * every paging-structure entry (SDM Vol. 3A 4.5); set by
	 * ref_cpu_reset from CPUID 0x80000008 when known. */
	uint64_t pte_rsvd;
	/* Exception delivery outside long mode (ref_fault.c): the vector
	 * being delivered (-1: none), so a fault while pushing its frame
	 * becomes #DF or a shutdown (SDM Vol. 3A 6.15, table 6-5); resume
	 * set when a delivery succeeded and the run loop must go on at
	 * rip (the handler still returns REF_STOP). */
	int16_t delivering;
	uint8_t resume;
	/* TF was set when the instruction in hand began: it ends with a
	 * single-step #DB (a REP string instruction after each element). */
	uint8_t single_step;
	/* Data breakpoints (B0-B3) the instruction's accesses hit: a #DB
	 * trap after it (ref_debug.c); kept past MOV SS / POP SS. */
	uint8_t db_hits;
	/* The case's event (case_event.h) not yet delivered, and whether
	 * the first instruction runs in an interrupt shadow that holds an
	 * NMI back (SDM Vol. 3A 6.8.3). */
	uint8_t event_pending, event_shadow;
	/* An NMI was delivered: later ones are held (no stub runs IRET, SDM
	 * Vol. 3A 6.7.1). */
	uint8_t nmi_blocked;
	/* The case's external interrupt not yet taken (-1: none), and the
	 * interrupt shadow: irq_shadow holds it at this boundary, set by the
	 * instruction before (an STI that set IF, MOV SS, POP SS: SDM Vol.
	 * 3A 6.8.3); irq_shadow_next is what the instruction in hand sets. */
	int16_t intr_vector;
	uint8_t irq_shadow, irq_shadow_next; /* enum ref_irq_shadow */
	uint64_t deliver_rsp; /* RSP when the first delivery started */
	char raised_by[16];   /* mnemonic that raised the last delivered
				 exception ('_' for spaces), for the event */
};

enum ref_irq_shadow { REF_SHADOW_NONE = 0, REF_SHADOW_STI, REF_SHADOW_SS };

/* What a handler tells the run loop. */
enum ref_status {
	REF_NEXT = 0,        /* retire: rip = next_rip, run the next one */
	REF_STOP,            /* a terminal event was pushed (HLT, exception,
				trace full): the case ends */
	REF_UNSUPPORTED,     /* this form is not modeled: ends UNSUPPORTED */
};

typedef enum ref_status (*ref_handler)(struct ref_cpu *cpu, const cs_insn *insn);

struct ref_sem {
	unsigned id;         /* X86_INS_* */
	ref_handler fn;
};

/* Table fragments, one per family file; ref_table.c merges them. */
extern const struct ref_sem ref_sem_alu[];   /* ref_alu.c: arithmetic, logic,
						shifts, mul/div, setcc, cmov,
						flag instructions */
extern const unsigned ref_sem_alu_count;
extern const struct ref_sem ref_sem_ctl[];   /* ref_ctl.c: mov family, lea,
						xchg, push/pop, call/ret/jmp/
						jcc/loop, nop, hlt, ud2, int3,
						in/out, cpuid */
extern const unsigned ref_sem_ctl_count;

/* The merged table (NULL entries: UNSUPPORTED). */
ref_handler ref_lookup(unsigned insn_id);

/* ---- registers (Capstone register ids) ---------------------------------
 * ref_get_reg returns the value zero-extended to 64 bits (AH reads bits
 * 15:8). ref_set_reg follows the architecture: a 32-bit write zero-extends
 * into the full register, 8/16-bit writes merge (SDM Vol. 1 3.4.1.1). */
uint64_t ref_get_reg(const struct ref_cpu *cpu, x86_reg r);
void ref_set_reg(struct ref_cpu *cpu, x86_reg r, uint64_t v);
unsigned ref_reg_size(x86_reg r);             /* bytes: 1, 2, 4, 8 */
int ref_reg_gpr(x86_reg r);                   /* enum gpr, or -1 */

/* ---- operands of the current instruction --------------------------------
 * Index i is into insn->detail->x86.operands. Values are zero-extended;
 * immediates are sign-extended by Capstone to the operand size, and then
 * truncated to op.size bytes. Return 0, or -1 when a fault was raised (the
 * handler must then return REF_STOP). */
int ref_read_op(struct ref_cpu *cpu, int i, uint64_t *v);
int ref_write_op(struct ref_cpu *cpu, int i, uint64_t v);
/* Reads a destination the handler will write back (ADD [m], r; SHL [m]):
 * one read-modify-write access, whose page walk checks for writing first
 * (a fault reports W=1). Handlers say so, since Capstone's access bits
 * are wrong for some forms (TEST marks its memory operand written). */
int ref_read_op_rmw(struct ref_cpu *cpu, int i, uint64_t *v);
/* Linear address of memory operand i (segment base applied for FS/GS;
 * address-size override truncates to 32 bits). */
uint64_t ref_op_addr(const struct ref_cpu *cpu, int i);
unsigned ref_op_size(const struct ref_cpu *cpu, int i);

/* ---- memory --------------------------------------------------------------
 * Linear accesses through the 4-level page walk. seg selects #SS (SEG_SS)
 * or #GP (others) for non-canonical addresses; a walk failure raises #PF
 * with the SDM error code and CR2. An access to the MMIO window pushes an
 * MMIO event (reads answered with ENV_MMIO_READ_BYTE bytes). size <= 8. */
int ref_mem_read(struct ref_cpu *cpu, enum ref_seg seg, uint64_t la,
		 unsigned size, uint64_t *v);
int ref_mem_write(struct ref_cpu *cpu, enum ref_seg seg, uint64_t la,
		  unsigned size, uint64_t v);
/* The read half of a read-modify-write: the pages are checked for writing
 * first, so a fault reports W=1 and nothing is read. */
int ref_mem_read_rmw(struct ref_cpu *cpu, enum ref_seg seg, uint64_t la,
		     unsigned size, uint64_t *v);
/* Instruction fetch of up to 15 bytes at la: fills buf, returns the number
 * of bytes readable before a fault (the decoder decides if that suffices). */
unsigned ref_fetch(struct ref_cpu *cpu, uint64_t la, uint8_t *buf, unsigned n,
		   uint64_t *fault_la);

/* ---- stack (64-bit mode: RSP, size 8 or 2) ------------------------------ */
int ref_push(struct ref_cpu *cpu, uint64_t v, unsigned size);
int ref_pop(struct ref_cpu *cpu, uint64_t *v, unsigned size);

/* ---- flags -----------------------------------------------------------------
 * ref_set_flags writes the bits of mask from values and marks them defined;
 * ref_undefine_flags marks bits undefined (their value is then masked in
 * comparisons). Both record the writer mnemonic for signatures. */
void ref_set_flags(struct ref_cpu *cpu, uint64_t mask, uint64_t values);
void ref_undefine_flags(struct ref_cpu *cpu, uint64_t mask);
/* Evaluates a condition code 0..15 (the low nibble of Jcc/SETcc/CMOVcc
 * opcodes: O, NO, B, AE, E, NE, BE, A, S, NS, P, NP, L, GE, LE, G). */
int ref_cond(const struct ref_cpu *cpu, unsigned cc);
/* The condition nibble of a Jcc/SETcc/CMOVcc Capstone id, or -1. */
int ref_cond_of_insn(unsigned insn_id);

/* ---- events and faults --------------------------------------------------- */
/* Raises an exception: pushes the EXCEPTION event (faulting RIP = cpu->rip,
 * or next_rip for traps the caller passes as rip), and the end state is the
 * state at that point. Always returns REF_STOP. */
enum ref_status ref_raise(struct ref_cpu *cpu, unsigned vector,
			  int has_error_code, uint32_t error_code);
/* Pushes an I/O or MMIO event; returns 0, or -1 when the trace is full
 * (a TIMEOUT was pushed: return REF_STOP). */
int ref_event(struct ref_cpu *cpu, const struct exit_event *e);
/* Records mnemonic of the current instruction as the writer of GPR r. */
void ref_note_gpr_write(struct ref_cpu *cpu, int gpr);

/* ---- framework additions (ref_exec.c, ref_mem.c, ...) --------------------
 * Everything below is additive to the contract above: services the run loop,
 * the control/data-movement handlers and the tests use. */

/* The I/O and string-I/O fragment of ref_ctl (ref_ctl_io.c). */
extern const struct ref_sem ref_sem_ctl_io[];
extern const unsigned ref_sem_ctl_io_count;

/* ---- modes and system state (ref_seg.c, ref_sys*.c) ----------------------
 * Loads segment register s with selector sel the way MOV Sreg / POP Sreg /
 * far transfers do in the current mode: real mode sets base = sel << 4;
 * protected and long mode read the GDT/LDT descriptor and raise #GP/#SS/#NP
 * with the selector as error code (SDM Vol. 3A 3.4.3, 5.5-5.8; Vol. 2
 * "MOV - Move", "Operation" of MOV Sreg). Returns 0, or -1 after raising
 * (the handler returns REF_STOP). */
int ref_seg_load(struct ref_cpu *cpu, enum ref_seg s, uint16_t sel);
/* 1 when the current instruction may run at this CPL; else raises #GP(0)
 * and returns 0 (privileged instructions, SDM Vol. 3A 5.9). */
int ref_require_cpl0(struct ref_cpu *cpu);

/* Fills the dense table from every fragment; idempotent. ref_lookup calls
 * it on first use, so it is only an optimisation to call it early. */
void ref_table_build(void);

/* Kinds of linear access, for the page walk and the #PF error code.
 * REF_ACC_SUPER may be or'ed in: an implicit supervisor access (descriptor
 * tables, the IDT) that ignores CPL3 (SDM Vol. 3A 4.6). */
enum ref_access { REF_ACC_READ = 0, REF_ACC_WRITE = 1, REF_ACC_FETCH = 2,
		  REF_ACC_SUPER = 8 };

/* #PF error code bits (SDM Vol. 3A 4.7). */
#define PFEC_P    (1u << 0)
#define PFEC_W    (1u << 1)
#define PFEC_U    (1u << 2)
#define PFEC_RSVD (1u << 3)
#define PFEC_ID   (1u << 4)


/* 1 when la is canonical for 48-bit linear addresses (SDM Vol. 1 3.3.7.1). */
static inline int ref_canonical(uint64_t la)
{
	return (uint64_t)(((int64_t)(la << 16)) >> 16) == la;
}

/* 1 in IA-32e mode (EFER.LMA): 64-bit and compatibility mode, whose
 * exceptions are delivered in 64-bit mode (SDM Vol. 3A 6.14). */
static inline int ref_lma(const struct ref_cpu *cpu)
{
	return (cpu->efer & (1ull << 10)) != 0;
}

/* The page walk from CR3 the paging mode asks for (32-bit, PAE or
 * 4-level: SDM Vol. 3A 4.3-4.5): returns 0 with the GPA,
 * or -1 with the #PF error code the access would raise. Never raises. */
int ref_translate(const struct ref_cpu *cpu, uint64_t la, enum ref_access acc,
		  uint64_t *gpa, uint32_t *pfec);
/* 1 when gpa is backed by guest RAM (else it is an MMIO exit in KVM). */
static inline int ref_gpa_is_ram(uint64_t gpa, unsigned size)
{
	return gpa < LAYOUT_RAM_SIZE && gpa + size <= LAYOUT_RAM_SIZE;
}

/* Segment a memory operand of the current instruction uses: its override,
 * else SS for an RSP/RBP base (SDM Vol. 1 3.7.5), else DS. */
enum ref_seg ref_op_seg(const struct ref_cpu *cpu, int i);
/* Effective address of memory operand i without segment base (for LEA). */
uint64_t ref_op_ea(const struct ref_cpu *cpu, int i);

/* Records that the store of size bytes at la (an RFLAGS image: PUSHF,
 * an exception frame) holds the undefined bits mask, so the diff masks
 * them (outcome.undefined_mem). Call before the store; a later write of
 * those bytes defines them again, a read sets cpu->read_undefined_mem.
 * Returns 0, or -1 when the bits cannot be masked (the store goes to
 * MMIO, or the slots are full): the case is then not comparable. */
int ref_note_undefined_store(struct ref_cpu *cpu, uint64_t la, unsigned size, uint64_t mask);

/* Raises #PF for la with error code pfec (sets CR2). Returns REF_STOP. */
enum ref_status ref_raise_pf(struct ref_cpu *cpu, uint64_t la, uint32_t pfec);
/* Raises a trap-class event (INT3, INT n): the pushed RIP is next_rip and RF
 * is not set in the pushed RFLAGS. Returns REF_STOP. */
enum ref_status ref_raise_trap(struct ref_cpu *cpu, unsigned vector);
/* The single-step #DB after an instruction that began with TF set: a
 * hardware trap (no gate DPL check, no error code), RIP = next_rip. */
enum ref_status ref_raise_single_step(struct ref_cpu *cpu);
/* The case's event at an instruction boundary: an NMI or an injected
 * hardware exception, RIP = the next instruction to run, RF as it is (an
 * event from outside, not a fault of that instruction). */
enum ref_status ref_deliver_event(struct ref_cpu *cpu, const struct case_event *e);
/* The instruction-breakpoint #DB: a fault (RIP = the instruction) whose
 * frame keeps RF clear. */
enum ref_status ref_raise_code_breakpoint(struct ref_cpu *cpu);

/* Events made pending while the case halts in the handler of the
 * exception that ended it (ref_handler.c): an NMI delivered there. */
void ref_events_in_handler(struct ref_cpu *cpu, const struct test_case *c);

/* ---- the case's external interrupt (ref_intr.c) ------------------------ */
/* 1 when the pending interrupt is taken at this boundary (IF = 1, no
 * shadow). */
int ref_intr_ready(const struct ref_cpu *cpu);
/* 1 when a HLT here wakes for it (IF = 1; a shadow does not hold a HLT). */
int ref_intr_wakes_hlt(const struct ref_cpu *cpu);
/* The irq_window event at rip, then the delivery (ref_deliver_event). */
enum ref_status ref_intr_take(struct ref_cpu *cpu);

/* ---- debug breakpoints (ref_debug.c) ------------------------------------ */
/* Why a DR7 value's enabled breakpoints are not modeled, or NULL. */
const char *ref_dbg_unmodeled(const struct ref_cpu *cpu, uint64_t dr7);
/* Notes the data breakpoints an access [la, la+size) hits. */
void ref_dbg_data(struct ref_cpu *cpu, uint64_t la, unsigned size, int write);
/* Notes the I/O breakpoints an access to ports [port, port+size) hits. */
void ref_dbg_io(struct ref_cpu *cpu, uint16_t port, unsigned size);
/* 1 when an I/O breakpoint (RW = 10) is enabled in DR7. */
int ref_dbg_io_armed(const struct ref_cpu *cpu);
/* 1 when an instruction breakpoint is on linear address lip (RF clear);
 * DR6 then names it. */
int ref_dbg_exec_hit(struct ref_cpu *cpu, uint64_t lip);

/* Ends the case with a terminal event of this kind (HLT, TIMEOUT, ...). */
enum ref_status ref_terminal(struct ref_cpu *cpu, enum exit_kind kind,
			     uint64_t addr, uint64_t rip);
/* Records the current instruction as the last writer of memory. */
void ref_note_mem_write(struct ref_cpu *cpu);
/* Records the current instruction as the last writer of an XMM register. */
void ref_note_xmm_write(struct ref_cpu *cpu);

/* ---- RAM between cases (ref_ram.c) -------------------------------------
 * The writable part of guest RAM in blocks: the guest's writes mark theirs
 * (ref_ram_note_write), and the next case's reset rewrites those blocks
 * and the code and data bytes of the two cases, nothing else. */
#define REF_RAM_BLOCK 64u
#define REF_RAM_WORDS ((LAYOUT_RAM_SIZE - LAYOUT_RW_BASE) / REF_RAM_BLOCK / 64)
struct ref_ram_track {
	uint64_t dirty[REF_RAM_WORDS]; /* blocks written since the reset */
	uint64_t restored[REF_RAM_WORDS]; /* blocks the reset rewrote */
	uint32_t code_len, data_len;   /* the case whose image RAM holds */
	uint8_t unknown;               /* RAM holds no known image yet */
};
/* Starts with nothing known: the first reset rewrites everything. */
void ref_ram_track_init(struct ref_ram_track *t);
/* Puts ram back to c's initial image (layout_image_range) and starts
 * tracking c's writes. */
void ref_ram_reset(uint8_t *ram, struct ref_ram_track *t, const struct test_case *c);
/* Copies the compare window of ram out to win at the end of a case. When
 * win_current, win holds the window as the case before ended (the same
 * executor filled it last): only the blocks the reset or the case changed
 * are copied. */
void ref_ram_window_out(const uint8_t *ram, const struct ref_ram_track *t, uint8_t *win,
			int win_current);
/* Marks the blocks of a write of len (1..8) bytes at gpa, a writable
 * RAM address; dirty may be NULL (a test's CPU without tracking). */
static inline void ref_ram_note_write(uint64_t *dirty, uint64_t gpa, unsigned len)
{
	if (!dirty)
		return;
	uint32_t first = (uint32_t)(gpa - LAYOUT_RW_BASE) / REF_RAM_BLOCK;
	uint32_t last = (uint32_t)(gpa + len - 1 - LAYOUT_RW_BASE) / REF_RAM_BLOCK;
	dirty[first / 64] |= 1ull << (first % 64);
	dirty[last / 64] |= 1ull << (last % 64);
}

/* Initial state of a case, exactly as the KVM executor sets it: long mode
 * per layout.h, RIP = LAYOUT_CODE, GPRs and RFLAGS from the case. Does not
 * touch RAM. */
void ref_cpu_reset(struct ref_cpu *cpu, const struct test_case *c,
		   uint8_t *ram, struct outcome *out);

/* ---- modes (ref_seg.c, ref_mem.c, ref_stack.c; refmodes) --------------- */
/* CS load by a far JMP/CALL/RET/IRET to the same privilege level (SDM
 * Vol. 3A 5.8.1): returns 0 with the descriptor in *d (not loaded yet; the
 * caller commits with ref_seg_commit_cs once everything else checked),
 * -1 after raising, 1 when the target is not modeled (call/task gates,
 * privilege changes). new_cpl is the CPL the transfer runs at after. */
int ref_seg_check_cs(struct ref_cpu *cpu, uint16_t sel, uint8_t new_cpl,
		     struct seg_desc *d);
void ref_seg_commit_cs(struct ref_cpu *cpu, const struct seg_desc *d);
/* Segment limit and type checks of one access outside 64-bit mode (SDM
 * Vol. 3A 5.3; Vol. 3B 20.1.3 in real mode): 0, or -1 after raising
 * #GP(0) (#SS(0) for SS). off is the offset in the segment. */
int ref_seg_check(struct ref_cpu *cpu, enum ref_seg s, uint64_t off,
		  unsigned size, enum ref_access acc);
/* Segment-relative access outside 64-bit mode: off is the offset (already
 * truncated to the address size); limit check, base, then as ref_mem_*. */
int ref_mem_read_off(struct ref_cpu *cpu, enum ref_seg s, uint64_t off,
		     unsigned size, uint64_t *v);
int ref_mem_write_off(struct ref_cpu *cpu, enum ref_seg s, uint64_t off,
		      unsigned size, uint64_t v);
/* Implicit supervisor read of linear memory (GDT, IDT, IVT): no
 * segmentation; a page-walk failure raises #PF. 0, or -1 after raising. */
int ref_mem_sys_read(struct ref_cpu *cpu, uint64_t la, unsigned size, uint64_t *v);
/* Virtual-8086 mode (ref_v86.c): RFLAGS.VM. The exception stubs run with
 * it clear, at CPL0, like the rest of protected mode. */
static inline int ref_v86(const struct ref_cpu *cpu)
{
	return (cpu->rflags & RFLAGS_VM) != 0;
}
/* Segment registers load the real-mode way (base = selector << 4): real
 * mode and virtual-8086 mode (SDM Vol. 3B 20.1.1, 20.2.1). */
static inline int ref_real_segs(const struct ref_cpu *cpu)
{
	return cpu->mode == MODE_REAL16 || ref_v86(cpu);
}
/* The checks virtual-8086 mode makes before an instruction runs (SDM
 * Vol. 3B 20.2.7, 20.2.8; Vol. 1 19.5.2): returns REF_NEXT to go on,
 * else the exception has been raised (REF_STOP). */
enum ref_status ref_v86_check(struct ref_cpu *cpu, const cs_insn *insn);
/* Delivers vector from virtual-8086 mode through the IDT32 to CPL0 with
 * the v86 frame (SDM Vol. 3A 6.12.1, Vol. 3B 20.3.1.1): 0 delivered, -1
 * after raising the fault delivery met, 1 when not modeled. */
int ref_v86_deliver(struct ref_cpu *cpu, unsigned vector, int soft, int has_error_code,
		    uint32_t error_code, uint64_t ret_ip, uint64_t flags_image);
/* Linear address of the EFLAGS slot that delivery from v86 writes. */
uint64_t ref_v86_flags_slot(struct ref_cpu *cpu);
/* Reads the GDT descriptor of sel (ref_seg.c): 0, or -1 after raising
 * #GP(sel) when sel lies outside the GDT or names the LDT. */
int ref_seg_read_desc(struct ref_cpu *cpu, uint16_t sel, struct seg_desc *out);
/* Stack offset mask: SS.B selects ESP or SP outside 64-bit mode. */
static inline uint64_t ref_stack_mask(const struct ref_cpu *cpu)
{
	if (ref_lma(cpu) && cpu->code_bits == 64)
		return ~0ull;
	return cpu->seg[SEG_SS].db ? 0xffffffffull : 0xffffull;
}
/* Operand size in bytes of insn in the current mode (66h, REX.W); stack
 * operations (PUSH/POP/CALL/RET) default to 8 in 64-bit mode. */
unsigned ref_opsize(const struct ref_cpu *cpu, const cs_insn *insn, int stack);
/* rSI, rDI and rCX of a string instruction at its address size asz (2, 4
 * or 8 bytes): a 16-bit write keeps the bits above, a 32-bit one
 * zero-extends (SDM Vol. 1 3.4.1.1; Vol. 2B REP: the count is CX, ECX or
 * RCX by address size). The write is noted for signatures. */
static inline uint64_t ref_areg_get(const struct ref_cpu *cpu, int gpr, unsigned asz)
{
	return asz == 2 ? cpu->gpr[gpr] & 0xffffu :
	       asz == 4 ? cpu->gpr[gpr] & 0xffffffffu : cpu->gpr[gpr];
}
void ref_areg_set(struct ref_cpu *cpu, int gpr, uint64_t v, unsigned asz);
/* A REP string store of size bytes at offset off of segment s that
 * overwrites a byte of the REP instruction itself while elements remain:
 * the CPU notices the self-modification and stops the REP at a
 * model-specific element, then fetches the new bytes at the same RIP
 * (ref_string.c). Returns -1 after ending the case UNSUPPORTED
 * ("smc-rep"), else 0. count is the count before this element. */
int ref_rep_store_self(struct ref_cpu *cpu, enum ref_seg s, uint64_t off,
		       unsigned size, unsigned asz, uint64_t count);
/* MOV to/from CRn/DRn (ref_sys.c): the run loop hands it every MOV with
 * such an operand (Capstone names them all MOV). */
enum ref_status ref_sys_mov_crdr(struct ref_cpu *cpu, const cs_insn *insn);

/* The executor's decode cache (ref_decode_cache.h), for tests; NULL
 * before init. */
struct ref_dcache *ref_decode_cache(struct executor *ex);

#endif
