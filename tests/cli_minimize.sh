#!/usr/bin/env bash
# exitdiff minimize end to end: diverging cases (corpus cases that carry a
# known-signature line, plus padded cases built here) shrink without
# changing their signature and without growing; the result replays green;
# a case that does not diverge is an input error (exit 2).
set -u
exitdiff=$1 src=$2
if [ ! -e /dev/kvm ]; then echo "SKIPPED: /dev/kvm is not available"; exit 77; fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0

# Hex bytes on the "code" lines / "data" lines (minus the address) of a .case.
count_bytes() { # file kind
	sed 's/#.*//' "$1" | awk -v k="$2" '$1 == k { n += NF - (k == "data" ? 2 : 1) } END { print n + 0 }'
}
count_regs() { # file -> register lines before the expectation
	sed 's/#.*//' "$1" | awk '$1 == "expect" { exit } $1 ~ /^(r[a-ds][xip]|r[sd]i|r[0-9]+|rflags)$/ { n++ } END { print n + 0 }'
}
signature() { # file -> signature, or "" when it does not diverge
	"$exitdiff" run -q "$1" 2>/dev/null | sed -n 's/^verdict: DIVERGENCE \([^ ]*\).*/\1/p'
}

# Padded cases around instructions that diverged when this test was
# written; whichever still diverges is used, the rest are reported.
cat >"$tmp/pad-outs.case" <<'CASE'
id pad-outs
mode long64
rax 0x123456789abcdef0
rbx 0x55
rsi 0x12004
rcx 3
rdx 0x80
r9 0xdeadbeef
data 0x12000 01 02 03 04 05 06 07 08 09 0a 0b 0c
code 48 c7 c0 44 33 22 11
code 48 81 c3 10 00 00 00
code 90
code fd
code 48 ff c3
code 66 f3 6f
code 48 31 c0
code f4
CASE
cat >"$tmp/pad-int3.case" <<'CASE'
id pad-int3
mode long64
rax 5
rdi 0x1234
rflags 0x893
code 48 89 c3 48 83 c3 07 90 90
code cc
code 48 ff c0
code f4
CASE

cases=$(grep -rl '^known-signature' "$src/corpus" 2>/dev/null | sort)
if [ -z "$cases" ]; then
	echo "NOTE: no corpus case carries a known-signature line yet; using only the padded cases built here"
fi
n=0
for c in $cases "$tmp/pad-outs.case" "$tmp/pad-int3.case"; do
	if grep -q '^# intermittent:' "$c"; then
		echo "NOTE: $(basename "$c") is marked intermittent on this KVM; not minimized"
		continue
	fi
	sig=$(signature "$c")
	if [ -z "$sig" ]; then
		echo "NOTE: $c does not diverge now; not minimized"
		continue
	fi
	n=$((n + 1))
	out="$tmp/min-$n.case"
	log="$tmp/min-$n.log"
	"$exitdiff" minimize "$c" -o "$out" >"$log" 2>&1
	rc=$?
	got=$([ $rc -eq 0 ] && signature "$out")
	if [ $rc -eq 1 ] || { [ $rc -eq 0 ] && [ "$got" != "$sig" ]; }; then
		# Some recorded KVM behaviours come and go on this host (the
		# CPL3 upper-half #PF error code, a REP near the time budget
		# under load): one more try tells such noise from a minimizer
		# that changed the bug.
		echo "NOTE: $(basename "$c"): not reproduced (exit $rc, '$got'); trying once more"
		"$exitdiff" minimize "$c" -o "$out" >"$log" 2>&1
		rc=$?
		got=$([ $rc -eq 0 ] && signature "$out")
	fi
	tail -2 "$log"
	[ $rc -eq 0 ] || { echo "FAILED: minimize $c exited $rc, wanted 0"; cat "$log"; fail=1; continue; }
	[ "$got" = "$sig" ] || { echo "FAILED: $c: signature $sig became '$got'"; fail=1; }
	for k in code data; do
		a=$(count_bytes "$c" $k) b=$(count_bytes "$out" $k)
		[ "$b" -le "$a" ] || { echo "FAILED: $c: $k grew from $a to $b bytes"; fail=1; }
		echo "checked: $(basename "$c"): $k $a -> $b bytes"
	done
	"$exitdiff" replay "$out" >/dev/null 2>&1 ||
		{ echo "FAILED: replay of the minimized $c is not green"; fail=1; }
	echo "checked: $(basename "$c"): signature $sig kept (exitdiff run), replay green, $(sed -n 's/.*, \([0-9.]* ms\)$/\1/p' "$log" | tail -1)"
	# Determinism: a second run writes the same file.
	# (Once more when KVM did not repeat the divergence this time: a few
	# corpus divergences are timing-dependent under a loaded host.)
	"$exitdiff" minimize "$c" -o "$out.2" -q >/dev/null 2>&1 ||
		"$exitdiff" minimize "$c" -o "$out.2" -q >/dev/null 2>&1
	# A KVM that answered one candidate otherwise this time (a loaded
	# host) makes the second file differ: a third run must then match one
	# of them exactly, or the minimizer itself is not deterministic.
	if ! cmp -s "$out" "$out.2"; then
		"$exitdiff" minimize "$c" -o "$out.3" -q >/dev/null 2>&1
		if cmp -s "$out" "$out.3" || cmp -s "$out.2" "$out.3"; then
			echo "NOTE: $(basename "$c"): one of three minimizations differed (KVM answered a candidate otherwise)"
			cp "$out.3" "$out.2"
		fi
	fi
	if cmp -s "$out" "$out.2" || cmp -s "$out.2" "$out.3" 2>/dev/null; then
		echo "checked: $(basename "$c"): minimizations agree (two of them write the same file)"
	else echo "FAILED: $c: a second minimization differs"; diff "$out" "$out.2" | head; fail=1; fi
	a=$(count_regs "$c") b=$(count_regs "$out")
	[ "$b" -le "$a" ] || { echo "FAILED: $c: register lines grew from $a to $b"; fail=1; }
	echo "checked: $(basename "$c"): register lines $a -> $b"
done
if [ $n -eq 0 ]; then
	echo "SKIPPED PART: no diverging case available; the signature-preserving part did not run"
else
	echo "checked: $n diverging cases minimized"
fi

# A case that does not diverge: one-line error, exit 2, no file written.
"$exitdiff" minimize "$src/corpus/hlt/hlt-empty.case" -o "$tmp/none.case" >"$tmp/none.out" 2>&1
rc=$?
[ $rc -eq 2 ] || { echo "FAILED: non-diverging case exited $rc, wanted 2"; fail=1; }
[ "$(wc -l <"$tmp/none.out")" -eq 1 ] || { echo "FAILED: wanted a one-line error:"; cat "$tmp/none.out"; fail=1; }
[ ! -e "$tmp/none.case" ] || { echo "FAILED: a file was written for a non-diverging case"; fail=1; }
echo "checked: non-diverging case: exit $rc, $(cat "$tmp/none.out")"

"$exitdiff" minimize "$src/corpus/hlt/hlt-empty.case" >/dev/null 2>&1
rc=$?
[ $rc -eq 2 ] || { echo "FAILED: minimize without -o exited $rc, wanted 2"; fail=1; }
echo "checked: minimize without -o is a usage error (exit $rc)"
exit $fail
