#!/usr/bin/env bash
# Runs a TMK image of many cases under QEMU to the end. A case that ends
# the VM (a triple fault resets it, KVM's emulation failure stops it) would
# end the batch, so the image boots again with "from=K", K the case after
# it, as `exitdiff tmk` does. Prints every boot's serial lines, "ENDED: ID:
# how" for a case that ended the VM, and last
#   tmk-qemu: N cases, P passed, F failed, S skipped, E ended the VM
# usage: scripts/tmk-qemu.sh IMAGE tcg|kvm [SECONDS-PER-BOOT]
# TMK_QEMU_ARGS adds QEMU options, e.g. the CPU model a finding was made
# with: TMK_QEMU_ARGS="-cpu max" for a `vmm:qemu-tcg` campaign's buckets.
# A boot whose serial line stays silent for TMK_QEMU_QUIET seconds (10) is
# taken as hung on its last case: a case runs for milliseconds even under
# TCG, and a hang known as a divergence (a livelocked VMCALL) would
# otherwise cost the whole boot budget.
# The firmware is qboot (as the vmm:qemu-tcg profile's): the image needs
# no BIOS service, and under kvm_pvm SeaBIOS's real-mode code runs in
# KVM's instruction emulator, 5 s a boot against qboot's 1.7 s.
set -u
img=$1 accel=$2 budget=${3:-60} quiet=${TMK_QEMU_QUIET:-10}
read -r -a extra <<<"${TMK_QEMU_ARGS:-}"
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
from=0 retried=0
: >"$dir/all"
while :; do
	# Emptied here, not by the background job's redirection: the check
	# below could otherwise read the previous boot's emulation failure
	# before the job truncates the file, kill the job before it execs
	# QEMU, and that subshell's EXIT trap would remove $dir.
	: >"$dir/qemu"
	: >"$dir/serial"
	qemu-system-x86_64 -bios qboot.rom -kernel "$img" -m 64 -append "exitdiff-tmk from=$from" \
		-device isa-debug-exit,iobase=0xf4,iosize=0x04 -serial "file:$dir/serial" \
		-monitor none -display none -no-reboot -accel "$accel" ${extra[@]+"${extra[@]}"} \
		>"$dir/qemu" 2>&1 &
	pid=$!
	# QEMU keeps a VM paused after a KVM emulation failure: its register
	# dump on stderr ends the boot, not the budget.
	hung=0 size=0 still=0
	for ((t = 0; t < budget * 10; t++)); do
		kill -0 $pid 2>/dev/null || break
		grep -q "emulation failure\|KVM internal error" "$dir/qemu" && break
		now=$(stat -c %s "$dir/serial" 2>/dev/null || echo 0)
		if [ "$now" = "$size" ]; then
			still=$((still + 1))
			[ $still -ge $((quiet * 10)) ] && { hung=1; break; }
		else
			size=$now still=0
		fi
		sleep 0.1
	done
	kill $pid 2>/dev/null
	wait $pid 2>/dev/null
	tr -d '\r' <"$dir/serial" >"$dir/boot"
	# A boot stopped mid-line: the next boot's banner starts a line of its own.
	[ -n "$(tail -c1 "$dir/boot")" ] && echo >>"$dir/boot"
	cat "$dir/boot" >>"$dir/all"
	# Cases this boot got to: each says START (then its result) or only
	# SKIP; the last line tells whether the boot reached the end.
	got=$(grep -oE '^(START|SKIP): [^:]+' "$dir/boot" | sed 's/^[A-Z]*: //' | sort -u | wc -l)
	last=$(grep -E '^(START|PASS|FAIL|SKIP|SUMMARY): ' "$dir/boot" | tail -1)
	case "$last" in
	SUMMARY:*) break ;;
	START:*)
		how="ended (reset, or the boot budget)"
		[ $hung -eq 1 ] && how="hung (no output for $quiet s)"
		grep -q "emulation failure\|KVM internal error" "$dir/qemu" && how="stopped on a KVM emulation failure"
		echo "ENDED: ${last#START: }: the VM $how" >>"$dir/all" ;;
	esac
	if [ "$got" -eq 0 ]; then
		# Once more (QEMU may fail to start while the host is busy), then
		# give up, saying what QEMU said.
		if [ $retried -eq 0 ]; then
			retried=1
			sleep 1
			continue
		fi
		{ echo "tmk-qemu: the boot from case $from reported nothing; QEMU said:"
		  head -5 "$dir/qemu"; } >>"$dir/all"
		break
	fi
	retried=0
	from=$((from + got))
done
cat "$dir/all"
count() { grep -c "^$1: " "$dir/all" || true; }
echo "tmk-qemu: $(grep -oE '^(START|SKIP): [^:]+' "$dir/all" | sed 's/^[A-Z]*: //' | sort -u | wc -l) cases," \
	"$(count PASS) passed, $(count FAIL) failed, $(count SKIP) skipped, $(count ENDED) ended the VM"
