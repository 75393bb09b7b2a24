#!/usr/bin/env bash
# triage of a campaign that fuzzed a VMM (runs.jsonl: "against":
# "vmm:qemu-tcg") runs its findings on that VMM again, not on KVM, and needs
# no KVM: INT1 (F1) at CPL0, where QEMU TCG raises #UD and the
# reference #DB, diverges again (on KVM the same case would not be TCG's
# #UD); Unicorn, a fork of TCG, sides with TCG and is not taken as a judge
# of it, so the manual's rule decides; a case that agrees says so, lockstep
# and --kvm-trace are left out with a word. Then input errors: a malformed
# runs.jsonl is one line naming it (exit 2); a KVM campaign on a host
# without KVM is one line naming the device (exit 2). Without KVM, run
# --against vmm:qemu-tcg puts the VMM in KVM's place: the INT1 finding
# diverges with the same signature, --record is refused (exit 2), --oracle
# names the VMM as the other side; a write into the GDT is not given to the
# VMM (its runtime's live GDT), nor a HLT whose NMI frame would land
# there; a write into the data page is; a read of an IDT gate's offset,
# which the runtime patches, is not compared. All of
# it with EXITDIFF_KVM_DEVICE pointing at nothing, as on a host without
# KVM, whatever this one has. Needs QEMU.
set -u
exitdiff=$1 src=$2
needs_kvm=0
. "$(dirname "$0")/lib_cli.sh"
export EXITDIFF_KVM_DEVICE=$tmp/no-kvm
command -v qemu-system-x86_64 >/dev/null || { echo "SKIPPED: qemu-system-x86_64 is not installed"; exit 77; }

camp() { # DIR AGAINST: a campaign directory with the two buckets
	mkdir -p "$tmp/$1/buckets/int1" "$tmp/$1/buckets/agree"
	printf '{"unix":1,"time":0.0,"against":"%s","command":"exitdiff fuzz"}\n' "$2" >"$tmp/$1/runs.jsonl"
	printf 'id int1\nmode long64\ncode f1 f4\n' >"$tmp/$1/buckets/int1/case.case"
	printf 'signature exception#DB/exception#UD:exception.vector:int1\nhits 4\n' >"$tmp/$1/buckets/int1/hits"
	printf 'id agree\ncode 48 ff c0 f4\n' >"$tmp/$1/buckets/agree/case.case"
}
camp tcg vmm:qemu-tcg
"$exitdiff" triage "$tmp/tcg" --kvm-trace >"$tmp/out" 2>"$tmp/err"; rc=$?
check "[ $rc -eq 0 ]" "triage of a vmm:qemu-tcg campaign exits 0 (got $rc: $(head -c 300 "$tmp/err"))"
check "grep -q '^the campaign fuzzed vmm:qemu-tcg: its findings run on it again' $tmp/out" \
	"it says which hypervisor it runs the findings on"
int1=$(grep -A1 'exception.vector:int1' "$tmp/out" | tr '\n' ' ')
check "printf '%s' '$int1' | grep -q '^rule .*verdict: rule: .*unicorn sides with vmm:qemu-tcg, whose CPU emulation it is a fork of: no independent verdict'" \
	"INT1 diverges on TCG again (#UD against the reference's #DB); Unicorn, TCG's fork, sides with TCG and is not taken: the manual's rule decides ($int1)"
check "grep -q 'vmm:qemu-tcg' $tmp/tcg/buckets/int1/verdict" "the verdict file beside the case names vmm:qemu-tcg"
check "grep -q '^agrees now .*agree/case.case' $tmp/out" "the case that agrees on TCG says so"
check "! grep -q '^    where:' $tmp/out" "no lockstep line: lockstep steps KVM"
check "grep -q 'kvm-trace: the campaign fuzzed vmm:qemu-tcg, not KVM' $tmp/err && [ ! -e $tmp/tcg/buckets/int1/kvm-trace ]" \
	"--kvm-trace: said once, nothing saved"

