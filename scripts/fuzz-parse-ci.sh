#!/usr/bin/env bash
# CI run of the parser fuzz target (fuzz/fuzz_parse.c, ASan+UBSan): builds
# it with clang, seeds it with corpus/**/*.case (as text, and as binary
# cases), runs it for SECONDS (default 60). Exit 0 when nothing was found,
# 1 on a finding (the crash input is kept and named), 77 without clang.
#
#   scripts/fuzz-parse-ci.sh [SECONDS] [BUILD_ROOT]
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
secs=${1:-60}
build_root=${2:-${EXITDIFF_FUZZ_BUILD:-$src/build-fuzz}}
"$src/scripts/fuzz-build.sh" parse "$build_root" >/dev/null
bin=$build_root/clang/fuzz

work=$(mktemp -d /tmp/exitdiff-fuzz-parse.XXXXXX)
trap 'rm -rf "$work/seeds" "$work/corpus"' EXIT
mkdir -p "$work/seeds" "$work/corpus" "$work/artifacts"
mapfile -t cases < <(find "$src/corpus" -name '*.case' | sort)
i=0
for f in "${cases[@]}"; do cp "$f" "$work/seeds/$((i++))-$(basename "$f")"; done
"$bin/exitdiff-fuzz-run" --seeds "$work/seeds" "${cases[@]}"

echo "fuzz-parse-ci: ${#cases[@]} corpus cases (text + binary) as seeds, ${secs}s"
set +e
"$bin/exitdiff-fuzz-parse" -max_total_time="$secs" -max_len=16384 -print_final_stats=1 \
	-dict="$src/fuzz/case.dict" \
	-artifact_prefix="$work/artifacts/" "$work/corpus" "$work/seeds" >"$work/parse.log" 2>&1
rc=$?
set -e
grep -E '^(stat::|Done)' "$work/parse.log" || true
found=$(ls "$work/artifacts" | wc -l)
if [ "$rc" -ne 0 ] || [ "$found" -ne 0 ]; then
	tail -40 "$work/parse.log"
	echo "FAIL: fuzz-parse-ci: libFuzzer exit $rc, $found artifact(s) in $work/artifacts (log: $work/parse.log)"
	exit 1
fi
rm -rf "$work"
echo "PASS: fuzz-parse-ci: no finding in ${secs}s"
