#!/usr/bin/env bash
# Assembles Intel-syntax instructions and prints them as .case "code" lines
# with the source as comments, for writing corpus cases by hand.
#   scripts/asm-to-code.sh 'mov eax, 1' 'out 0x80, al' 'hlt'
#   scripts/asm-to-code.sh --bits 16 'mov ax, 0x1234' 'hlt'   (real16)
#   scripts/asm-to-code.sh --bits 32 'mov eax, [0x100000]'    (prot32)
set -euo pipefail
bits=64
if [ "${1:-}" = --bits ]; then
	bits=$2
	shift 2
fi
case $bits in 16|32|64) ;; *) echo "asm-to-code.sh: --bits must be 16, 32 or 64" >&2; exit 2 ;; esac
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for insn in "$@"; do
	printf '.intel_syntax noprefix\n.code%s\n%s\n' "$bits" "$insn" > "$tmp/one.s"
	as --64 -o "$tmp/one.o" "$tmp/one.s"
	objcopy -O binary -j .text "$tmp/one.o" "$tmp/one.bin"
	printf 'code %-40s # %s\n' "$(od -An -tx1 -v "$tmp/one.bin" | tr -s ' \n' ' ' | sed 's/^ //;s/ $//')" "$insn"
done
