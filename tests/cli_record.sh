#!/usr/bin/env bash
# run --record writes exactly one expectation, keeps the header, and the
# recorded case then replays green; a divergence needs a reason.
set -u
exitdiff=$1 src=$2
if [ ! -e /dev/kvm ]; then echo "SKIPPED: /dev/kvm is not available"; exit 77; fi
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
fail=0
check() { if eval "$1"; then echo "checked: $2"; else echo "FAILED: $2"; fail=1; fi; }

awk '/^(known|expect)/{exit} {print}' "$src/corpus/io/io-rep-outsb.case" >"$dir/a.case"
header=$(cat "$dir/a.case")
"$exitdiff" run -q --record "$dir/a.case" >/dev/null
"$exitdiff" run -q --record "$dir/a.case" >/dev/null
check '[ "$(grep -c "^expect" "$dir/a.case")" -eq 1 ]' "recording twice leaves one expect section"
check '[ "$(head -n "$(printf "%s\n" "$header" | wc -l)" "$dir/a.case")" = "$header" ]' "the header text is kept verbatim"
check '[ "$(grep -c "^  exit io out port=0xe9" "$dir/a.case")" -eq 3 ]' "the expectation holds the three I/O events"
check '"$exitdiff" replay "$dir/a.case" | grep -q "^1 passed, 0 failed"' "the recorded case replays as PASS"

# A known divergence of the corpus: recording without a reason refuses.
awk '/^(known|expect)/{exit} {print}' "$src/corpus/move/mov-split-write-fault.case" >"$dir/b.case"
"$exitdiff" run -q --record "$dir/b.case" >/dev/null 2>"$dir/err"
rc=$?
check '[ $rc -eq 1 ] && grep -q "give --known REASON" "$dir/err" && ! grep -q "^expect" "$dir/b.case"' \
	"a diverging case is not recorded without --known (exit $rc)"
"$exitdiff" run -q --record --known "partial split store" "$dir/b.case" >/dev/null
check 'grep -q "^known partial split store" "$dir/b.case" && grep -q "^known-signature exception#PF/exception#PF:mem:" "$dir/b.case"' \
	"--known records the reason and the signature"
check '"$exitdiff" replay "$dir/b.case" | grep -q "^XFAIL:"' "the known divergence replays as XFAIL"

# Edit the expectation: replay must now fail.
sed -i 's/^  rsi 0x12003/  rsi 0x12004/' "$dir/a.case"
"$exitdiff" replay "$dir/a.case" >"$dir/out"
rc=$?
check '[ $rc -eq 1 ] && grep -q "^FAIL:" "$dir/out"' "a wrong expectation makes replay FAIL with exit 1 (exit $rc)"
exit $fail
