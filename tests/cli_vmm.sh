#!/bin/bash
# The VMM executor (docs/vmm.md) against a fake VMM: a shell script that
# boots nothing, answers each case frame it reads with a scripted record,
# and on cue dies, shuts down or hangs. Checks that run --against vmm:CMD
# agrees and diverges as the records say, that a VMM that dies mid-batch
# is reported and booted again for the next case, that a clean exit is the
# case's SHUTDOWN, that a hung VMM is killed after the wait, and that a bad
# VMM name is one line and exit 2. Then, when QEMU is installed, the real
# thing: vmm:qemu-tcg agrees on corpus cases, a short campaign files
# buckets with saved cases, and one exported as a TMK fails under TCG.
# Usage: cli_vmm.sh EXITDIFF SOURCE_DIR
exitdiff=$1 src=$2
. "$src/tests/lib_cli.sh"

# --- the fake VMM: record N (files rec1, rec2, ... counted across boots)
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
	[ -f "$r.exit" ] && { echo "fake vmm: told to exit $(cat "$r.exit")" >&2; exit $(cat "$r.exit"); }
	[ -f "$r.hang" ] && sleep 30
	cat "$r"
done
FAKE
mkdir -p "$tmp/cases"
printf 'id inc-hlt\nmode long64\ncode 48 ff c0 f4\n' >"$tmp/cases/inc-hlt.case"
good='O 2 0 0 0 0 0 10004 2 ffffffffffffffff 0 0 0\nG 0 1\nE\n'
printf "$good" >"$tmp/rec1"
printf 'O 2 0 0 0 0 0 10004 2 ffffffffffffffff 0 0 0\nG 0 2\nE\n' >"$tmp/rec2"
echo 3 >"$tmp/rec3.exit"
printf "$good" >"$tmp/rec4"
echo 0 >"$tmp/rec5.exit"
touch "$tmp/rec6.hang"
printf "$good" >"$tmp/rec7"
vmm="vmm:sh $tmp/fake.sh {image}"
run() { "$exitdiff" run -q --against "$vmm" "$tmp/cases/inc-hlt.case" >"$tmp/$1.out" 2>&1; }

run r1
check "grep -q 'vmm~reference agree' $tmp/r1.out" "a record that says what the reference says agrees"
check "grep -q '^vmm: .*vmm:command' $tmp/r1.out" "run names the VMM and what its guest read"
run r2
check "grep -q 'vmm~reference DIVERGE' $tmp/r2.out && grep -q 'hlt/hlt:rax' $tmp/r2.out" \
	"a record with RAX=2 diverges on rax"
cat "$tmp/r1.out" "$tmp/r2.out" | grep -E '^pairs|vmm vs' | sed 's/^/  /'
# Two cases in one run: the VMM dies on the first (exit 3), is booted
# again for the second, which agrees.
cp "$tmp/cases/inc-hlt.case" "$tmp/cases/inc-hlt-2.case"
sed -i 's/^id inc-hlt$/id inc-hlt-2/' "$tmp/cases/inc-hlt-2.case"
"$exitdiff" run -q --against "$vmm" "$tmp/cases" >"$tmp/r3.out" 2>&1
check "grep -q 'the vmm died (exit status 3): fake vmm: told to exit 3' $tmp/r3.out" \
	"a VMM that dies mid-batch: its status and last stderr line reported"
check "grep -q 'vmm~reference agree' $tmp/r3.out" "the VMM is booted again and the next case agrees"
run r5
check "grep -q 'vmm~reference DIVERGE' $tmp/r5.out && grep -q 'hlt/shutdown:terminal' $tmp/r5.out" \
	"a VMM that exits cleanly during a case: the case's SHUTDOWN (-no-reboot)"
start=$(date +%s)
run r6
took=$(( $(date +%s) - start ))
check "grep -q 'gave no record within the wait' $tmp/r6.out && [ $took -lt 20 ]" \
	"a hung VMM is killed after the wait (${took}s) and the case reported failed"
check "[ \"\$(cat $tmp/count)\" = 6 ]" "every frame reached the fake VMM once (count $(cat $tmp/count))"

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
check "[ \$(grep -c 'vmm~reference agree' $tmp/q.out) -eq 2 ]" \
	"QEMU TCG agrees with the reference on alu-add-flags and ud-ud2"
check "grep -q 'guest CPU vendor=amd' $tmp/q.out" "the guest's CPUID is read (-cpu max: AuthenticAMD)"
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
