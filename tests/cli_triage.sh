#!/usr/bin/env bash
# triage OUT: a campaign directory's buckets, each run again with a verdict
# from the first executor that can judge it (the host CPU for long64 CPL3
# code it can run, then Unicorn), KVM suspects (the judge sides with the
# reference) first, reference suspects (with KVM) after, cases that agree
# now last; by hits within a side. The buckets are written here from known
# cases so every side is certain: LOCK LFENCE (the CPU, the reference and
# Unicorn raise #UD; KVM's emulator runs it; CPL0, so Unicorn judges), a
# CPL3 66 0F AE F0 (the CPU raises #UD, kvm_pvm's emulator runs it as a
# fence; the CPU judges, Unicorn could not: CPL3), a real-mode REP STOSD
# whose last element overwrites itself (the reference goes on as the CPU
# does; KVM decodes the new bytes again, and so would Unicorn, which
# therefore refuses to judge it), a read straddling the
# canonical boundary at CPL0 (neither judge can: CPL0, and Unicorn has no
# canonical check), and a case that agrees. Each diverging bucket names the
# instruction where KVM parts (lockstep), and --kvm-trace saves KVM's trace
# beside it. Also --no-oracle, --no-lockstep, and input errors (exit 2). Skipped without /dev/kvm or without Unicorn.
set -u
exitdiff=$1 src=$2
. "$(dirname "$0")/lib_cli.sh"

bucket() { # DIR HITS SIGNATURE CASEFILE
	mkdir -p "$tmp/out/buckets/$1"
	printf 'signature %s\nhits %s\nseed 0x1\ncase case.case\n' "$3" "$2" >"$tmp/out/buckets/$1/hits"
	cp "$4" "$tmp/out/buckets/$1/case.case"
}
printf 'id rep-self\nmode real16\nrax 0xa0\nrcx 0x3\nrdi 0xa\nrflags 0x402\ncode f3 66 ab\n' >"$tmp/rep.case"
printf 'id agree\ncode 90 f4\n' >"$tmp/agree.case"
bucket lfence-a 3 "exception#UD/hlt:terminal:lfence" "$src/corpus/exception/ud-lock-lfence.case"
bucket lfence-b 7 "exception#UD/hlt:terminal:lfence-b" "$src/corpus/exception/ud-lock-lfence.case"
bucket fence-cpl3 5 "exception#UD/exception#GP:exception.vector:mfence" "$src/corpus/knobs/cpl3-66-mfence-ud.case"
bucket straddle 2 "exception#GP/exception#PF:exception.vector:mov" "$src/corpus/exception/gp-canonical-straddle.case"
bucket rep-self 9 "hlt/hlt:rax:add@real16" "$tmp/rep.case"
bucket agree 50 "hlt/hlt:rax:nop" "$tmp/agree.case"

out=$("$exitdiff" triage "$tmp/out" 2>&1); rc=$?
if printf "%s\n" "$out" | grep -q "built without Unicorn"; then
	echo "SKIPPED: exitdiff was built without Unicorn; triage refused as it should"
	exit 77
fi
printf "%s\n" "$out"
order=$(printf "%s\n" "$out" | awk 'NR > 1 && / \/.*case.case$/ { n = split($NF, p, "/"); print p[n - 1] }' | tr '\n' ' ')
check '[ $rc -eq 0 ]' "triage exits 0"
check '[ "$order" = "lfence-b fence-cpl3 lfence-a rep-self straddle agree " ]' "order: reference side by hits (7, 5, 3), then kvm, cannot judge, agrees now (got: $order)"
check 'printf "%s\n" "$out" | grep -q "^reference  *unicorn  *7  exception#UD/hlt:terminal:lfence-b "' "the lfence bucket: unicorn judges (CPL0) and sides with the reference, 7 hits"
check 'printf "%s\n" "$out" | grep -A1 "fence-cpl3/case.case" | grep -q "verdict: KVM wrong (CPU and reference agree)"' "the CPL3 fence bucket: the CPU judges: KVM wrong"
check 'printf "%s\n" "$out" | grep -q "^reference  *native  *5 "' "the CPL3 fence bucket: judged by native"
check 'printf "%s\n" "$out" | grep -q "^rule  *rule  *9  hlt/hlt:rax:add@real16 "' "the self-overwriting REP: no executor judges it"
check 'printf "%s\n" "$out" | grep -A1 "rep-self/case.case" | grep -q "verdict: rule: .*unicorn unsupported: smc-rep)"' \
	"the self-overwriting REP: Unicorn cannot judge it (QEMU decodes the new bytes at once, the CPU does not)"
