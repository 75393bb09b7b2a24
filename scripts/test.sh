#!/usr/bin/env bash
# The test command: installs what is missing, builds twice (plain and
# ASan+UBSan), runs the whole ctest suite in both (the plain one includes a
# minute of libFuzzer and a minute of AFL++ on the execution target, and TMK
# boots under QEMU), then fuzzes the .case parser for a minute under
# ASan+UBSan.
set -euo pipefail
cd "$(dirname "$0")/.."
# clang + its runtime: libFuzzer; afl++: the AFL target; qemu: TMK boots;
# chromium, jq, xmllint: the campaign report's tests (cli_report*.sh).
bash scripts/setup.sh clang libclang-rt-14-dev afl++ qemu-system-x86 make chromium jq libxml2-utils

[ -e /dev/kvm ] || echo "WARNING: /dev/kvm is absent: KVM tests will be SKIPPED"

# The project's own builds treat warnings as errors (a user's plain build
# does not): the tested build, the sanitizer build, and a Release build at
# -O3, whose deeper analysis finds what -O2 does not.
cmake -S . -B build -G Ninja -DEXITDIFF_WERROR=ON >/dev/null
ninja -C build
echo "== Release build (-O3, warnings as errors)"
cmake -S . -B build-release -G Ninja -DCMAKE_BUILD_TYPE=Release -DEXITDIFF_WERROR=ON >/dev/null
ninja -C build-release >/dev/null

echo "== tests (plain build)"
ctest --test-dir build --output-on-failure -j2

echo "== tests (ASan+UBSan build)"
cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DEXITDIFF_SANITIZE=ON -DEXITDIFF_WERROR=ON >/dev/null
ninja -C build-asan
ctest --test-dir build-asan --output-on-failure -j2

echo "== parser fuzzing (libFuzzer, ASan+UBSan, 60 s)"
bash scripts/fuzz-parse-ci.sh 60
