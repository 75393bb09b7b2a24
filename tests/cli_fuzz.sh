#!/bin/bash
# exitdiff fuzz end to end: a short campaign writes buckets and stats; a
# re-run resumes (execs continue, hit counts kept); a known signature is
# not saved as a bucket; after kill -9 every saved file is complete; bad
# options exit 2. Usage: cli_fuzz.sh EXITDIFF SOURCE_DIR
X=$1
SRC=$2
if ! [ -r /dev/kvm ] || ! [ -w /dev/kvm ]; then
	echo "SKIPPED: /dev/kvm is not available; the campaign needs KVM"
	exit 77
fi
T=$(mktemp -d /tmp/exitdiff-clifuzz-XXXXXX)
trap 'rm -rf "$T"' EXIT
fail=0
ok() { echo "ok: $*"; }
bad() { echo "FAILED: $*"; fail=1; }
state() { awk -v k="$2" '$1 == k { print $2 }' "$1/state"; }
hits_sum() { cat "$1"/buckets/*/hits 2>/dev/null | awk '$1 == "hits" { s += $2 } END { print s + 0 }'; }
nbuckets() { ls -d "$1"/buckets/*/ 2>/dev/null | wc -l; }

# 1. A short campaign.
"$X" fuzz --execs 2000 --seed 3 --no-known --out "$T/a" > "$T/a.log" 2>&1
rc=$?
[ $rc -eq 0 ] && ok "campaign of 2000 execs exits 0" || bad "campaign exit code $rc: $(tail -3 "$T/a.log")"
e1=$(state "$T/a" execs)
[ "$e1" = 2000 ] && ok "state records 2000 execs" || bad "state execs '$e1', wanted 2000"
n1=$(nbuckets "$T/a")
[ "$n1" -ge 1 ] && ok "$n1 bucket(s) written" || bad "no bucket written"
h1=$(hits_sum "$T/a")
complete=1
for d in "$T"/a/buckets/*/; do
	[ -f "$d/hits" ] && [ -f "$d/case.case" ] && [ -f "$d/kvm-outcome.txt" ] || complete=0
done
[ $complete = 1 ] && ok "each bucket has hits, case.case, kvm-outcome.txt" || bad "incomplete bucket"
first=$(ls -d "$T"/a/buckets/*/ | head -1)
"$X" run -q "$first/case.case" > "$T/run.log" 2>&1
rc=$?
[ $rc -le 1 ] && ok "a bucket's case.case parses and runs (exit $rc)" || bad "exitdiff run on $first/case.case: exit $rc $(head -2 "$T/run.log")"
# New buckets are minimized: a minimized case keeps its bucket's signature
# and carries its original along.
nmin=0 minok=1
for d in "$T"/a/buckets/*/; do
	grep -q '^# minimized from' "$d/case.case" || continue
	nmin=$((nmin + 1))
	sig=$(sed -n 's/^# exitdiff fuzz: first case of bucket //p' "$d/case.case")
	"$X" run -q "$d/case.case" 2>&1 | grep -qF "verdict: DIVERGENCE $sig" || { minok=0; echo "  $d: minimized case does not show $sig"; }
	grep -q '^original case' "$d/kvm-outcome.txt" || { minok=0; echo "  $d: original case missing"; }
done
[ $nmin -ge 1 ] && [ $minok = 1 ] && ok "$nmin minimized bucket(s) keep their signature and the original case" ||
	bad "minimized buckets: $nmin, all keep signature: $minok"
lines=$(wc -l < "$T/a/stats.jsonl")
[ "$lines" -ge 1 ] && grep -q '"execs":2000' "$T/a/stats.jsonl" && grep -q '"unsupported_top"' "$T/a/stats.jsonl" &&
	grep -q '"exits_kvm"' "$T/a/stats.jsonl" && grep -q '"ref_mnemonics"' "$T/a/stats.jsonl" &&
	ok "stats.jsonl has $lines line(s) with execs, unsupported_top, exits_kvm, ref_mnemonics" ||
	bad "stats.jsonl: $(tail -1 "$T/a/stats.jsonl")"
grep -q "campaign summary: 2000 execs" "$T/a.log" && ok "summary printed" || bad "no summary in output"

# 2. Resume on the same directory.
"$X" fuzz --execs 1000 --seed 3 --no-known --out "$T/a" > "$T/a2.log" 2>&1
e2=$(state "$T/a" execs)
h2=$(hits_sum "$T/a")
[ "$e2" = 3000 ] && ok "resume: execs continue (2000 + 1000 = $e2)" || bad "resume: execs '$e2', wanted 3000"
[ "$h2" -ge "$h1" ] && ok "resume: hit counts kept ($h1 -> $h2)" || bad "resume: hits fell $h1 -> $h2"
grep -q "resum" "$T/a2.log" && ok "resume announced" || bad "resume not announced"

# 3. A signature on the known list is counted, not saved.
sig=$(awk '$1 == "signature" { print $2 }' "$first/hits")
printf '# test list\n%s  listed by cli_fuzz.sh\n' "$sig" > "$T/known.txt"
"$X" fuzz --execs 2000 --seed 3 --known "$T/known.txt" --out "$T/k" > "$T/k.log" 2>&1
if grep -rqx "signature $sig" "$T"/k/buckets/*/hits 2>/dev/null; then
	bad "known signature $sig saved as a bucket"
