/* Private to ref_ctl.c and ref_mode_ctl.c: the segment-register, far
 * transfer and interrupt handlers, which ref_ctl.c's table fragment names. */
#ifndef EXITDIFF_REF_MODE_PRIV_H
#define EXITDIFF_REF_MODE_PRIV_H

#include "ref_internal.h"

/* MOV Sreg, r/m and MOV r/m, Sreg (one operand is a segment register). */
enum ref_status ref_mode_mov_sreg(struct ref_cpu *cpu, const cs_insn *insn);
/* PUSH Sreg / POP Sreg (operand 0 is a segment register). */
enum ref_status ref_mode_push_sreg(struct ref_cpu *cpu, const cs_insn *insn);
enum ref_status ref_mode_pop_sreg(struct ref_cpu *cpu, const cs_insn *insn);
/* LDS, LES, LSS, LFS, LGS. */
enum ref_status ref_mode_lxs(struct ref_cpu *cpu, const cs_insn *insn);
/* Far JMP, far CALL, far RET. */
enum ref_status ref_mode_ljmp(struct ref_cpu *cpu, const cs_insn *insn);
enum ref_status ref_mode_lcall(struct ref_cpu *cpu, const cs_insn *insn);
enum ref_status ref_mode_retf(struct ref_cpu *cpu, const cs_insn *insn);
/* INT n, INTO, IRET/IRETD/IRETQ. */
enum ref_status ref_mode_int(struct ref_cpu *cpu, const cs_insn *insn);
enum ref_status ref_mode_into(struct ref_cpu *cpu, const cs_insn *insn);
enum ref_status ref_mode_iret(struct ref_cpu *cpu, const cs_insn *insn);
/* PUSHA/PUSHAD, POPA/POPAD (16/32-bit modes). */
enum ref_status ref_mode_pusha(struct ref_cpu *cpu, const cs_insn *insn);
enum ref_status ref_mode_popa(struct ref_cpu *cpu, const cs_insn *insn);

/* Capstone segment register id to enum ref_seg, or -1. */
int ref_mode_sreg(x86_reg r);
/* Near branch target check and commit: the target truncated to the
 * operand size outside 64-bit mode and checked against the CS limit
 * (#GP(0)); in 64-bit mode checked for canonical form (#GP(0)). */
enum ref_status ref_mode_branch(struct ref_cpu *cpu, uint64_t target, unsigned opsize);

#endif
