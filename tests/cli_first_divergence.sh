#!/usr/bin/env bash
# run names a diverging case's first divergence: the run cut short with a
# HLT right after the instruction that made the states part (what campaign
# buckets are named by). Two known KVM divergences whose wrong value is
# copied by a later MOV: the whole case is named by the MOV, the first
# divergence by the instruction that produced the value — TZCNT run as BSF
# by KVM's emulator (CPL0), and LZCNT run by the CPU at CPL3 although the
# guest's CPUID has no ABM. An agreeing case prints no first divergence.
# Skipped without /dev/kvm.
set -u
exitdiff=$1
. "$(dirname "$0")/lib_cli.sh"

cat > "$tmp/tzcnt-copied.case" <<'CASE'
# tzcnt rcx, rbx (RBX = 0: 64; KVM's BSF leaves RCX); mov rax, rcx; hlt
id tzcnt-copied
rcx 0x1234
code f3 48 0f bc cb
code 48 89 c8
code f4
CASE
cat > "$tmp/lzcnt-copied-cpl3.case" <<'CASE'
# At CPL3: lzcnt rcx, rbx (the CPU: 64; CPUID without ABM: BSR leaves RCX); mov rax, rcx; nop; hlt
id lzcnt-copied-cpl3
knobs cpl3
rcx 0x1234
code f3 48 0f bd cb
code 48 89 c8
code 90
code f4
CASE
cat > "$tmp/agree.case" <<'CASE'
id agree
code 48 89 c8
code f4
CASE

out=$("$exitdiff" run "$tmp/tzcnt-copied.case")
check '[[ "$out" == *"verdict: DIVERGENCE hlt/hlt:rax:mov"* ]]' "CPL0: the whole case is named by the MOV that copied the value"
check '[[ "$out" == *"first divergence: hlt/hlt:rcx:tzcnt (cut with HLT at code offset 0x5)"* ]]' "CPL0: the first divergence is the TZCNT, cut at offset 5"
check '[[ "$out" == *"rcx: a=0x40 b=0x1234 (tzcnt)"* ]]' "CPL0: the first divergence's values are the TZCNT result and KVM's unchanged RCX"

out=$("$exitdiff" run "$tmp/lzcnt-copied-cpl3.case")
check '[[ "$out" == *"verdict: DIVERGENCE exception#GP/exception#GP:rax:mov"* ]]' "CPL3: the whole case is named by the MOV"
check '[[ "$out" == *"first divergence: exception#GP/exception#GP:rcx:lzcnt (cut with HLT at code offset 0x5)"* ]]' "CPL3: the first divergence is the LZCNT (HLT at CPL3 is a #GP)"

out=$("$exitdiff" run "$tmp/agree.case")
check '[[ "$out" == *"verdict: AGREE"* && "$out" != *"first divergence"* ]]' "an agreeing case names no first divergence"
exit $fail
