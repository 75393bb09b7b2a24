#!/usr/bin/env bash
# End-to-end test of the fuzzing engines (slow, ~3 min): builds the fuzz
# targets into a temp dir, checks the mutator self-test and the plain
# runner, then runs the libFuzzer target for 60 s and AFL++ for 60 s (one
# instance each, through scripts/fuzz-libfuzzer.sh and scripts/fuzz-afl.sh).
# Passes when neither engine saw a crash (libFuzzer exit 0, AFL crashes/
# empty) and every saved finding is a loadable .case. Prints each engine's
# execs/s. Args: $1 exitdiff binary (only looked at to skip ASan builds:
# the targets are built here),
# $2 source dir. Exit 77 (SKIPPED) without clang, afl-fuzz or /dev/kvm,
# and under an ASan build of exitdiff (the plain build runs it).
set -uo pipefail
src=${2:-$(cd "$(dirname "$0")/.." && pwd)}
secs=${EXITDIFF_ENGINES_SECS:-60}

skip() { echo "SKIPPED: $*"; exit 77; }
command -v clang >/dev/null || skip "clang not found: libFuzzer targets cannot be built"
command -v afl-fuzz >/dev/null && command -v afl-clang-fast >/dev/null ||
	skip "afl-fuzz/afl-clang-fast not found: install afl++"
[ -r /dev/kvm ] && [ -w /dev/kvm ] || skip "/dev/kvm is not available"
# The test builds its own targets, whatever build runs it: under the
# ASan+UBSan build it would only repeat the plain build's 3 minutes.
if [ -n "${1:-}" ] && { ldd "$1" 2>/dev/null | grep libasan >/dev/null ||
	nm "$1" 2>/dev/null | grep ' __asan_init' >/dev/null; }; then
	skip "engines run once, in the plain build (this exitdiff is an ASan build)"
fi

tmp=$(mktemp -d /tmp/exitdiff-engines.XXXXXX)
failures=0
pass() { echo "ok: $*"; }
fail() { echo "FAILED: $*"; failures=$((failures + 1)); }

echo "== build (into $tmp/build)"
if ! "$src/scripts/fuzz-build.sh" all "$tmp/build" >"$tmp/build.log" 2>&1; then
	tail -30 "$tmp/build.log"
	echo "FAILED: fuzz targets do not build (log above)"
	exit 1
fi
pass "fuzz targets built (libFuzzer, AFL++, runner, mutator)"
bin=$tmp/build/clang/fuzz
export EXITDIFF_FUZZ_BUILD=$tmp/build

echo "== plain runner"
out=$("$bin/exitdiff-fuzz-run" "$src/corpus/hlt/hlt-empty.case" 2>&1); rc=$?
[ $rc -eq 0 ] && [[ $out == *": AGREE" ]] && pass "runner: hlt-empty agrees ($out)" ||
	fail "runner on hlt-empty: exit $rc, wanted 0 and AGREE; got: $out"
# The same case as a binary seed through stdin must give the same verdict.
mkdir -p "$tmp/seed"
"$bin/exitdiff-fuzz-run" --seeds "$tmp/seed" "$src/corpus/hlt/hlt-empty.case"
out=$("$bin/exitdiff-fuzz-run" <"$tmp/seed/hlt-empty.bin" 2>&1); rc=$?
[ $rc -eq 0 ] && [[ $out == "-: AGREE" ]] && pass "runner: the binary seed on stdin agrees too" ||
	fail "runner on stdin: exit $rc; got: $out"
# A new divergence is named by its first one, as in campaigns: a TZCNT
# result KVM's emulator gets wrong, copied by a later MOV.
printf 'id tzcnt-copied\nrcx 0x1234\ncode f3 48 0f bc cb\ncode 48 89 c8\ncode f4\n' >"$tmp/tz.case"
out=$("$bin/exitdiff-fuzz-run" "$tmp/tz.case" 2>&1); rc=$?
[ $rc -eq 1 ] && [[ $out == *"DIVERGENCE hlt/hlt:rcx:tzcnt"* ]] &&
	pass "runner: a copied wrong value is named by the TZCNT that made it" ||
	fail "runner on tzcnt-copied: exit $rc, wanted 1 and hlt/hlt:rcx:tzcnt; got: $out"
out=$("$bin/exitdiff-fuzz-run" --bogus 2>&1); rc=$?
[ $rc -eq 2 ] && pass "runner: unknown option exits 2" || fail "runner --bogus: exit $rc, wanted 2"

