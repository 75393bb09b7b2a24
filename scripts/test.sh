#!/usr/bin/env bash
# The test command: installs what is missing, builds twice (plain and
# ASan+UBSan), runs the whole ctest suite in both (the plain one includes a
# minute of libFuzzer and a minute of AFL++ on the execution target, and TMK
# boots under QEMU), then fuzzes the .case parser for a minute under
# ASan+UBSan.
set -euo pipefail
cd "$(dirname "$0")/.."
# clang + its runtime: libFuzzer; afl++: the AFL target; qemu: TMK boots.
bash scripts/setup.sh clang libclang-rt-14-dev afl++ qemu-system-x86 make

[ -e /dev/kvm ] || echo "WARNING: /dev/kvm is absent: KVM tests will be SKIPPED"

echo "== tests (plain build)"
ctest --test-dir build --output-on-failure -j2

echo "== tests (ASan+UBSan build)"
cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DEXITDIFF_SANITIZE=ON >/dev/null
ninja -C build-asan
ctest --test-dir build-asan --output-on-failure -j2

echo "== parser fuzzing (libFuzzer, ASan+UBSan, 60 s)"
bash scripts/fuzz-parse-ci.sh 60
