#!/usr/bin/env bash
# The corpus replays green: every case agrees with its recorded expectation
# or diverges exactly as its recorded known divergence says.
set -u
exitdiff=$1 src=$2
if [ ! -e /dev/kvm ]; then echo "SKIPPED: /dev/kvm is not available"; exit 77; fi
out=$(mktemp)
trap 'rm -f "$out"' EXIT
"$exitdiff" replay "$src/corpus" >"$out" 2>&1
rc=$?
cat "$out"
fail=0
[ $rc -eq 0 ] || { echo "FAILED: replay exited $rc, wanted 0"; fail=1; }
n=$(find "$src/corpus" -name '*.case' | wc -l)
grep -q "^$n cases" "$out" || { echo "FAILED: replay did not report $n cases"; fail=1; }
[ "$(grep -c '^SKIP:' "$out")" -eq 0 ] || { echo "FAILED: some corpus cases have no recorded expectation"; fail=1; }
[ "$n" -ge 40 ] || { echo "FAILED: corpus has $n cases, wanted at least 40"; fail=1; }
echo "checked: replay of $n corpus cases exits 0, reports every case, none without expectation"

# TAP form: a plan line and one result line per case.
"$exitdiff" replay --tap "$src/corpus" >"$out" 2>&1
grep -q "^1\.\.$n\$" "$out" || { echo "FAILED: TAP plan 1..$n missing"; fail=1; }
[ "$(grep -c '^\(not \)\?ok ' "$out")" -eq "$n" ] || { echo "FAILED: TAP result lines != $n"; fail=1; }
echo "checked: --tap prints a plan and $n result lines"
exit $fail
