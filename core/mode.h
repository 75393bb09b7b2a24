/*
 * The initial system state of each CPU mode, defined once: control
 * registers, segment registers with their hidden parts, descriptor tables,
 * first RIP and CPL, after the knobs are applied. The KVM executor, the
 * reference, the TMK runtime and Unicorn all start a case from
 * mode_env_init(), so they cannot disagree about the environment.
 *
 *   long64        CS 0x08 (L=1), data 0x10, CR0 PG|WP|NE|ET|MP|PE,
 *                 CR4 PAE|OSFXSR|OSXMMEXCPT, EFER LMA|LME|NXE|SCE, CR3 PML4,
 *                 IDT 0x2000 (16-byte gates on IST1), RIP 0x10000.
 *                 Knob cpl3: CS 0x3b, SS/DS/ES/FS/GS 0x33.
 *   prot32        CS 0x28 (32-bit, flat), data 0x10, CR0 NE|ET|MP|PE,
 *                 CR4 OSFXSR|OSXMMEXCPT, EFER 0, IDT32 0xa000 (8-byte
 *                 interrupt gates, no stack switch), EIP 0x10000.
 *   prot32-paged  as prot32 with CR0.PG|WP and CR3 = PD32 (32-bit paging,
 *                 the same pages and flags as long64 minus NX).
 *   compat32      as long64 (CPL0: the same CRs, EFER, paging and IDT)
 *                 with CS 0x28 (L=0, D=1): 32-bit compatibility mode
 *                 (SDM Vol. 3A 2.2). A far transfer to 0x08 enters 64-bit
 *                 mode and one to 0x28 comes back; exceptions are
 *                 delivered in 64-bit mode through the IST1 gates.
 *   prot32-pae    as prot32-paged with PAE paging: CR4.PAE, CR3 = PDPT_PAE,
 *                 EFER.NXE (the same pages and flags as long64, NX
 *                 included; SDM Vol. 3A 4.4).
 *   v86           CR0 NE|ET|MP|PE, RFLAGS.VM, CPL3, every segment 0x1000
 *                 as in real16 (DPL3), IDT32, TR = the 32-bit TSS
 *                 (SS0:ESP0 = 0x10:LAYOUT_IST_TOP, an I/O bitmap), IOPL 0
 *                 (knob iopl3: 3). Exceptions reach the stubs at CPL0
 *                 with the 9-slot v86 frame on SS0:ESP0 (SDM Vol. 3B 20.3).
 *   real16        CR0 NE|ET|MP, every segment 0x1000 (base 0x10000, limit
 *                 0xffff), IVT at 0, IP 0: code at 0x10000, data at DS:2000,
 *                 the stack top at SS:6000 (RSP 0x16000 truncated to SP).
 *
 * Exceptions outside long mode (IA-32e: long64 and compat32) are delivered the architectural way onto
 * the case's own stack, through gates that point at the same one-HLT stubs
 * (SDM Vol. 3A 6.12.1; Vol. 3B 20.1.4 for real mode). mode_stub_exception()
 * reads that frame back, identically for every executor.
 */
#ifndef EXITDIFF_MODE_H
#define EXITDIFF_MODE_H

#include <stdint.h>
#include "case.h"
#include "outcome.h"

/* A segment register with its hidden part (SDM Vol. 3A 3.4.3), in the
 * shape KVM's struct kvm_segment has. limit is in bytes (G applied). */
struct seg_desc {
	uint64_t base;
	uint32_t limit;
	uint16_t sel;
	uint8_t type;      /* descriptor type, 4 bits */
	uint8_t s, dpl, present, db, l, g, unusable;
};

/* Segment registers in their hardware encoding order (Sreg field). */
enum seg_reg { SR_ES, SR_CS, SR_SS, SR_DS, SR_FS, SR_GS, SR_COUNT };

