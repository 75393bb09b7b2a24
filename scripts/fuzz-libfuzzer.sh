#!/usr/bin/env bash
# A libFuzzer campaign of the execution target (docs/fuzzing-engines.md).
#
#   scripts/fuzz-libfuzzer.sh [-t SECONDS] [-j N] [-m fork|jobs] [-w WORKDIR] [-- LIBFUZZER_ARGS...]
#
#   -t  time limit in seconds (default 3600; 0 = until stopped)
#   -j  parallel processes (default: number of cores)
#   -m  fork: one -fork=N parent, children merge into one corpus (default);
#       jobs: -jobs=N -workers=N independent processes sharing the corpus dir
#   -w  work dir (default ./fuzz-libfuzzer): corpus/ (kept: running again
#       resumes), findings/ (divergences as .case), artifacts/ (crashes:
#       bugs of exitdiff itself), logs
#
# Seeds: the corpus/**/*.case files, converted to the binary format, on
# the first run. Exit status: libFuzzer's (0 = no crash).
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
time_limit=3600 jobs=$(nproc) mode=fork work=$PWD/fuzz-libfuzzer
build_root=${EXITDIFF_FUZZ_BUILD:-$src/build-fuzz}
while getopts "t:j:m:w:h" opt; do
	case $opt in
	t) time_limit=$OPTARG ;;
	j) jobs=$OPTARG ;;
	m) mode=$OPTARG ;;
	w) work=$OPTARG ;;
	*) sed -n '2,16p' "$0"; exit 2 ;;
	esac
done
shift $((OPTIND - 1))

"$src/scripts/fuzz-build.sh" libfuzzer "$build_root" >/dev/null
bin=$build_root/clang/fuzz
mkdir -p "$work/corpus" "$work/findings" "$work/artifacts"
work=$(cd "$work" && pwd)
if [ -z "$(ls -A "$work/corpus")" ]; then
	mapfile -t cases < <(find "$src/corpus" -name '*.case' | sort)
	"$bin/exitdiff-fuzz-run" --seeds "$work/corpus" "${cases[@]}"
	echo "fuzz-libfuzzer: ${#cases[@]} seeds from $src/corpus"
fi

export EXITDIFF_FUZZ_OUT=$work/findings
# The largest binary case (case_bin.h CASE_BIN_MAX); longer inputs only
# carry bytes the decoder ignores.
args=(-max_len=12370 -max_total_time="$time_limit" -artifact_prefix="$work/artifacts/"
      -print_final_stats=1 -reload=60)
cd "$work"
case $mode in
fork) args+=(-fork="$jobs") ;;
jobs) args+=(-jobs="$jobs" -workers="$jobs") ;;
*) echo "fuzz-libfuzzer: -m must be fork or jobs" >&2; exit 2 ;;
esac
echo "fuzz-libfuzzer: $mode x$jobs for ${time_limit}s; findings in $work/findings"
set +e
"$bin/exitdiff-fuzz-exec" "${args[@]}" "$@" "$work/corpus" 2>&1 | tee "$work/libfuzzer.log"
rc=${PIPESTATUS[0]}
set -e
echo "fuzz-libfuzzer: exit $rc; $(ls "$work/findings" | wc -l) findings, $(ls "$work/corpus" | wc -l) corpus inputs"
exit "$rc"
