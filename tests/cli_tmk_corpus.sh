#!/usr/bin/env bash
# The whole corpus as one TMK image: it exports and builds, `exitdiff tmk`
# reports every case and agrees with `exitdiff replay` case by case (PASS
# <-> PASS, XFAIL <-> FAIL, except divergences a guest cannot see: exit
# traces, selectors, KVM running out of time), and under QEMU (TCG; KVM
# too) the runtime reports every case without crashing itself. Also:
# hostile texts (comment openers, quotes, backslashes) export and build,
# and an id outside the safe alphabet is refused with file:line.
# Usage: cli_tmk_corpus.sh EXITDIFF SOURCE_DIR
# Without /dev/kvm only the comparison with replay is skipped.
exitdiff=$1 src=$2
needs_kvm=0
. "$src/tests/lib_cli.sh"
for t in qemu-system-x86_64 gcc ld objcopy make; do
	command -v $t >/dev/null || { echo "SKIPPED: $t is missing; the corpus TMK did not run"; exit 77; }
done

ncases=$(find "$src/corpus" -name '*.case' | wc -l)
"$exitdiff" export "$src/corpus" -o "$tmp/all" >"$tmp/export.log" 2>&1
check "grep -q \"exported $ncases case(s)\" $tmp/export.log && [ -s $tmp/all/tmk.bin ]" \
	"the whole corpus ($ncases cases) exports into one image"
check "! grep -q '$src' $tmp/all/cases.c" "the exported source records no path of the exporting machine"

# --- exitdiff tmk against replay (both run KVM)
if [ ! -e /dev/kvm ]; then
	echo "SKIPPED (part, no /dev/kvm): exitdiff tmk against replay"
else
	"$exitdiff" tmk "$tmp/all/tmk.bin" >"$tmp/tmk.out" 2>&1
	"$exitdiff" replay "$src/corpus" >"$tmp/replay.out" 2>&1
	reported=$(grep -cE '^test (passed|failed|skipped), name: ' "$tmp/tmk.out")
	check "[ $reported -eq $ncases ]" "exitdiff tmk reports all $ncases cases ($reported)"
	check "! grep -q 'name: \"runtime\"' $tmp/tmk.out" "the runtime never fails itself"
	# A known divergence a TMK cannot see: one in the exit trace (event.*), in
	# a selector, in ESP[31:16] after a real-mode exception (the frame the
	# runtime reads holds SP only), or KVM's timeout (the runner's clock is not
	# the executor's).
	invisible() { # SIGNATURE CASE-FILE
		local field=${1#*:}
		field=${field%%:*}
		case "$field" in event.*|cs|ds|es|fs|gs|ss) return 0 ;; esac
		[ "$field" = rsp ] && grep -q '^mode real16' "$2" && return 0
		case "$1" in */timeout:*) return 0 ;; esac
		return 1
	}
	mismatch=0 pairs=0
	while read -r verdict path rest; do
		id=$(basename "$path" .case)
		r=$(grep -E "^test (passed|failed|skipped), name: \"$id\"" "$tmp/tmk.out" | sed 's/^test \([a-z]*\),.*/\1/')
		pairs=$((pairs + 1))
		# A case marked intermittent reproduces its divergence only some of
		# the time: either result is its own.
		grep -q '^# intermittent' "$path" && r=any
		case "$verdict:$r" in
		PASS:passed|PASS:skipped|XFAIL:failed|XFAIL:skipped|SKIP:*|*:any) ;;
		XFAIL:passed)
			sig=$(echo "$rest" | sed -n 's/^known divergence \([^:]*:[^:]*:[^:]*\):.*/\1/p')
			invisible "$sig" "$path" || { echo "mismatch: $id: replay XFAIL ($sig), tmk passed"; mismatch=1; } ;;
		*) echo "mismatch: $id: replay $verdict, tmk ${r:-no result}"; mismatch=1 ;;
		esac
	done < <(sed -n 's/^\(PASS\|XFAIL\|FAIL\|SKIP\): \([^ :]*\.case\):\{0,1\} \{0,1\}\(.*\)$/\1 \2 \3/p' "$tmp/replay.out")
	check "[ $mismatch -eq 0 ] && [ $pairs -eq $ncases ]" "exitdiff tmk agrees with replay on all $pairs cases"
fi

# --- QEMU: the runtime survives every case (a case that ends the VM is
# booted past, scripts/tmk-qemu.sh)
accels=tcg
[ -w /dev/kvm ] && accels="tcg kvm"
if [ -n "${EXITDIFF_TEST_NO_QEMU:-}" ]; then
	echo "note: QEMU part not run in this build (EXITDIFF_TEST_NO_QEMU: the plain build runs it)"
	accels=
fi
for accel in $accels; do
	bash "$src/scripts/tmk-qemu.sh" "$tmp/all/tmk.bin" $accel 60 >"$tmp/q-$accel.out" 2>&1
	last=$(tail -1 "$tmp/q-$accel.out")
	echo "qemu $accel: $last"
	grep -q "^tmk-qemu: $ncases cases" <<< "$last" || tail -8 "$tmp/q-$accel.out"
	check "echo '$last' | grep -q \"^tmk-qemu: $ncases cases\"" "QEMU $accel: every case reported"
	check "! grep -q '^FAIL: runtime' $tmp/q-$accel.out" "QEMU $accel: the runtime never fails itself"
done

# --- hostile texts
mkdir -p "$tmp/hostile"
printf 'id hostile\nmode long64\ncode f4\nknown a reason with /* and */, "quotes" and \\ a backslash\nknown-signature x/y:z:w\n' \
	>"$tmp/hostile/hostile.case"
"$exitdiff" export "$tmp/hostile" -o "$tmp/h" >"$tmp/h.log" 2>&1
check "[ -s $tmp/h/tmk.bin ] && make -s -C $tmp/h WERROR=-Werror clean all >/dev/null 2>&1" \
	"comment openers, quotes and backslashes export and build with -Werror"
printf 'id bad"id\nmode long64\ncode f4\n' >"$tmp/badid.case"
"$exitdiff" export "$tmp/badid.case" -o "$tmp/b" >"$tmp/b.log" 2>&1
rc=$?
check "[ $rc -eq 2 ] && grep -q 'badid.case:1: id' $tmp/b.log" "an id outside the safe alphabet: file:line and exit 2 (rc $rc)"
exit $fail