camp bad vmm:qemu-tcg
printf '{"unix":2,"against":\n' >>"$tmp/bad/runs.jsonl"
"$exitdiff" triage "$tmp/bad" >"$tmp/out" 2>"$tmp/err"; rc=$?
check "[ $rc -eq 2 ] && [ \$(wc -l <$tmp/err) -eq 1 ] && grep -q 'bad/runs.jsonl:2' $tmp/err" \
	"a malformed runs.jsonl: exit 2, one line naming runs.jsonl:2 ($(cat "$tmp/err"))"

camp kvm kvm
"$exitdiff" triage "$tmp/kvm" >"$tmp/out" 2>"$tmp/err"; rc=$?
check "[ $rc -eq 2 ] && [ \$(wc -l <$tmp/err) -eq 1 ] && grep -q 'cannot open $EXITDIFF_KVM_DEVICE' $tmp/err" \
	"a KVM campaign without KVM: exit 2, one line naming the device ($(cat "$tmp/err"))"
"$exitdiff" run --against vmm:qemu-tcg "$tmp/tcg/buckets/int1/case.case" "$tmp/tcg/buckets/agree/case.case" \
	>"$tmp/out" 2>"$tmp/err"; rc=$?
check "[ $rc -eq 1 ] && grep -q '^no $EXITDIFF_KVM_DEVICE: vmm:qemu-tcg takes KVM.s place' $tmp/out" \
	"run --against vmm:qemu-tcg without KVM: the VMM in KVM's place, exit 1 for the divergence (rc $rc)"
check "grep -q '^  reference  *| vmm:qemu-tcg\$' $tmp/out" "the outcomes side by side: reference | vmm:qemu-tcg"
check "grep -q '^verdict: DIVERGENCE exception#DB/exception#UD:exception.vector:int1' $tmp/out && grep -q '^verdict: AGREE' $tmp/out" \
	"INT1 diverges as the campaign filed it, the other case agrees"
"$exitdiff" run --record --against vmm:qemu-tcg "$tmp/tcg/buckets/agree/case.case" >"$tmp/out" 2>"$tmp/err"; rc=$?
check "[ $rc -eq 2 ] && [ \$(wc -l <$tmp/err) -eq 1 ] && grep -q -- '--record: $EXITDIFF_KVM_DEVICE is absent' $tmp/err" \
	"run --record without KVM: exit 2, one line ($(cat "$tmp/err"))"
# --oracle names the VMM where KVM would be: Unicorn, a fork of TCG,
# takes TCG's side on INT1.
if "$exitdiff" run -q --oracle --against vmm:qemu-tcg "$tmp/tcg/buckets/int1/case.case" >"$tmp/out" 2>&1 ||
	grep -q '^oracle: ' "$tmp/out"; then
	check "grep -q '^oracle: unicorn agrees with vmm:qemu-tcg\$' $tmp/out && ! grep -qE 'with kvm|vs kvm|[|] *kvm\$' $tmp/out" \
		"run --oracle without KVM: Unicorn agrees with vmm:qemu-tcg, no side named kvm ($(grep '^oracle' "$tmp/out"))"
fi
# rule_pair REASON MODE CODE_HIT WHAT_HIT CODE_MISS WHAT_MISS: the case
# with CODE_HIT is not compared, for REASON; the one with CODE_MISS is.
rule_pair() {
	printf 'id hit\nmode %s\ncode %s\n' "$2" "$3" >"$tmp/hit.case"
	printf 'id miss\nmode %s\ncode %s\n' "$2" "$5" >"$tmp/miss.case"
	"$exitdiff" run -q --against vmm:qemu-tcg "$tmp/hit.case" >"$tmp/out" 2>&1
	check "grep -q '^  unsupported: $1\$' $tmp/out" "$4 ($(grep -A1 '^verdict' "$tmp/out" | tr '\n' ' '))"
	"$exitdiff" run -q --against vmm:qemu-tcg "$tmp/miss.case" >"$tmp/out" 2>&1
	check "grep -q '^verdict: ' $tmp/out && ! grep -q 'NOT COMPARED' $tmp/out" "$6 ($(grep '^verdict' "$tmp/out"))"
}
# A write to the system part (the GDT's CS entry at 0x1028 in prot32):
# KVM and the reference drop it, the VMM's runtime would keep it in its
# live GDT and hang at its next far return (5 s). The VMM is not given
# the case; a write to the data page runs and is compared.
rule_pair vmm:system-write prot32 '66 c7 05 2e 10 00 00 ff ff f4' \
	"a write into the GDT: the VMM is not given it, not compared" \
	'66 c7 05 00 20 01 00 ff ff f4' "a write into the data page: run and compared"
