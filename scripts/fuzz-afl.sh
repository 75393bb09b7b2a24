#!/usr/bin/env bash
# A multi-core AFL++ campaign of the execution target (docs/fuzzing-engines.md).
#
#   scripts/fuzz-afl.sh [-t SECONDS] [-j N] [-o SYNC_DIR] [-n NAME] [-- AFL_ARGS...]
#
#   -t  time limit in seconds, passed as afl-fuzz -V (default 3600; 0 = until stopped)
#   -j  instances on this machine: one main (-M) and N-1 secondaries (-S)
#       (default: number of cores)
#   -o  sync dir (default ./fuzz-afl). Running again on the same dir
#       resumes (-i -). Point several machines at one shared sync dir, each
#       with its own -n, and the campaign spans them.
#   -n  instance name prefix (default: host name); the main is NAME-main,
#       unless -S is wanted for all: EXITDIFF_AFL_NO_MAIN=1
#
# Seeds: corpus/**/*.case converted to binary cases (case_encode). The
# custom mutator (fuzz/afl_mutator.c) is loaded through
# AFL_CUSTOM_MUTATOR_LIBRARY. Divergences are saved as .case files in
# SYNC_DIR/findings; AFL's crashes/ dirs hold bugs of exitdiff itself.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
time_limit=3600 jobs=$(nproc) sync=$PWD/fuzz-afl name=$(hostname -s 2>/dev/null || echo local)
build_root=${EXITDIFF_FUZZ_BUILD:-$src/build-fuzz}
while getopts "t:j:o:n:h" opt; do
	case $opt in
	t) time_limit=$OPTARG ;;
	j) jobs=$OPTARG ;;
	o) sync=$OPTARG ;;
	n) name=$OPTARG ;;
	*) sed -n '2,20p' "$0"; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
command -v afl-fuzz >/dev/null || { echo "fuzz-afl: afl-fuzz not found (install afl++)" >&2; exit 77; }

"$src/scripts/fuzz-build.sh" afl "$build_root" >/dev/null
target=$build_root/afl/fuzz/exitdiff-fuzz-afl
mutator=$build_root/clang/fuzz/libexitdiff-afl-mutator.so
mkdir -p "$sync/findings" "$sync/logs"
sync=$(cd "$sync" && pwd)
if [ ! -d "$sync/seeds" ]; then
	mkdir -p "$sync/seeds"
	mapfile -t cases < <(find "$src/corpus" -name '*.case' | sort)
	"$build_root/clang/fuzz/exitdiff-fuzz-run" --seeds "$sync/seeds" "${cases[@]}"
fi

export AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1
export AFL_CUSTOM_MUTATOR_LIBRARY=$mutator
export EXITDIFF_FUZZ_OUT=$sync/findings
# Cores may be shared with other work (CI, other campaigns): do not insist
# on a free one per instance.
export AFL_NO_AFFINITY=${AFL_NO_AFFINITY:-1}
[ -t 1 ] || export AFL_NO_UI=1

# -t: a case's own budget is KVM_TIME_BUDGET_US (50 ms); the first input
# of each persistent child also opens the VM and calibrates CPUID.
afl_args=(-o "$sync" -t 1000+)
[ "$time_limit" -gt 0 ] && afl_args+=(-V "$time_limit")

input_for() { # resume an instance that has run before
	if [ -d "$sync/$1/queue" ]; then echo -; else echo "$sync/seeds"; fi
}

pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
}
trap cleanup INT TERM EXIT

for ((i = 1; i < jobs; i++)); do
	id=$name-s$i
	AFL_NO_UI=1 afl-fuzz -i "$(input_for "$id")" "${afl_args[@]}" -S "$id" "$@" -- "$target" \
		>"$sync/logs/$id.log" 2>&1 &
	pids+=($!)
done
if [ "${EXITDIFF_AFL_NO_MAIN:-0}" = 1 ]; then id=$name-s0 role=-S; else id=$name-main role=-M; fi
echo "fuzz-afl: $jobs instance(s) on $sync for ${time_limit}s; findings in $sync/findings"
set +e
if [ -t 1 ]; then
	afl-fuzz -i "$(input_for "$id")" "${afl_args[@]}" $role "$id" "$@" -- "$target"
else
	afl-fuzz -i "$(input_for "$id")" "${afl_args[@]}" $role "$id" "$@" -- "$target" \
		>"$sync/logs/$id.log" 2>&1
fi
rc=$?
set -e
for p in "${pids[@]}"; do wait "$p" || true; done
pids=()

crashes=0
for d in "$sync"/*/crashes; do
	[ -d "$d" ] && crashes=$((crashes + $(find "$d" -type f ! -name README.txt | wc -l)))
done
for s in "$sync"/*/fuzzer_stats; do
	[ -f "$s" ] && awk -v f="$(basename "$(dirname "$s")")" \
		'/^execs_per_sec/ {e=$3} /^execs_done/ {d=$3} END {print "fuzz-afl: " f ": " d " execs, " e " execs/s"}' "$s"
done
echo "fuzz-afl: afl-fuzz exit $rc; $crashes crash(es); $(ls "$sync/findings" | wc -l) findings"
[ "$rc" -eq 0 ] && [ "$crashes" -eq 0 ]
