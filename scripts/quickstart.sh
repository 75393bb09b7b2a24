#!/usr/bin/env bash
# The main job: set up, then a short fuzzing campaign on the built-in
# defaults, printing what it found. Pass options to override, e.g.
#   bash scripts/quickstart.sh --time 300 --jobs 2
# On a host without /dev/kvm (a machine that is itself a guest without
# nested KVM) there is no KVM to test: the campaign fuzzes QEMU's TCG
# instead (docs/vmm.md), into its own directory, and says so first.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -e /dev/kvm ]; then
	bash scripts/setup.sh
	exec build/exitdiff fuzz --time 60 --out fuzz-out "$@"
fi
bash scripts/setup.sh qemu-system-x86
echo "quickstart: /dev/kvm is not available here: fuzzing QEMU TCG (vmm:qemu-tcg) against the reference instead of KVM" >&2
exec build/exitdiff fuzz --against vmm:qemu-tcg --time 60 --out fuzz-out-qemu-tcg "$@"
