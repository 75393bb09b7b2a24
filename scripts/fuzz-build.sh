#!/usr/bin/env bash
# Builds the fuzz targets (docs/fuzzing-engines.md).
#
#   scripts/fuzz-build.sh [libfuzzer|afl|parse|all] [BUILD_ROOT]
#
#   libfuzzer  BUILD_ROOT/clang (CC=clang): exitdiff-fuzz-exec (libFuzzer),
#              exitdiff-fuzz-run (plain runner), libexitdiff-afl-mutator.so
#              (its test is tests/test_mut_edits.c, in every build)
#   parse      BUILD_ROOT/clang: exitdiff-fuzz-parse (libFuzzer, ASan+UBSan)
#   afl        BUILD_ROOT/afl (CC=afl-clang-fast): exitdiff-fuzz-afl, plus
#              the mutator from BUILD_ROOT/clang (afl-fuzz loads it)
#   all        everything (default)
#
# BUILD_ROOT defaults to build-fuzz in the source tree. Exit 77 when a
# needed compiler is missing, so callers can report SKIPPED.
set -euo pipefail
what=${1:-all}
src=$(cd "$(dirname "$0")/.." && pwd)
root=${2:-$src/build-fuzz}
mkdir -p "$root"
root=$(cd "$root" && pwd)

need() {
	command -v "$1" >/dev/null 2>&1 && return 0
	echo "fuzz-build: $1 not found: $2" >&2
	exit 77
}

build_clang() {
	need clang "install clang (libFuzzer ships with it)"
	cmake -S "$src" -B "$root/clang" -G Ninja -DCMAKE_C_COMPILER=clang \
		-DCMAKE_BUILD_TYPE=RelWithDebInfo -DEXITDIFF_FUZZERS=ON >/dev/null
	ninja -C "$root/clang" "$@"
}

build_afl() {
	need afl-clang-fast "install afl++"
	# The denylist keeps history-dependent code (harness, session) out of
	# the coverage map; see fuzz/afl-denylist.txt. The launcher puts it in
	# every compile command, so it survives re-running ninja by hand.
	cmake -S "$src" -B "$root/afl" -G Ninja -DCMAKE_C_COMPILER=afl-clang-fast \
		-DCMAKE_BUILD_TYPE=RelWithDebInfo -DEXITDIFF_FUZZERS=ON \
		"-DCMAKE_C_COMPILER_LAUNCHER=env;AFL_LLVM_DENYLIST=$src/fuzz/afl-denylist.txt;AFL_QUIET=1" \
		>/dev/null
	ninja -C "$root/afl" exitdiff-fuzz-afl
}

case $what in
libfuzzer) build_clang exitdiff-fuzz-exec exitdiff-fuzz-run exitdiff-afl-mutator ;;
parse)     build_clang exitdiff-fuzz-parse exitdiff-fuzz-run ;;
afl)       build_clang exitdiff-afl-mutator exitdiff-fuzz-run; build_afl ;;
all)       build_clang exitdiff-fuzz-exec exitdiff-fuzz-parse exitdiff-fuzz-run \
		       exitdiff-afl-mutator
	   build_afl ;;
*) echo "usage: $0 [libfuzzer|afl|parse|all] [BUILD_ROOT]" >&2; exit 2 ;;
esac
echo "fuzz-build: targets in $root/clang/fuzz and $root/afl/fuzz"
