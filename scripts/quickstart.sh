#!/usr/bin/env bash
# The main job: set up, then a short fuzzing campaign on the built-in
# defaults, printing what it found. Pass options to override, e.g.
#   bash scripts/quickstart.sh --time 300 --jobs 2
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
[ -e /dev/kvm ] || { echo "quickstart: /dev/kvm is not available: exitdiff needs KVM" >&2; exit 2; }
exec build/exitdiff fuzz --time 60 --out fuzz-out "$@"
