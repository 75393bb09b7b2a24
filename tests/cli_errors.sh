#!/usr/bin/env bash
# Bad input gets one clear line naming the file (and line), exit code 2.
set -u
exitdiff=$1 src=$2
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
fail=0
expect() { # expect CODE PATTERN -- command...
	local want=$1 pattern=$2; shift 3
	"$@" >"$dir/out" 2>"$dir/err"
	local rc=$?
	if [ $rc -ne "$want" ]; then echo "FAILED: '$*' exited $rc, wanted $want"; cat "$dir/err"; fail=1; return; fi
	if ! grep -q -- "$pattern" "$dir/err"; then echo "FAILED: '$*' stderr lacks '$pattern':"; cat "$dir/err"; fail=1; return; fi
	if [ "$(wc -l <"$dir/err")" -gt 2 ]; then echo "FAILED: '$*' printed more than a short error:"; cat "$dir/err"; fail=1; return; fi
	echo "checked: '$*' -> exit $want, stderr: $(head -1 "$dir/err")"
}

printf 'code f4\nrxx 5\n' >"$dir/bad-reg.case"
printf 'code f4 zz\n' >"$dir/bad-hex.case"
printf 'id x\ncode 90\nbogus 1\n' >"$dir/bad-keyword.case"
expect 2 "bad-reg.case:2:" -- "$exitdiff" convert "$dir/bad-reg.case" "$dir/x.bin"
expect 2 "bad-hex.case:1:" -- "$exitdiff" convert "$dir/bad-hex.case" "$dir/x.bin"
expect 2 "bad-keyword.case:3:" -- "$exitdiff" convert "$dir/bad-keyword.case" "$dir/x.bin"
# Events that do not go together: the line of the second one (docs/formats.md "Events").
printf 'id x\nevent nmi\nevent intr 40 after=2\ncode f4\n' >"$dir/bad-events.case"
printf 'id x\nknobs cpl3\nevent nmi after=1\ncode f4\n' >"$dir/bad-after-cpl3.case"
expect 2 "bad-events.case:3: event: an event pending from the start and one after=N do not mix" -- "$exitdiff" convert "$dir/bad-events.case" "$dir/x.bin"
expect 2 "bad-after-cpl3.case:3: event: after= needs CPL0" -- "$exitdiff" convert "$dir/bad-after-cpl3.case" "$dir/x.bin"
expect 2 "unknown command" -- "$exitdiff" frobnicate
expect 2 "unknown option '--bogus'" -- "$exitdiff" replay --bogus "$src/corpus"
expect 2 "unknown option '--bogus'" -- "$exitdiff" run --bogus x.case
expect 2 "cannot open $dir/missing.case" -- "$exitdiff" run "$dir/missing.case"
expect 2 "/nonexistent/kvm" -- env EXITDIFF_KVM_DEVICE=/nonexistent/kvm "$exitdiff" run "$src/corpus/hlt/hlt-empty.case"
expect 2 "/nonexistent/kvm: No such file or directory (the campaign needs KVM; --against vmm:qemu-tcg" -- env EXITDIFF_KVM_DEVICE=/nonexistent/kvm "$exitdiff" fuzz --time 1 --out "$dir/f"

if [ -e /dev/kvm ]; then
	# run reads the case as convert does: the same line.
	expect 2 "bad-events.case:3: event: an event pending from the start and one after=N do not mix" -- "$exitdiff" run "$dir/bad-events.case"
	# A malformed file among good ones: error for it, the others still run.
	cp "$src/corpus/hlt/hlt-empty.case" "$dir/good.case"
	"$exitdiff" run "$dir/good.case" "$dir/bad-reg.case" >"$dir/out" 2>"$dir/err"
	rc=$?
	if [ $rc -eq 2 ] && grep -q 'verdict: AGREE' "$dir/out" && grep -q 'bad-reg.case:2:' "$dir/err"; then
		echo "checked: a bad file among good ones: exit 2, the good one still ran"
	else
		echo "FAILED: mixed good/bad run: rc=$rc"; cat "$dir/out" "$dir/err"; fail=1
	fi
else
	echo "SKIPPED (no /dev/kvm): run of a bad events file, mixed good/bad run"
fi
exit $fail
