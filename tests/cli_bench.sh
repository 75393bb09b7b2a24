#!/usr/bin/env bash
# exitdiff bench on a host without KVM (EXITDIFF_KVM_DEVICE pointing at
# nothing, whatever this host has): it says the KVM rows are not measured
# and prints the campaign's own cost per case on both streams, each total
# the sum of its parts, every generated outcome agreeing with its own copy
# (bench fails otherwise); the VMM rows are left out with --no-vmm. An
# unknown option is one line and exit 2. Figures are printed, never judged.
set -u
exitdiff=$1
needs_kvm=0
. "$(dirname "$0")/lib_cli.sh"
export EXITDIFF_KVM_DEVICE=$tmp/no-kvm

"$exitdiff" bench --seconds 0.05 --no-vmm >"$tmp/out" 2>"$tmp/err"; rc=$?
cat "$tmp/out"
check '[ $rc = 0 ]' "bench without KVM exits 0 (rc $rc: $(head -c 300 "$tmp/err"))"
check "grep -q 'no $tmp/no-kvm: the KVM rows are not measured' '$tmp/out'" "it names the missing device and says the KVM rows are not measured"
for stream in 'insn stream' 'default mix'; do
	line=$(grep -F "campaign's own cost [$stream]" "$tmp/out")
	check '[ -n "$line" ]' "a row of the campaign's own cost on the $stream"
	# "T us a case = generator G + reference R + diff D": T is G+R+D to
	# the printed rounding, and each part is above zero.
	ok=$(echo "$line" | awk '{ for (i = 1; i <= NF; i++) { if ($i == "us") t = $(i - 1);
		if ($i == "generator") g = $(i + 1); if ($i == "reference") r = $(i + 1);
		if ($i == "diff") d = $(i + 1) }
		s = g + r + d; print (g > 0 && r > 0 && d > 0 && s - t < 0.015 && t - s < 0.015) ? 1 : 0 }')
	check '[ "$ok" = 1 ]' "the $stream row's total is the sum of its three parts, each above zero"
done
check "! grep -q 'vmm:' '$tmp/out'" "--no-vmm leaves the VMM rows out"

"$exitdiff" bench --frobnicate >"$tmp/out" 2>"$tmp/err"; rc=$?
check '[ $rc = 2 ] && [ $(wc -l <"$tmp/err") = 1 ] && grep -q "unknown option .--frobnicate" "$tmp/err"' "an unknown option is one line, exit 2"
exit $fail