else
	ok "known signature $sig not saved as a bucket"
fi
grep -q "^known_hit $sig " "$T/k/state" && ok "known signature hits counted" || bad "no known_hit line for $sig"
printf 'lonely-signature\n' > "$T/bad-known.txt"
"$X" fuzz --execs 10 --known "$T/bad-known.txt" --out "$T/b" > "$T/b.log" 2>&1
rc=$?
[ $rc -eq 2 ] && grep -q "bad-known.txt:1:" "$T/b.log" && ok "malformed known file: exit 2 with FILE:LINE" ||
	bad "malformed known file: exit $rc, $(cat "$T/b.log" | head -2)"

# 4. kill -9 mid-campaign: every saved file is complete.
"$X" fuzz --jobs 2 --time 60 --stats-period 0.3 --no-known --out "$T/c" > "$T/c.log" 2>&1 &
pid=$!
sleep 3
kill -9 $pid
wait $pid 2>/dev/null
sleep 0.5
complete=1
for d in "$T"/c/buckets/*/; do
	[ -f "$d/hits" ] || continue   # no hits file: never committed, ignored on resume
	grep -q '^hits [0-9]' "$d/hits" || complete=0
	"$X" run -q "$d/case.case" > /dev/null 2>&1
	[ $? -le 1 ] || { complete=0; echo "  unparsable: $d/case.case"; }
done
[ $complete = 1 ] && ok "after kill -9: $(nbuckets "$T/c") bucket(s), all committed ones complete" || bad "after kill -9: incomplete bucket files"
if command -v python3 > /dev/null; then
	python3 -c 'import json,sys
for l in open(sys.argv[1]): json.loads(l)' "$T/c/stats.jsonl" && ok "after kill -9: every stats.jsonl line is valid JSON" ||
		bad "after kill -9: broken stats.jsonl line"
fi
head -1 "$T/c/state" | grep -q "exitdiff-campaign-state" && ok "after kill -9: state file whole" || bad "state file damaged"
"$X" fuzz --execs 500 --no-known --out "$T/c" > "$T/c2.log" 2>&1
rc=$?
[ $rc -eq 0 ] && grep -q "resum" "$T/c2.log" && ok "campaign resumes after kill -9" || bad "resume after kill -9: exit $rc"

# 5. Usage errors.
"$X" fuzz --bogus > "$T/u.log" 2>&1
rc=$?
[ $rc -eq 2 ] && [ "$(wc -l < "$T/u.log")" -eq 1 ] && ok "unknown option: exit 2, one line" || bad "unknown option: exit $rc: $(cat "$T/u.log")"
"$X" fuzz --generator nope --out "$T/u" > "$T/u.log" 2>&1
rc=$?
[ $rc -eq 2 ] && ok "unknown generator: exit 2" || bad "unknown generator: exit $rc"
"$X" gen --generator nope -o "$T/g" > "$T/u.log" 2>&1
rc=$?
[ $rc -eq 2 ] && [ "$(wc -l < "$T/u.log")" -eq 1 ] && ok "gen: unknown generator: exit 2, one line" || bad "gen unknown generator: exit $rc"
"$X" gen --seed 12x -o "$T/g" > "$T/u.log" 2>&1
[ $? -eq 2 ] && ok "gen: bad number: exit 2" || bad "gen: bad number accepted"
"$X" gen --count 3 -o /proc/nonexistent/dir > "$T/u.log" 2>&1
[ $? -eq 2 ] && ok "gen: unwritable directory: exit 2" || bad "gen: unwritable dir accepted"
"$X" gen --seed 9 --count 5 -o "$T/g1" > /dev/null && "$X" gen --seed 9 --count 5 -o "$T/g2" > /dev/null
diff -r "$T/g1" "$T/g2" > /dev/null && [ "$(ls "$T/g1" | wc -l)" = 5 ] && ok "gen: deterministic, 5 files" || bad "gen: output differs between runs"

[ $fail = 0 ] && echo "cli_fuzz: all passed" || echo "cli_fuzz: FAILED"
exit $fail
