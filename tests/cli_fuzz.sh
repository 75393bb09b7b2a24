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

# 1. A short campaign. prot32-paged is left out: this KVM cannot run it, and
# what it does instead depends on the cases before (a minimized case of
# that mode need not show its bucket again on its own).
"$X" fuzz --execs 2000 --seed 3 --mode long64,prot32,real16 --no-known --out "$T/a" > "$T/a.log" 2>&1
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
	# Bucket keys outside long64 end in @MODE; `run` prints the bare signature.
	bare=$(sed -E 's/@(prot32|prot32-paged|real16)$//' <<< "$sig")
	# Up to three runs: a few of kvm_pvm's divergences do not repeat every time.
	shown=0
	for try in 1 2 3; do
		"$X" run -q "$d/case.case" 2>&1 | grep -qF "verdict: DIVERGENCE $bare" && { shown=1; break; }
	done
	[ $shown -eq 1 ] || { minok=0; echo "  $d: minimized case does not show $sig"; }
	grep -q '^original case' "$d/kvm-outcome.txt" || { minok=0; echo "  $d: original case missing"; }
done
[ $nmin -ge 1 ] && [ $minok = 1 ] && ok "$nmin minimized bucket(s) keep their signature and the original case" ||
	bad "minimized buckets: $nmin, all keep signature: $minok"
