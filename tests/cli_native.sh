# exitdiff run --against native on the corpus: the host CPU must agree with
# every recorded expectation of a long64 CPL3 case it can run (the
# reference's outcome, which the corpus keeps architecturally right), and
# the cases whose comments say what was measured natively must be judged,
# not refused, for the most part. A CPL0 case is refused with its reason.
# Usage: cli_native.sh EXITDIFF SOURCE_DIR
exitdiff=$1 src=$2
. "$src/tests/lib_cli.sh"

cases=$(grep -l '^knobs cpl3$' "$src"/corpus/*/*.case)
agree=0 refused=0
for f in $cases; do
	line=$("$exitdiff" run -q --against native "$f" 2>&1 | grep 'native vs recorded expectation')
	case $line in
	*": agree") agree=$((agree + 1)) ;;
	*"not compared"*) refused=$((refused + 1)); echo "refused: $(basename "$f"): ${line#*: }" ;;
	*) check false "$(basename "$f"): native against the recorded expectation: ${line:-no line}" ;;
	esac
done
check "[ $agree -ge 20 ]" "native agrees with $agree recorded CPL3 expectations ($refused refused with a reason)"

measured=$(grep -il 'natively' $cases)
judged=0
for f in $measured; do
	if "$exitdiff" run -q --against native "$f" 2>&1 | grep -q 'native vs recorded expectation: agree'; then
		judged=$((judged + 1))
	fi
done
check "[ $judged -ge 6 ]" "$judged of $(echo $measured | wc -w) cases measured natively agree with their expectation"

# The known kvm_pvm divergence whose comment says what the CPU does: the
# native run sides with the reference.
out=$("$exitdiff" run -q --against native "$src/corpus/knobs/cpl3-66-mfence-ud.case" 2>&1)
check "echo \"\$out\" | grep -q 'oracle: native agrees with reference'" "cpl3-66-mfence-ud: native sides with the reference (#UD)"
check "echo \"\$out\" | grep -q 'pairs: reference~kvm DIVERGE, native~reference agree, native~kvm DIVERGE'" "cpl3-66-mfence-ud: who agrees with whom"

# --oracle asks the CPU too, after Unicorn, where it can run the case; and
# replay --oracle under an XFAIL.
out=$("$exitdiff" run -q --oracle "$src/corpus/knobs/cpl3-66-mfence-ud.case" 2>&1)
check "echo \"\$out\" | grep -q '^oracle: native agrees with reference$'" "run --oracle: the CPU's line for a CPL3 case"
out=$("$exitdiff" replay --oracle "$src/corpus/knobs/cpl3-int-n-dpl.case" 2>&1)
check "echo \"\$out\" | grep -A2 '^XFAIL' | grep -q '^oracle: native agrees with reference$'" "replay --oracle: the CPU's line under the XFAIL"
out=$("$exitdiff" run -q --oracle "$src/corpus/exception/ud-lock-lfence.case" 2>&1)
check "! echo \"\$out\" | grep -q '^oracle: native'" "run --oracle: no CPU line for a CPL0 case"

# CPL0: refused, the reason named.
out=$("$exitdiff" run -q --against native "$src/corpus/exception/bp-int3.case" 2>&1)
check "echo \"\$out\" | grep -q 'oracle: native cannot judge (unsupported: native:cpl0)'" "a CPL0 case is refused: native:cpl0"

"$exitdiff" run --against qemu "$src/corpus/exception/bp-int3.case" >/dev/null 2>&1
check "[ $? -eq 2 ]" "--against with an unknown executor is a usage error"
exit $fail
