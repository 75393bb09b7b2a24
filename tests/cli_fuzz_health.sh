#!/bin/bash
# exitdiff fuzz with the real KVM executor failing on purpose (test hook
# EXITDIFF_TEST_FAIL_RUN_EVERY, docs/harness.md "Recovery"): the failing
# cases are saved as executor#EINVAL/KVM_RUN:* buckets, the VM is rebuilt
# and every worker goes on to the end; under 1% failures the campaign exits
# 0, over it 3 with a WARNING. Usage: cli_fuzz_health.sh EXITDIFF SOURCE_DIR
X=$1
source "$2/tests/lib_cli.sh"
state() { awk -v k="$2" '$1 == k { print $2 }' "$1/state"; }

# One KVM_RUN in 1000 fails (a case is one to a few runs): well under 1%.
# A failure in a run that is not a case's own (with --no-known every
# divergence is a new bucket, cut and minimized) is recovered but counted
# on no case: at one in 4000 (7 failures) none was counted in one ASan
# run of six.
EXITDIFF_TEST_FAIL_RUN_EVERY=1000 "$X" fuzz --execs 12000 --jobs 2 --seed 7 --mode long64 \
	--no-known --out "$tmp/a" > "$tmp/a.log" 2>&1
rc=$?
check "[ $rc -eq 0 ]" "campaign with rare KVM_RUN failures exits 0 (rc $rc)"
[ $rc -eq 0 ] || tail -5 "$tmp/a.log"
hv=$(state "$tmp/a" hv_failures) rec=$(state "$tmp/a" recoveries) ex=$(state "$tmp/a" execs)
echo "state: execs $ex hv_failures $hv recoveries $rec"
check "[ '$ex' = 12000 ]" "every exec counted ($ex)"
check "[ '${hv:-0}' -ge 1 ] && [ '${rec:-0}' -ge '${hv:-0}' ]" "hypervisor failures ($hv) each recovered by a VM rebuild ($rec)"
b=$(grep -l '^signature executor#EINVAL/KVM_RUN:rebuilt$' "$tmp"/a/buckets/*/hits | head -1)
check "[ -n '$b' ]" "bucket executor#EINVAL/KVM_RUN:rebuilt saved"
d=$(dirname "$b")
check "grep -q 'KVM_RUN: Invalid argument' '$d/kvm-outcome.txt' && grep -q '^# .*KVM_RUN: Invalid argument' '$d/case.case'" \
	"the bucket keeps the original errno text (kvm-outcome.txt and the case header)"
"$X" run -q "$d/case.case" > "$tmp/run.log" 2>&1
rc=$?
check "[ $rc -le 1 ]" "its case.case runs without the hook (exit $rc)"
last=$(tail -1 "$tmp/a/stats.jsonl")
nfin=$(grep -o '"state":"finished"' <<< "$last" | wc -l)
check "[ $nfin -eq 2 ]" "worker_health: both workers finished ($nfin)"
check "grep -q '\"unhealthy\":false' <<< '$last'" "stats.jsonl: the run is healthy"
check "grep -q 'fail/rec/restart w0' '$tmp/a.log'" "the status line shows failures/recoveries/restarts per worker"

# One KVM_RUN in 15 fails: several percent of execs -> unhealthy, exit 3.
EXITDIFF_TEST_FAIL_RUN_EVERY=15 "$X" fuzz --execs 3000 --jobs 1 --seed 7 --mode long64 \
	--no-known --out "$tmp/b" > "$tmp/b.log" 2>&1
rc=$?
check "[ $rc -eq 3 ]" "campaign with frequent KVM_RUN failures exits 3 (rc $rc)"
check "tail -1 '$tmp/b.log' | grep -q '^WARNING: the harness was unhealthy'" "the summary ends with the WARNING line"
# exitdiff run shows the kernel lines a case caused: under kvm_pvm a
# prot32-paged case makes it log that it cannot page outside long mode.
if [ -d /sys/module/kvm_pvm ] && [ -r /dev/kmsg ]; then
	# kvm_pvm rate-limits that line (other tests running such cases at the
	# same time use it up): a few tries, a rate-limit window apart.
	for try in 1 2 3 4; do
		"$X" run "$2/corpus/modes/prot32-paged-hlt.case" > "$tmp/run-pg.log" 2>&1
		grep -q 'finding: kmsg/' "$tmp/run-pg.log" && break
		sleep 5
	done
	check "grep -q '^host kernel log while the case ran' '$tmp/run-pg.log' && grep -q '    finding: kmsg/kvm-pvm: pid N vcpu0: the VMM set CR0.PG' '$tmp/run-pg.log'" \
		"exitdiff run prints the kernel lines the case caused, with their bucket keys"
else
	echo "note: not kvm_pvm or no /dev/kmsg access: exitdiff run's kernel lines not checked"
fi
exit $fail
