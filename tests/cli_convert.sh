#!/usr/bin/env bash
# exitdiff convert: every corpus case survives .case -> .bin -> .case with
# the same mode, registers, code and data (id, comments and expectations are
# not part of the binary form).
set -u
exitdiff=$1 src=$2
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
case_lines() { # the case itself, as the printer writes it
	"$exitdiff" convert "$1" "$dir/norm.case" >/dev/null 2>&1 || return 1
	awk '/^(known|expect)/{exit} !/^(#|id )/' "$dir/norm.case"
}
fail=0 n=0
for f in $(find "$src/corpus" -name '*.case' | sort); do
	n=$((n + 1))
	if ! "$exitdiff" convert "$f" "$dir/x.bin" || ! "$exitdiff" convert "$dir/x.bin" "$dir/x.case"; then
		echo "FAILED: convert of $f"; fail=1; continue
	fi
	if [ "$(case_lines "$f")" != "$(case_lines "$dir/x.case")" ]; then
		echo "FAILED: $f changed in a .bin round trip"; diff <(case_lines "$f") <(case_lines "$dir/x.case"); fail=1
	fi
done
echo "checked: $n corpus cases round-trip through the binary form"
head -c 300 /dev/urandom >"$dir/random.bin"
"$exitdiff" convert "$dir/random.bin" "$dir/random.case" && "$exitdiff" convert "$dir/random.case" "$dir/again.bin" &&
	"$exitdiff" convert "$dir/again.bin" "$dir/again.case" &&
	[ "$(case_lines "$dir/random.case")" = "$(case_lines "$dir/again.case")" ] &&
	echo "checked: random bytes decode to a case that round-trips" || { echo "FAILED: random bytes round trip"; fail=1; }
exit $fail