check 'printf "%s\n" "$out" | grep -q "^agrees now  *-  *50 "' "a case that agrees now says so"
check 'printf "%s\n" "$out" | grep -A1 "straddle/case.case" | grep -Eq "verdict: rule: (SDM Vol. 2|APM Vol. 3) \(mov\): Exceptions.* \(no executor can judge: native unsupported: native:cpl0; unicorn unsupported: uc:read_unmapped\)"' "a non-canonical straddle: no executor can judge (both reasons): the manual's rule, cited"
check 'printf "%s\n" "$out" | grep -q "^6 bucket(s): reference 3, rule 2, agrees now 1, judged by native 1, unicorn 2"' "the summary counts each side and each judge"
check 'printf "%s\n" "$out" | grep -Eq "^clusters: [0-9]+, with a verdict [0-9]+ \([0-9]+%\)$"' "the summary says how many clusters carry a verdict: $(printf "%s\n" "$out" | grep "^clusters:")"
check 'grep -qx "KVM wrong (CPU and reference agree)" "$tmp/out/buckets/fence-cpl3/verdict"' "the verdict is saved beside the case for the report (fence-cpl3/verdict: $(cat "$tmp/out/buckets/fence-cpl3/verdict" 2>&1))"
check 'grep -qx "agrees now" "$tmp/out/buckets/agree/verdict"' "a bucket that agrees now: its verdict file says so"
# Where KVM parts: lockstep against the judge that is the CPU (CPL3, KVM
# stepped with TF), else against the reference; an agreeing case has none.
check 'printf "%s\n" "$out" | grep -A2 "fence-cpl3/case.case" | grep -q "where: KVM and the CPU part at instruction #1 at 0x10000: 66 0f ae f0  mfence (lockstep)"' \
	"the CPL3 fence: KVM and the CPU part at the MFENCE, step 1"
check 'printf "%s\n" "$out" | grep -A2 "lfence-b/case.case" | grep -q "where: KVM and the reference part at instruction #1 at 0x10000: f0 0f ae e8 "' \
	"the CPL0 LOCK LFENCE: KVM and the reference part at it, step 1"
check '! printf "%s\n" "$out" | grep -A2 "agree/case.case" | grep -q "where:"' "a bucket that agrees now names no instruction"
check 'grep -q "^where: KVM and the CPU part at instruction #1" "$tmp/out/buckets/fence-cpl3/verdict"' \
	"where is saved under the verdict"
out=$("$exitdiff" triage "$tmp/out" --no-lockstep --kvm-trace 2>&1); rc=$?
check '[ $rc -eq 0 ] && ! printf "%s\n" "$out" | grep -q "where:"' "--no-lockstep: no instruction named"
if printf "%s\n" "$out" | grep -q "kvm-trace: "; then
	echo "NOTE: no tracefs here: $(printf "%s\n" "$out" | grep "kvm-trace: ")"
	check '[ ! -e "$tmp/out/buckets/lfence-b/kvm-trace" ]' "--kvm-trace without tracefs: said once, nothing saved"
else
	check 'grep -q "^kvm_emulate_insn .*f0 0f ae e8" "$tmp/out/buckets/lfence-b/kvm-trace"' \
		"--kvm-trace: KVM's emulator ran the LOCK LFENCE, saved beside the case"
	check 'printf "%s\n" "$out" | grep -q "^kvm trace of .*: [0-9]* events, [0-9]* exceptions injected (.*lfence-b/kvm-trace)$"' \
		"--kvm-trace: one line per bucket naming the file"
fi

out=$("$exitdiff" triage "$tmp/out" --no-oracle 2>&1); rc=$?
check '[ $rc -eq 0 ] && printf "%s\n" "$out" | grep -q "^6 bucket(s): - 5, agrees now 1,"' "--no-oracle: no sides, the agreeing case still found"
check 'grep -qx "KVM wrong (CPU and reference agree)" "$tmp/out/buckets/fence-cpl3/verdict"' "--no-oracle keeps the verdict an earlier triage saved"

"$exitdiff" triage "$tmp/nonexistent" >/dev/null 2>"$tmp/err"; rc=$?
check '[ $rc -eq 2 ] && [ "$(wc -l <"$tmp/err")" -eq 1 ] && grep -q nonexistent "$tmp/err"' "a missing directory: exit 2, one line naming it ($(cat "$tmp/err"))"
"$exitdiff" triage "$tmp/out" --bogus >/dev/null 2>"$tmp/err"; rc=$?
check '[ $rc -eq 2 ] && grep -q "unknown option" "$tmp/err"' "an unknown option: exit 2"
exit $fail
