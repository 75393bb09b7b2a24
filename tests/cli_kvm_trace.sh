# exitdiff run --kvm-trace: KVM's own tracepoints while the case ran, from a
# private tracefs instance that is gone afterwards. The emulated
# instruction's bytes must be the case's own, and an I/O case must show
# KVM's port access with its port.
# Usage: cli_kvm_trace.sh EXITDIFF SOURCE_DIR
exitdiff=$1 src=$2
. "$src/tests/lib_cli.sh"


out=$("$exitdiff" run -q --kvm-trace "$src/corpus/exception/bp-int3.case" 2>&1)
if echo "$out" | grep -q "KVM's trace is not shown"; then
	echo "SKIPPED: no tracefs here: $(echo "$out" | grep -- --kvm-trace)"
	exit 77
fi
# bp-int3 is CPL0 long64 code: KVM's emulator runs it, INT3 (cc) first.
check "echo \"\$out\" | grep -Eq '^  kvm_emulate_insn +0:10000:cc \\(prot64\\)'" \
	"bp-int3: KVM's trace names the emulated INT3 at 0x10000 in 64-bit mode"
check "echo \"\$out\" | grep -Eq '^kvm trace while the case ran \\([0-9]+ events\\):'" "the trace is headed by its event count"

io=$src/corpus/io/io-in-dx-dword.case
out=$("$exitdiff" run -q --kvm-trace "$io" 2>&1)
port=$(echo "$out" | sed -n 's/^  kvm_pio .* at \(0x[0-9a-f]*\) .*/\1/p' | head -1)
check "[ -n \"$port\" ]" "$(basename "$io"): KVM's trace shows a port access (port ${port:-none})"
check "echo \"\$out\" | grep -q 'KVM_EXIT_IO'" "$(basename "$io"): and the I/O exit to user space"

# Without the option there is no trace, and no instance is left behind.
out=$("$exitdiff" run -q "$src/corpus/exception/bp-int3.case" 2>&1)
check "! echo \"\$out\" | grep -q 'kvm trace'" "without --kvm-trace nothing is traced"
left=$(ls /sys/kernel/tracing/instances 2>/dev/null | grep -c '^exitdiff-' || true)
check "[ \"$left\" = 0 ]" "no exitdiff tracefs instance is left behind ($left)"
exit $fail