# The runtime's own write there: prot32 halts with ESP 0x1020, and the
# NMI that ends the HLT would push its frame over GDT entries 2-3.
rule_pair vmm:system-write prot32 'bc 20 10 00 00 f4' "a HLT with ESP in the GDT's page: not given to the VMM" \
	'bc 00 5f 01 00 f4' "a HLT with ESP on the stack page: compared"
# A read of a byte the VMM's runtime sets otherwise: IDT gate 0's offset
# 15:8 is the layout stub's 0x30 for the reference, the runtime's
# trampoline under the VMM; the gate's selector byte is the same in both.
rule_pair vmm-system-read long64 '8a 04 25 01 20 00 00 f4' "a read of an IDT gate's offset: not compared" \
	'8a 04 25 02 20 00 00 f4' "a read of its selector: compared"
# ... and a page the runtime maps where the layout's entry is absent: the
# trampoline's PML4 slot 256 (0xffff800000000000, the first canonical
# high address, which the generator aims at), a #PF for the reference.
rule_pair vmm-system-read long64 '48 b8 00 00 00 00 00 80 ff ff 8a 00 f4' \
	"a read at 0xffff800000000000 (the runtime's trampoline): not compared" \
	'48 b8 00 00 00 00 00 90 ff ff 8a 00 f4' "a read at 0xffff900000000000 (absent in both): compared"
# prot32 `imul esp, [ecx+1], 0` then HLT: TCG's runtime ends the HLT with
# an NMI pushed at ESP 0, which wraps into the BIOS ROM, and never hears
# back: not compared (frame-stack), where a HLT with the stack where it
# starts is compared.
rule_pair frame-stack prot32 '6b 61 01 00 f4' "ESP 0 at the HLT: the VMM's lost NMI is not compared" \
	'b8 01 00 00 00 f4' "ESP left alone: compared"

# MMIO reads: the window reads 0x00 under TCG, and the reference answers
# so in a TCG session, so they are compared (and agree) in every mode with
# paging or without; a real16 read outside the window (the runtime's RAM
# there) is not compared.
for m in long64 prot32 prot32-paged compat32; do
	printf 'id win-%s\nmode %s\nrax 0x11111111\ncode be 00 00 00 c0 8b 06 66 8b 5e 10 f4\n' $m $m >"$tmp/win.case"
	"$exitdiff" run -q --against vmm:qemu-tcg "$tmp/win.case" >"$tmp/out" 2>&1
	check "grep -q '^verdict: AGREE' $tmp/out" "$m: reads of the MMIO window compared, agree ($(grep '^verdict' "$tmp/out"))"
done
printf 'id win-real16\nmode real16\ncode b8 00 f0 8e d8 a1 00 00 f4\n' >"$tmp/win16.case"
"$exitdiff" run -q --against vmm:qemu-tcg "$tmp/win16.case" >"$tmp/out" 2>&1
check "grep -q '^  unsupported: vmm-mmio-read' $tmp/out" "real16: a read of MMIO outside the window is not compared"

