# Sourced by the cli_*.sh tests (not a test itself: ctest runs tests/cli_*.sh).
# Skips without /dev/kvm (exit 77; a test that needs no KVM sets
# needs_kvm=0 before sourcing it), gives check CONDITION WHAT (prints what
# it checked, counts failures in $fail) and a temp dir $tmp removed at exit.
if [ "${needs_kvm:-1}" = 1 ] && [ ! -e /dev/kvm ]; then echo "SKIPPED: /dev/kvm is not available"; exit 77; fi
fail=0
check() { if eval "$1"; then echo "checked: $2"; else echo "FAILED: $2"; fail=1; fi; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