echo "== libFuzzer, ${secs}s"
"$src/scripts/fuzz-libfuzzer.sh" -t "$secs" -j 1 -m jobs -w "$tmp/lf" >"$tmp/lf.out" 2>&1
rc=$?
log=$tmp/lf/fuzz-0.log
[ -f "$log" ] || log=$tmp/lf.out
lf_eps=$(grep -o 'exec/s: [0-9]*' "$log" | tail -1 | awk '{print $2}')
lf_avg=$(awk '/stat::average_exec_per_sec/ {print $2}' "$log" | tail -1)
[ $rc -eq 0 ] && pass "libFuzzer exit 0 (no crash)" || { tail -30 "$log"; fail "libFuzzer exit $rc"; }
n=$(ls "$tmp/lf/artifacts" | wc -l)
[ "$n" -eq 0 ] && pass "libFuzzer: no crash artifacts" || fail "libFuzzer: $n crash artifact(s) in $tmp/lf/artifacts"
[ -n "$lf_eps" ] && pass "libFuzzer reported exec/s" || fail "no exec/s in libFuzzer output"
echo "libFuzzer: ${lf_eps:-?} exec/s (last status line), ${lf_avg:-?} average; $(ls "$tmp/lf/corpus" | wc -l) corpus inputs, $(ls "$tmp/lf/findings" | wc -l) findings"

echo "== AFL++, ${secs}s"
"$src/scripts/fuzz-afl.sh" -t "$secs" -j 1 -n test -o "$tmp/afl" >"$tmp/afl.out" 2>&1
rc=$?
stats=$tmp/afl/test-main/fuzzer_stats
afl_eps=$(awk '/^execs_per_sec/ {print $3}' "$stats" 2>/dev/null)
afl_done=$(awk '/^execs_done/ {print $3}' "$stats" 2>/dev/null)
n=$(find "$tmp/afl/test-main/crashes" -type f ! -name README.txt 2>/dev/null | wc -l)
[ -f "$stats" ] && pass "AFL++ wrote fuzzer_stats" || { tail -30 "$tmp/afl/logs/"*.log; fail "no AFL++ fuzzer_stats"; }
[ "$n" -eq 0 ] && pass "AFL++: crashes/ is empty" || fail "AFL++: $n crash(es) in $tmp/afl/test-main/crashes"
[ $rc -eq 0 ] && pass "fuzz-afl.sh exit 0" || { tail -20 "$tmp/afl.out"; fail "fuzz-afl.sh exit $rc"; }
[ "${afl_done:-0}" -gt 1000 ] && pass "AFL++ ran $afl_done execs" || fail "AFL++ ran only ${afl_done:-0} execs"
echo "AFL++: ${afl_eps:-?} execs/s ($afl_done execs); $(ls "$tmp/afl/findings" | wc -l) findings"

echo "== findings are loadable .case files"
shopt -s nullglob
found=("$tmp"/lf/findings/*.case "$tmp"/afl/findings/*.case)
bad=0
for f in "${found[@]}"; do
	grep -q '^# signature: ' "$f" || { echo "  $f: no signature comment"; bad=$((bad + 1)); continue; }
	"$bin/exitdiff-fuzz-run" "$f" >/dev/null 2>"$tmp/run.err"
	rc=$?
	# A finding whose re-run makes KVM fail is still a good case file (a
	# hypervisor failure is a finding of its own): only a file that does
	# not parse, or a crash, fails here.
	if [ $rc -gt 1 ] && ! grep -q 'KVM executor:' "$tmp/run.err"; then
		echo "  $f does not load (exit $rc): $(head -3 "$tmp/run.err")"
		bad=$((bad + 1))
	elif [ $rc -gt 1 ]; then
		echo "  note: $f loads, its re-run made KVM fail: $(head -1 "$tmp/run.err")"
	fi
done
[ $bad -eq 0 ] && pass "${#found[@]} saved finding(s) load and carry a signature" ||
	fail "$bad of ${#found[@]} finding(s) are not loadable"
# Within one findings dir, a bucket key is saved once: the "# bucket key:"
# line, or the signature where the key is the signature itself (long64).
# One signature in two modes is two bucket keys (docs/campaigns.md).
keys() {
	for f in "$tmp"/afl/findings/*.case; do
		k=$(sed -n 's/^# bucket key: //p' "$f" | head -1)
		[ -n "$k" ] || k=$(sed -n 's/^# signature: //p' "$f" | head -1)
		echo "$k"
	done
}
dups=$(keys | sort | uniq -d)
[ -z "$dups" ] && pass "AFL++ findings: one file per bucket key" ||
	fail "bucket key(s) saved twice: $dups"

echo "engines: libFuzzer ${lf_eps:-?} exec/s, AFL++ ${afl_eps:-?} execs/s (one process each, ${secs}s)"
if [ $failures -eq 0 ]; then
	rm -rf "$tmp"
	echo "cli_engines: all checks passed"
	exit 0
fi
echo "cli_engines: $failures check(s) failed; files kept in $tmp"
exit 1