# A VMM that aborts says why in a line and then dumps its state (QEMU's
# "qemu: fatal: invalid tss" after LTR of a null selector, found this way):
# the error carries that line, not only the shell's closing "Aborted".
cat >"$tmp/die.sh" <<'FAKE'
#!/bin/sh
echo "XDVMM 1"
echo "C 0 0 d 68747541 444d4163 69746e65"
echo READY
dd bs=1 count=6 2>/dev/null >/dev/null
echo "fake: fatal: invalid tss" >&2
echo "RAX=0000000000000000 RBX=0000000000000000" >&2
echo "Aborted" >&2
exit 134
FAKE
chmod +x "$tmp/die.sh"
"$exitdiff" run --against "vmm:$tmp/die.sh {image}" "$tmp/tcg/buckets/agree/case.case" >"$tmp/out" 2>"$tmp/err"; rc=$?
check "[ $rc -eq 2 ] && grep -q 'vmm executor: case agree: the vmm died (exit status 134): fake: fatal: invalid tss (then: Aborted)' $tmp/err" \
	"a VMM that aborts: its failure line, then how it ended ($(head -1 "$tmp/err"))"

# Triage of a campaign whose VMM died: a bucket of that death whose case
# kills the VMM again, at the site the bucket names, has its verdict (the
# VMM is wrong: a guest must not abort it); one that names another site
# stays an error.
mkdir -p "$tmp/died/buckets/tss" "$tmp/died/buckets/other"
printf '{"unix":1,"time":0.0,"against":"vmm:%s {image}","command":"exitdiff fuzz"}\n' "$tmp/die.sh" >"$tmp/died/runs.jsonl"
for b in tss other; do printf 'id %s\ncode 48 ff c0 f4\n' "$b" >"$tmp/died/buckets/$b/case.case"; done
printf 'signature executor#none/vmm:died:invalid-tss\nhits 3\n' >"$tmp/died/buckets/tss/hits"
printf 'signature executor#none/vmm:died:serial.c:337\nhits 1\n' >"$tmp/died/buckets/other/hits"
"$exitdiff" triage "$tmp/died" --no-oracle >"$tmp/out" 2>"$tmp/err"; rc=$?
check "[ $rc -eq 0 ] && grep -q '^reference  *died  *3  *executor#none/vmm:died:invalid-tss ' $tmp/out && grep -q 'verdict: vmm:.*die.sh {image} wrong: the VMM process died again on this guest (.*fatal: invalid tss' $tmp/out" \
	"triage: a VMM death that recurs at its bucket's site is the VMM's verdict ($(grep -A1 'invalid-tss' "$tmp/out" | tr '\n' ' ' | head -c 300))"
check "grep -q '^error  *-  *1  *executor#none/vmm:died:serial.c:337 ' $tmp/out" "a death at another site than its bucket's stays an error"

# Unicorn's CPU model lacks MOVBE: its #UD, where the reference and TCG
# both ran the instruction, is no judgement ("cannot judge"), where it
# read "neither" before.
printf 'id movbe16\nmode real16\ncode 67 0f 38 f1 8c 0a 06 03 00 00\n' >"$tmp/movbe16.case"
"$exitdiff" run --oracle --against vmm:qemu-tcg "$tmp/movbe16.case" >"$tmp/out" 2>&1
check "grep -q '^oracle: unicorn cannot judge (its CPU model lacks movbe, which the reference and vmm:qemu-tcg ran)' $tmp/out" \
	"a MOVBE Unicorn's model lacks: $(grep '^oracle' "$tmp/out")"

# Unicorn, TCG's fork, ending a case as TCG does where the reference ends
# it otherwise is no independent verdict, though other state differs: a
# misaligned XORPS (#GP on the CPU) that both run, from IDT bytes the
# runtime rewrote (other XMM1 in each), is the manual's rule's.
mkdir -p "$tmp/kin/buckets/x"
printf '{"unix":1,"time":0.0,"against":"vmm:qemu-tcg","command":"exitdiff fuzz"}\n' >"$tmp/kin/runs.jsonl"
printf 'id xorps-misaligned\nmode long64\nrcx 0x2008\ncode 0f 57 09\n' >"$tmp/kin/buckets/x/case.case"
printf 'signature exception#GP/hlt:terminal:xorps\nhits 3\n' >"$tmp/kin/buckets/x/hits"
"$exitdiff" triage "$tmp/kin" >"$tmp/out" 2>&1
check "grep -q '^rule  *rule  *3  *exception#GP/hlt:terminal:xorps ' $tmp/out && grep -q 'unicorn sides with vmm:qemu-tcg, whose CPU emulation it is a fork of' $tmp/out" \
	"triage: Unicorn ending a case as TCG does is no verdict, the rule is ($(grep -c '^rule' "$tmp/out") rule row)"

