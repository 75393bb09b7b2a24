#!/bin/bash
# The VMM executor (docs/vmm.md) against a fake VMM: a shell script that
# boots nothing, answers each case frame it reads with a scripted record,
# and on cue dies, shuts down or hangs. Checks that run --against vmm:CMD
# agrees and diverges as the records say, that a VMM that dies mid-batch
# is reported and booted again for the next case, that a clean exit is the
# case's SHUTDOWN, that a hung VMM is killed after the wait, and that a bad
# VMM name is one line and exit 2. Then, when QEMU is installed, the real
# thing: vmm:qemu-tcg agrees on corpus cases, a case that breaks TCG's
# RFLAGS is not charged to the case after it, a short campaign files
# buckets with saved cases, and one exported as a TMK fails under TCG.
# Without /dev/kvm the VMM takes KVM's place and every check still runs.
# Usage: cli_vmm.sh EXITDIFF SOURCE_DIR
exitdiff=$1 src=$2
needs_kvm=0
. "$src/tests/lib_cli.sh"
# With KVM the VMM runs beside it and its verdict is the pair's line;
# without, it takes KVM's place and the verdict is the case's own.
if [ -e /dev/kvm ]; then
	agree='$agree' diverge='$diverge'
else
	agree='^verdict: AGREE' diverge='^verdict: DIVERGENCE'
	echo "note: no /dev/kvm: the VMM takes KVM's place in every check"
fi

# --- the fake VMM: record N (files rec1, rec2, ... counted across boots in
# count; "rec" answers a case that has none of its own)
cat >"$tmp/fake.sh" <<'FAKE'
#!/bin/sh
dir=$(dirname "$0")
[ -f "$1" ] || { echo "fake vmm: no image '$1'" >&2; exit 9; }
echo "XDVMM 1"
echo "C 0 0 d 68747541 444d4163 69746e65"
echo READY
while :; do
	# A frame: A5 5A pit:u16 len:u16, then len bytes and the sum.
	hdr=$(dd bs=1 count=6 2>/dev/null | od -An -tu1)
	[ -n "$hdr" ] || exit 0
	set -- $hdr
	len=$(( $5 + $6 * 256 + 1 ))
	dd bs=1 count=$len of=/dev/null 2>/dev/null
	n=$(( $(cat "$dir/count" 2>/dev/null || echo 0) + 1 ))
	echo $n >"$dir/count"
	r="$dir/rec$n"
	[ -e "$r" ] || [ -e "$r.exit" ] || [ -e "$r.hang" ] || r="$dir/rec"
	[ -f "$r.exit" ] && { echo "fake vmm: told to exit $(cat "$r.exit")" >&2; exit $(cat "$r.exit"); }
	[ -f "$r.hang" ] && sleep 30
	cat "$r"
done
FAKE
mkdir -p "$tmp/cases"
printf 'id inc-hlt\nmode long64\ncode 48 ff c0 f4\n' >"$tmp/cases/inc-hlt.case"
good='O 2 0 0 0 0 0 10004 2 ffffffffffffffff 0 0 0\nG 0 1\nE\n'
rax2='O 2 0 0 0 0 0 10004 2 ffffffffffffffff 0 0 0\nG 0 2\nE\n'
# A new script: what every case is answered with, the count from zero.
script() { rm -f "$tmp"/rec* "$tmp/count"; printf "$1" >"$tmp/rec"; }
vmm="vmm:sh $tmp/fake.sh {image}"
run() { "$exitdiff" run -q --against "$vmm" "$tmp/cases/inc-hlt.case" >"$tmp/$1.out" 2>&1; }

script "$good"
run r1
check "grep -q '$agree' $tmp/r1.out && [ \"\$(cat $tmp/count)\" = 1 ]" \
	"a record that says what the reference says agrees (one frame: count $(cat $tmp/count))"
check "grep -q '^vmm: .*vmm:command' $tmp/r1.out" "run names the VMM and what its guest read"
script "$rax2"
run r2
check "grep -q '$diverge' $tmp/r2.out && grep -q 'hlt/hlt:rax' $tmp/r2.out" \
	"a record with RAX=2 diverges on rax"
