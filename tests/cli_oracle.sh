#!/usr/bin/env bash
# run --oracle: on a diverging case Unicorn runs too and one line says whose
# side it takes; on an agreeing case nothing is added. Skipped without
# /dev/kvm, and without Unicorn (--oracle then refuses, which is checked).
set -u
exitdiff=$1 src=$2
if [ ! -e /dev/kvm ]; then echo "SKIPPED: /dev/kvm is not available"; exit 77; fi
fail=0
check() { if eval "$1"; then echo "checked: $2"; else echo "FAILED: $2"; fail=1; fi; }

out=$("$exitdiff" run -q --oracle "$src/corpus/exception/ud-lock-lfence.case" 2>&1)
if printf "%s\n" "$out" | grep -q "built without Unicorn"; then
	echo "SKIPPED: exitdiff was built without Unicorn (libunicorn-dev); --oracle refused as it should"
	exit 77
fi
# LOCK LFENCE: the CPU and the reference raise #UD, KVM's emulator runs it.
check 'printf "%s\n" "$out" | grep -q "^oracle: unicorn agrees with reference$"' \
	"ud-lock-lfence: unicorn sides with the reference"
# KVM's read-ahead batch is not the same on every run under load: the
# oracle line is looked for in up to three runs.
for try in 1 2 3; do
	out=$("$exitdiff" run -q --oracle "$src/corpus/io/io-rep-insb-fault.case" 2>&1)
	printf "%s\n" "$out" | grep -q "^oracle: unicorn agrees with neither (exception#PF/exception#PF:event.count:rep_insb, vs reference)$" && break
done
check 'printf "%s\n" "$out" | grep -q "^oracle: unicorn agrees with neither (exception#PF/exception#PF:event.count:rep_insb, vs reference)$"' \
	"io-rep-insb-fault: unicorn sides with neither, closer to the reference"
out=$("$exitdiff" run -q --oracle "$src/corpus/io/io-rep-outsb.case" 2>&1)
check '! printf "%s\n" "$out" | grep -q "^oracle:"' "an agreeing case prints no oracle line"
out=$("$exitdiff" replay --oracle "$src/corpus/bits/bits-cmpxchg16b.case" 2>&1)
check 'printf "%s\n" "$out" | grep -A1 "^XFAIL" | grep -q "^oracle: unicorn agrees with reference$"' \
	"replay --oracle: CMPXCHG16B's XFAIL gets unicorn on the reference side"
"$exitdiff" run -q --bogus-oracle "$src/corpus/io/io-rep-outsb.case" >/dev/null 2>&1
check '[ $? -eq 2 ]' "an unknown option is still a usage error"
exit $fail