# A new signature is named by its first divergence: the case cut with a
# HLT after the instruction where the states part. A cut bucket's case must
# still diverge, and its original case (as generated) must not end in the
# cut's HLT at that offset.
ncut=0 cutok=1
for d in "$T"/a/buckets/*/; do
	at=$(sed -n 's/^# cut at its first divergence: HLT at code offset //p' "$d/case.case")
	[ -n "$at" ] || continue
	ncut=$((ncut + 1))
	shown=0
	for try in 1 2 3; do
		"$X" run -q "$d/case.case" 2>&1 | grep -q "verdict: DIVERGENCE" && { shown=1; break; }
	done
	[ $shown -eq 1 ] || { cutok=0; echo "  $d: cut case does not diverge"; }
	orig=$(sed -n '/^original case/,$p' "$d/kvm-outcome.txt" | sed -n 's/^code //p' | tr -d '\n ')
	byte=${orig:$((2 * at)):2}
	[ -n "$byte" ] && [ "$byte" != f4 ] || { cutok=0; echo "  $d: original byte at $at is '$byte'"; }
done
[ $ncut -ge 1 ] && [ $cutok = 1 ] && ok "$ncut bucket(s) named by their first divergence: cut cases diverge, cut inside the original code" ||
	bad "cut buckets: $ncut, all right: $cutok"
lines=$(wc -l < "$T/a/stats.jsonl")
[ "$lines" -ge 1 ] && grep -q '"execs":2000' "$T/a/stats.jsonl" && grep -q '"unsupported_top"' "$T/a/stats.jsonl" &&
	grep -q '"exits_kvm"' "$T/a/stats.jsonl" && grep -q '"ref_mnemonics"' "$T/a/stats.jsonl" &&
	ok "stats.jsonl has $lines line(s) with execs, unsupported_top, exits_kvm, ref_mnemonics" ||
	bad "stats.jsonl: $(tail -1 "$T/a/stats.jsonl")"
grep -q "campaign summary: 2000 execs" "$T/a.log" && ok "summary printed" || bad "no summary in output"

# 2. Resume on the same directory.
"$X" fuzz --execs 1000 --seed 3 --mode long64,prot32,real16 --no-known --out "$T/a" > "$T/a2.log" 2>&1
e2=$(state "$T/a" execs)
h2=$(hits_sum "$T/a")
[ "$e2" = 3000 ] && ok "resume: execs continue (2000 + 1000 = $e2)" || bad "resume: execs '$e2', wanted 3000"
[ "$h2" -ge "$h1" ] && ok "resume: hit counts kept ($h1 -> $h2)" || bad "resume: hits fell $h1 -> $h2"
grep -q "resum" "$T/a2.log" && ok "resume announced" || bad "resume not announced"

# 3. A signature on the known list is counted, not saved.
sig=$(awk '$1 == "signature" { print $2 }' "$first/hits")
printf '# test list\n%s  listed by cli_fuzz.sh\n' "$sig" > "$T/known.txt"
"$X" fuzz --execs 2000 --seed 3 --mode long64,prot32,real16 --known "$T/known.txt" --out "$T/k" > "$T/k.log" 2>&1
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
# Told no list, a campaign started outside the checkout still uses the
# corpus's (the source tree's), and says so; --no-known says there is none.
(cd "$T" && "$X" fuzz --execs 10 --out "$T/d" > "$T/d.log" 2>&1)
grep -q "^known divergences: $SRC/corpus/known-divergences.txt ([1-9][0-9]* entries)" "$T/d.log" &&
	ok "fuzz from another directory: the source tree's known list" ||
	bad "fuzz from $T: $(grep -m1 '^known' "$T/d.log")"
grep -q "^known divergences: none" "$T/a.log" && ok "--no-known: says none" ||
	bad "--no-known: $(grep -m1 '^known' "$T/a.log")"

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
	# Parsed, not run: a run can also end 2 for the host's reasons (a
	# loaded host), and what is checked here is that the file is whole.
	"$X" convert "$d/case.case" "$T/parsed.bin" > "$T/parse.log" 2>&1 ||
		{ complete=0; echo "  unparsable: $d/case.case: $(head -1 "$T/parse.log")"; }
	# A write cut short ends inside a line.
	[ "$(tail -c 1 "$d/case.case" | od -An -c | tr -d ' ')" = '\n' ] ||
		{ complete=0; echo "  cut short: $d/case.case"; }
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

# 6. Modes and knobs.
"$X" gen --mode real16 --seed 9 --count 20 -o "$T/m1" > /dev/null &&
	"$X" gen --mode real16 --seed 9 --count 20 -o "$T/m2" > /dev/null
diff -r "$T/m1" "$T/m2" > /dev/null && [ "$(grep -l '^mode real16' "$T"/m1/*.case | wc -l)" = 20 ] &&
	ok "gen --mode real16: deterministic, every case in real16" || bad "gen --mode real16: $(ls "$T/m1" | head -2)"
"$X" gen --mode long64 --knobs cpl3 --count 10 -o "$T/m3" > /dev/null
[ "$(grep -l '^knobs cpl3$' "$T"/m3/*.case | wc -l)" = 10 ] && ok "gen --knobs cpl3: every case carries the knob" ||
	bad "gen --knobs cpl3: $(grep -h '^knobs' "$T"/m3/*.case | sort | uniq -c)"
"$X" gen --count 400 -o "$T/m4" > /dev/null
modes=$(grep -h '^mode ' "$T"/m4/*.case | sort -u | wc -l)
# Every mode with a weight in the default mix: all but prot32-pae.
[ "$modes" -eq 5 ] && ! grep -q '^mode prot32-pae' "$T"/m4/*.case &&
	ok "gen default: cases in all $modes weighted modes, none in prot32-pae" ||
	bad "gen default: cases in $modes modes ($(grep -h '^mode ' "$T"/m4/*.case | sort | uniq -c | tr '\n' ' '))"
"$X" gen --mode real16 --knobs cpl3 -o "$T/m5" > "$T/u.log" 2>&1
rc=$?
[ $rc -eq 2 ] && [ "$(wc -l < "$T/u.log")" -eq 1 ] && ok "gen: knob outside its modes: exit 2, one line" ||
	bad "gen --mode real16 --knobs cpl3: exit $rc: $(cat "$T/u.log")"
"$X" fuzz --mode long32 --out "$T/u" > "$T/u.log" 2>&1
rc=$?
[ $rc -eq 2 ] && [ "$(wc -l < "$T/u.log")" -eq 1 ] && ok "fuzz: bad --mode: exit 2, one line" || bad "fuzz --mode long32: exit $rc"
"$X" fuzz --knobs nosuch --out "$T/u" > "$T/u.log" 2>&1
rc=$?
[ $rc -eq 2 ] && ok "fuzz: unknown knob: exit 2" || bad "fuzz --knobs nosuch: exit $rc"
"$X" fuzz --mode long64 --knobs cpl3 --execs 300 --no-known --out "$T/l" > "$T/l.log" 2>&1
tail -1 "$T/l/stats.jsonl" | jq -e '.lanes["long64+cpl3"].execs == 300 and (.lanes | keys) == ["long64+cpl3"]
	and (.lanes["long64+cpl3"].modeled_share >= 0) and (.lanes["long64+cpl3"].families | length) > 3' > /dev/null &&
	ok "fuzz --knobs cpl3: stats.jsonl has the one lane with execs, modeled_share, families" ||
	bad "fuzz --knobs cpl3 lanes: $(tail -1 "$T/l/stats.jsonl" | jq -c .lanes 2>&1 | head -c 300)"
"$X" fuzz --mode all --execs 800 --no-known --out "$T/all" > "$T/all.log" 2>&1
tail -1 "$T/all/stats.jsonl" | jq -e '([.lanes[].execs] | add) == .execs and (.lanes | length) >= 4
	and ([.lanes[] | select(.agree + .diverge + .unsupported > .execs - .exec_failures)] | length) == 0
	and ([.lanes[] | select(.modeled_share < 0 or .modeled_share > 1)] | length) == 0
	and ([.lanes[].agree] | add) == .agree and ([.lanes[].unsupported] | add) == .unsupported' > /dev/null &&
	ok "fuzz --mode all: lanes add up to the totals, verdicts within execs, shares in [0,1]" ||
	bad "fuzz --mode all lanes: $(tail -1 "$T/all/stats.jsonl" | jq -c '[.execs, (.lanes | map_values(.execs))]' 2>&1 | head -c 300)"
grep -q "^  real16 " "$T/all.log" && grep -q "^  prot32 " "$T/all.log" && ok "summary has the per-lane table" ||
	bad "no per-lane table in the summary"

[ $fail = 0 ] && echo "cli_fuzz: all passed" || echo "cli_fuzz: FAILED"
exit $fail