cat "$tmp/r1.out" "$tmp/r2.out" | grep -E '^pairs|vmm vs|^verdict' | sed 's/^/  /'
# Two cases in one run: the VMM dies on the first (exit 3), is booted
# again for the second, which agrees.
cp "$tmp/cases/inc-hlt.case" "$tmp/cases/inc-hlt-2.case"
sed -i 's/^id inc-hlt$/id inc-hlt-2/' "$tmp/cases/inc-hlt-2.case"
script "$good"
echo 3 >"$tmp/rec1.exit"
"$exitdiff" run -q --against "$vmm" "$tmp/cases" >"$tmp/r3.out" 2>&1
check "grep -q 'the vmm died (exit status 3): fake vmm: told to exit 3' $tmp/r3.out" \
	"a VMM that dies mid-batch: its status and last stderr line reported"
check "grep -q '$agree' $tmp/r3.out && [ \"\$(cat $tmp/count)\" = 2 ]" \
	"the VMM is booted again and the next case agrees (each frame once: count $(cat $tmp/count))"
script "$good"
echo 0 >"$tmp/rec.exit"
run r5
check "grep -q '$diverge' $tmp/r5.out && grep -q 'hlt/shutdown:terminal' $tmp/r5.out" \
	"a VMM that exits cleanly during a case: the case's SHUTDOWN (-no-reboot)"
script "$good"
touch "$tmp/rec1.hang"
start=$(date +%s)
run r6
took=$(( $(date +%s) - start ))
check "grep -q 'gave no record within the wait' $tmp/r6.out && [ $took -lt 20 ]" \
	"a hung VMM is killed after the wait (${took}s) and the case reported failed"

"$exitdiff" run --against vmm:no-such-vmm "$tmp/cases/inc-hlt.case" >"$tmp/bad.out" 2>&1
rc=$?
check "[ $rc -eq 2 ] && [ \$(wc -l <$tmp/bad.out) -eq 1 ] && grep -q \"vmm 'no-such-vmm': not a known VMM\" $tmp/bad.out" \
	"an unknown VMM: one line, exit 2 (rc $rc)"
"$exitdiff" fuzz --against qemu-tcg --time 1 >"$tmp/badf.out" 2>&1
rc=$?
check "[ $rc -eq 2 ] && grep -q 'want vmm:qemu-tcg' $tmp/badf.out" "fuzz --against without vmm: is a usage error (rc $rc)"

# --- QEMU TCG
if ! command -v qemu-system-x86_64 >/dev/null; then
	echo "SKIPPED: qemu-system-x86_64 is missing; the vmm:qemu-tcg checks did not run"
	exit $fail
fi
"$exitdiff" run -q --against vmm:qemu-tcg "$src/corpus/alu/alu-add-flags.case" \
	"$src/corpus/exception/ud-ud2.case" >"$tmp/q.out" 2>&1
check "[ \$(grep -c '$agree' $tmp/q.out) -eq 2 ]" \
	"QEMU TCG agrees with the reference on alu-add-flags and ud-ud2"
check "grep -q 'guest CPU vendor=amd' $tmp/q.out" "the guest's CPUID is read (-cpu max: AuthenticAMD)"
check "grep -q 'transport shm' $tmp/q.out" "qemu-tcg takes its cases through the shared-memory mailbox"

