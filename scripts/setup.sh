#!/usr/bin/env bash
# Installs the Debian packages exitdiff needs (when missing) and builds it
# into build/. Safe to run again: it only installs and rebuilds what is due.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(cmake ninja-build gcc libc6-dev binutils libcapstone-dev linux-libc-dev libunicorn-dev)
packages+=("$@")   # callers add what their job needs (e.g. clang, qemu-system-x86)

missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
	echo "setup: installing ${missing[*]}"
	sudo=""
	[ "$(id -u)" -eq 0 ] || sudo="sudo"
	export DEBIAN_FRONTEND=noninteractive
	$sudo apt-get update -qq
	$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
ninja -C build
