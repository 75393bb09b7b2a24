#!/usr/bin/env bash
# The test command: installs what is missing, builds twice (plain and
# ASan+UBSan), runs the whole ctest suite in both, then replays the corpus.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh

[ -e /dev/kvm ] || echo "WARNING: /dev/kvm is absent: KVM tests will be SKIPPED"

echo "== tests (plain build)"
ctest --test-dir build --output-on-failure -j2

echo "== tests (ASan+UBSan build)"
cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DEXITDIFF_SANITIZE=ON >/dev/null
ninja -C build-asan
ctest --test-dir build-asan --output-on-failure -j2