struct mode_env {
	uint64_t cr0, cr3, cr4, efer, xcr0;
	struct seg_desc seg[SR_COUNT];
	struct seg_desc tr, ldtr;
	uint64_t gdt_base, idt_base;
	uint16_t gdt_limit, idt_limit;
	uint64_t rip;        /* first RIP, relative to CS base */
	uint8_t cpl;
	uint8_t code_bits;   /* 16, 32 or 64: default operand/address size */
	uint8_t paging;      /* levels of the page walk: 0, 2, 3 (PAE) or 4 */
	uint64_t rflags;     /* system bits ORed into the case's first RFLAGS
				(v86: VM, and IOPL by knob) */
};

/* Fills e for mode m with knobs applied (knobs outside the mode are
 * ignored: callers validate with knobs_valid_for()). */
void mode_env_init(struct mode_env *e, enum cpu_mode m, uint32_t knobs);

/* Resets everything a case can have changed in guest RAM (LAYOUT_RAM_SIZE
 * bytes): layout_reset_rw() and layout_clear_holes(): without paging the
 * unmapped pages are plain RAM a case can write. */
void mode_reset_ram(uint8_t *ram, const struct test_case *c);
/* The same for an executor that keeps *holes_dirty with its RAM (start it
 * at 1, or 0 when the holes are known zero): the holes are cleared only
 * after a case without paging ran, the
 * only kind that can write them. Saves a third of the reset. */
void mode_reset_ram_tracked(uint8_t *ram, const struct test_case *c, uint8_t *holes_dirty);

/* Bits of a GPR, RIP and RFLAGS that mean something in mode m. Outside
 * 64-bit mode the upper halves are undefined (SDM Vol. 1 3.4.1.1: also
 * after a compat32 case has been through 64-bit code and back), so
 * executors report registers masked with this and cases may not set more. */
uint64_t mode_reg_mask(enum cpu_mode m);

/* 1 when mode m starts in 16-bit code with every segment at REAL_SEG,
 * loaded the real-mode way: real16 and v86 (SDM Vol. 3B 20.2.1). */
int mode_real_segs(enum cpu_mode m);

/* 1 when mode m runs with EFER.LMA (IA-32e mode): long64 and compat32
 * share its paging, its IDT and exception delivery in 64-bit mode. */
int mode_long(enum cpu_mode m);

/* 1 when an interrupt or exception taken while c runs pushes its frame on
 * c's own stack, as c starts: 32-bit legacy modes at CPL0 (no IST, no
 * stack switch). A VMM's runtime, which learns of a HLT from an NMI,
 * writes there at the case's end (vmm/, core/exec_skip.c). */
int mode_frames_on_case_stack(const struct test_case *c);

/* Base of a segment whose selector is sel, as loaded in mode m's
 * environment: sel << 4 in real mode, 0 for every descriptor of the GDT
 * (all flat) otherwise. */
uint64_t mode_seg_base(enum cpu_mode m, uint16_t sel);

/* Base of CS in a state of mode m with that RFLAGS: mode_seg_base, but
 * in v86 mode the exception stubs run with VM=0 on the flat CPL0 CS. */
uint64_t mode_cs_base(enum cpu_mode m, uint16_t cs, uint64_t rflags);

/* Called by an executor that stopped at a HLT, with the end state it
 * captured there (rip = after the HLT, rsp, cs, ss, cr2) and guest RAM
 * (LAYOUT_RAM_SIZE bytes). When the HLT is an exception stub, returns 1
 * with e filled as the EXCEPTION event and st rewritten to the state at the
 * exception (RIP, CS, RFLAGS and RSP from the frame); otherwise returns 0.
 * Works for every mode: long64 and compat32 read the IST frame, the others the frame
 * on the case's stack (error code by vector: an INT n to vector 8 or 10-14
 * or 17 is read as if it had one, the same way by everyone). Frame bytes
 * outside RAM read as zero. */
int mode_stub_exception(enum cpu_mode m, const uint8_t *ram, struct end_state *st,
			struct exit_event *e);

#endif
