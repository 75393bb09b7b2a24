#!/usr/bin/env bash
# Assembles 64-bit Intel-syntax instructions and prints them as .case "code"
# lines with the source as comments, for writing corpus cases by hand.
#   scripts/asm-to-code.sh 'mov eax, 1' 'out 0x80, al' 'hlt'
set -euo pipefail
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for insn in "$@"; do
	printf '.intel_syntax noprefix\n.code64\n%s\n' "$insn" > "$tmp/one.s"
	as --64 -o "$tmp/one.o" "$tmp/one.s"
	objcopy -O binary -j .text "$tmp/one.o" "$tmp/one.bin"
	printf 'code %-40s # %s\n' "$(od -An -tx1 -v "$tmp/one.bin" | tr -s ' \n' ' ' | sed 's/^ //;s/ $//')" "$insn"
done