# The two transports give the same VMM outcomes on the corpus: the VMM's
# column of each case and its verdict against the reference (the KVM side
# is left out: its timeouts stop where they stop; so are the cases that
# read the TSC or a random number, which differ from run to run).
vmm_column() {
	[ -e /dev/kvm ] || { awk '/^== / { skip = $0 ~ /rdtsc|rdrand|rdseed|rdpid/ }
		skip { next } /^== |^verdict:/ { print; next }
		/ \| / { sub(/^.* \| /, ""); print }' "$1"; return; }
	awk '/^== / { skip = $0 ~ /rdtsc|rdrand|rdseed|rdpid/ }
	     skip { next }
	     /^== / { print; inv = 0; next }
	     /^  -- vmm beside kvm/ { inv = 1; next }
	     /^pairs:/ { inv = 0; n = split($0, p, ", ");
	                 for (i = 1; i <= n; i++) if (p[i] ~ /^vmm~reference/) print p[i]; next }
	     inv && / \| / { sub(/ +\|.*/, ""); sub(/^! /, "  "); print }' "$1"
}
for t in shm serial; do
	EXITDIFF_VMM_TRANSPORT=$t "$exitdiff" run --against vmm:qemu-tcg "$src/corpus" >"$tmp/tr-$t.out" 2>&1
	vmm_column "$tmp/tr-$t.out" >"$tmp/tr-$t.col"
done
ncase=$(grep -c '^== ' "$tmp/tr-shm.col")
check "grep -q 'transport serial' $tmp/tr-serial.out && grep -q 'transport shm' $tmp/tr-shm.out && [ $ncase -gt 100 ] && cmp -s $tmp/tr-shm.col $tmp/tr-serial.col" \
	"the corpus ($ncase cases): the same VMM outcomes over the mailbox and over the serial line"
diff "$tmp/tr-shm.col" "$tmp/tr-serial.col" | head -5 | sed 's/^/  /'

# A VMM that dies mid-batch under the mailbox: QEMU with isa-debug-exit, a
# case that writes its port (QEMU exits with status 3); the case is
# reported, the VMM booted again and the next case answered.
qemu_cmd="qemu-system-x86_64 -nodefaults -machine pc,memory-backend=xdram \
-object memory-backend-file,id=xdram,size=64M,mem-path={shm},share=on -accel tcg -cpu max \
-icount shift=0,sleep=off -m 64 -kernel {image} -serial stdio -display none -monitor none \
-no-reboot -device isa-debug-exit,iobase=0xf4,iosize=0x04"
mkdir -p "$tmp/die"
printf 'id a-inc-hlt\nmode long64\ncode 48 ff c0 f4\n' >"$tmp/die/a-inc-hlt.case"
printf 'id b-exit-port\nmode long64\ncode b0 01 e6 f4 f4\n' >"$tmp/die/b-exit-port.case"
printf 'id c-inc-hlt\nmode long64\ncode 48 ff c0 f4\n' >"$tmp/die/c-inc-hlt.case"
# A case that clears A20 (port 0x92) before them: the runtime, linked at 2
# MiB, is not masked away and sets A20 again (it hung the VMM at 1 MiB).
printf 'id 0-a20-off\nmode long64\ncode b0 00 e6 92 f4\n' >"$tmp/die/0-a20-off.case"
"$exitdiff" run --against "vmm:$qemu_cmd" "$tmp/die" >"$tmp/die.out" 2>&1
check "grep -q 'transport shm' $tmp/die.out && grep -q 'the vmm died (exit status 3)' $tmp/die.out" \
	"the mailbox: a VMM that dies mid-batch is reported with its status"
check "[ \$(grep -c '$agree' $tmp/die.out) -eq 3 ]" \
	"the mailbox: the cases before and after it are answered (the VMM booted again), A20 cleared by a case and set again"
# TCG's CMPXCHG8B after an ADD reports RFLAGS 0x2a (bits 3 and 5, which no
# CPU sets) and keeps them in its state: a bare HLT after it on the same
# boot showed them too. The case's own divergence is kept, the HLT agrees.
mkdir -p "$tmp/leak"
printf 'id a-cmpxchg8b\nmode long64\nrsi 0x15000\ncode 83 c0 28\ncode 0f c7 0e\ncode f4\n' >"$tmp/leak/a.case"
printf 'id b-hlt\nmode long64\ncode f4\n' >"$tmp/leak/b.case"
"$exitdiff" run --against vmm:qemu-tcg "$tmp/leak" >"$tmp/leak.out" 2>&1
check "grep -q 'verdict: DIVERGENCE hlt/hlt:rflags.PF:cmpxchg8b' $tmp/leak.out && grep -q 'case a-cmpxchg8b ended with RFLAGS 0x2a' $tmp/leak.out" \
	"a case that leaves RFLAGS no CPU reports keeps its divergence, and the VMM is booted again after it"
check "[ \$(grep -c '$agree' $tmp/leak.out) -eq 1 ] && ! grep -q 'rflags.bit3' $tmp/leak.out" \
	"the HLT after it agrees: the broken RFLAGS is not charged to it"
# What a case leaves in CR2, DR0, TSC_AUX and LSTAR is put back by the
# runtime before the next case: each read after a write agrees (before,
# each read the value the case before it wrote).
mkdir -p "$tmp/carry"
w() { printf "id $1\nmode long64\n$2code $3\ncode f4\n" >"$tmp/carry/$1.case"; }
w a-write-cr2 'rax 0x1234\n' '0f 22 d0'
w b-read-cr2 '' '0f 20 d0'
w c-write-dr0 'rax 0x5678\n' '0f 23 c0'
w d-read-dr0 '' '0f 21 c0'
w e-write-tsc-aux 'rcx 0xc0000103\nrax 0x77\n' '0f 30'
w f-rdtscp '' '0f 01 f9'
w g-write-lstar 'rcx 0xc0000082\nrax 0x9999\n' '0f 30'
w h-read-lstar 'rcx 0xc0000082\n' '0f 32'
"$exitdiff" run -q --against vmm:qemu-tcg "$tmp/carry" >"$tmp/carry.out" 2>&1
check "[ \$(grep -c '$agree' $tmp/carry.out) -eq 8 ]" \
	"CR2, DR0, TSC_AUX and LSTAR a case wrote are put back before the next case reads them ($(grep -c "$agree" "$tmp/carry.out") of 8 agree)"
grep -E '^  r..: ' "$tmp/carry.out" | sed 's/^/  /'

# The known list: in KVM's place the VMM is held to its own entries
# ([vmm=qemu-tcg]); an entry without one describes KVM and does not name
# TCG's divergence (run from a directory whose corpus/ holds the list).
if [ ! -e /dev/kvm ]; then
	mkdir -p "$tmp/kl/corpus"
	echo 'hlt/hlt:rflags.PF:cmpxchg8b  a KVM entry' >"$tmp/kl/corpus/known-divergences.txt"
	(cd "$tmp/kl" && "$exitdiff" run --against vmm:qemu-tcg "$tmp/leak/a.case") >"$tmp/kl1.out" 2>&1
	echo '[vmm=qemu-tcg] hlt/hlt:rflags.PF:cmpxchg8b  a TCG entry' >"$tmp/kl/corpus/known-divergences.txt"
	(cd "$tmp/kl" && "$exitdiff" run --against vmm:qemu-tcg "$tmp/leak/a.case") >"$tmp/kl2.out" 2>&1
	check "grep -q 'bucket: hlt/hlt:rflags.PF:cmpxchg8b (not on the known list)' $tmp/kl1.out && grep -q 'bucket: hlt/hlt:rflags.PF:cmpxchg8b (known: a TCG entry)' $tmp/kl2.out" \
		"run with the VMM in KVM's place: a KVM entry does not name TCG's divergence, a [vmm=qemu-tcg] one does"
fi
"$exitdiff" fuzz --against vmm:qemu-tcg --time 15 --out "$tmp/fz" --report-period 0 >"$tmp/fz.out" 2>&1
nb=$(find "$tmp/fz/buckets" -name case.case 2>/dev/null | wc -l)
check "grep -q 'execs' $tmp/fz.out && [ -d $tmp/fz/buckets ]" "a 15 s campaign against QEMU TCG runs ($nb bucket(s) with a saved case)"
grep -E '^  (long64|prot32|real16|lane)' "$tmp/fz.out" | sed 's/^/  /'
# A long64 bucket's saved case as a TMK (legacy modes may reach MMIO a TMK
# cannot answer: SKIP): it embeds the reference's outcome, so it
# FAILs under the VMM the campaign found diverging (QEMU status 3).
b=$(find "$tmp/fz/buckets" -name case.case 2>/dev/null | grep -v '/executor' | grep -v -E '_(real16|prot32|prot32-paged)-' | head -1)
if [ -n "$b" ]; then
	"$exitdiff" export "$b" -o "$tmp/repro" >"$tmp/repro.log" 2>&1
	timeout 60 qemu-system-x86_64 -kernel "$tmp/repro/tmk.bin" -m 64 -cpu max \
		-device isa-debug-exit,iobase=0xf4,iosize=0x04 -serial stdio -display none \
		-no-reboot -accel tcg >"$tmp/repro.out" 2>&1
	st=$?
	sed 's/^/  /' "$tmp/repro.out" | grep -E 'FAIL|PASS|SKIP'
	check "[ $st -eq 3 ] && grep -q '^FAIL: ' $tmp/repro.out" \
		"the bucket $(basename "$(dirname "$b")") exported as a TMK fails under QEMU TCG (status $st)"
else
	check "false" "the campaign saved a divergence to export"
fi
exit $fail