# Triage of a VMM that hangs (no record within the wait, twice): a case
# the reference and Unicorn end with #UD is the VMM's (it ran on where the
# instruction stops); one the reference runs to its step budget is no
# longer given to the VMM at all (core/exec_skip.c): not compared now, no
# verdict.
cat >"$tmp/hang.sh" <<'FAKE'
#!/bin/sh
echo "XDVMM 1"
echo "C 0 0 d 68747541 444d4163 69746e65"
echo READY
exec sleep 30
FAKE
chmod +x "$tmp/hang.sh"
mkdir -p "$tmp/hung/buckets/ud" "$tmp/hung/buckets/loop"
printf '{"unix":1,"time":0.0,"against":"vmm:%s {image}","command":"exitdiff fuzz"}\n' "$tmp/hang.sh" >"$tmp/hung/runs.jsonl"
printf 'id ud\ncode 0f 0b\n' >"$tmp/hung/buckets/ud/case.case"
printf 'id loop\ncode eb fe\n' >"$tmp/hung/buckets/loop/case.case"
for b in ud loop; do printf 'signature executor#none/vmm:hung\nhits 2\n' >"$tmp/hung/buckets/$b/hits"; done
"$exitdiff" triage "$tmp/hung" >"$tmp/out" 2>"$tmp/err"; rc=$?
check "[ $rc -eq 0 ] && grep -q '^reference  *unicorn  *2  *executor#none/vmm:hung .*/ud/case.case' $tmp/out && grep -q 'verdict: vmm:.*hang.sh {image} hung again on this guest, where the reference ends (exception#UD/timeout:terminal:ud2): vmm:.* wrong (Unicorn and reference agree)' $tmp/out" \
	"triage: a VMM that hangs again where the reference and Unicorn end in #UD is the VMM's verdict ($(grep -A1 '/ud/case' "$tmp/out" | tail -1 | head -c 200))"
check "grep -q '^not compared  *-  *2  *executor#none/vmm:hung .*/loop/case.case' $tmp/out && grep -qx 'not compared now (step-budget)' $tmp/hung/buckets/loop/verdict" \
	"a hang of a case the VMM is no longer given: not compared now, named why, no verdict"

# A short campaign against TCG: why cases were not compared is named by
# the reason (a VMM's refusal, a read its own devices answer), not by the
# reference's last instruction (HLT, before).
"$exitdiff" fuzz --against vmm:qemu-tcg --execs 400 --out "$tmp/fz" --report-period 0 >"$tmp/fz.out" 2>&1; rc=$?
top=$(tail -1 "$tmp/fz/stats.jsonl" | grep -o '"unsupported_top":\[[^]]*\]' | head -1)
check "[ $rc -eq 0 ] && printf '%s' '$top' | grep -q '\"mnemonic\":\"vmm' && ! printf '%s' '$top' | grep -q '\"mnemonic\":\"hlt\"'" \
	"a TCG campaign names why cases were not compared (rc $rc, $top)"
one=$(ls "$tmp"/fz/buckets/*/case.case 2>/dev/null | head -1)
check "[ -n '$one' ] && grep -q \"^# expect = the reference outcome; vmm:qemu-tcg's is in kvm-outcome.txt\" '$one'" \
	"its buckets name TCG, not KVM, as the other side ($one)"
# The report names the hypervisor in each bucket's outcome table.
"$exitdiff" report "$tmp/fz" >"$tmp/rep.out" 2>&1; rc=$?
check "[ $rc -eq 0 ] && grep -q '<th>reference</th><th>vmm:qemu-tcg</th>' $tmp/fz/report.html && ! grep -q '<th>KVM</th>' $tmp/fz/report.html" \
	"report: the outcome tables say vmm:qemu-tcg, not KVM (rc $rc: $(head -c 200 "$tmp/rep.out"))"
exit $fail
