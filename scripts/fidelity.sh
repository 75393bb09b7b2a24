#!/usr/bin/env bash
# The fidelity report: one campaign per lane (long64, long64 at CPL3,
# prot32, prot32-paged, real16, compat32, prot32-pae) for N seconds each, then tables per lane
# and per instruction class (the generator's template family) from each
# campaign's last stats.jsonl line, and the top signatures from its
# findings and known hits. Prints markdown; with --write it also replaces
# the figures section of docs/fidelity.md.
#
# Usage: scripts/fidelity.sh [SECONDS] [--jobs N] [--write] [--exitdiff PATH]
#                            [--out DIR] [--seed S]
# Needs /dev/kvm and jq. Defaults: 20 s per lane, 1 job, build/exitdiff.
set -euo pipefail
cd "$(dirname "$0")/.."

secs=20 jobs=1 write=0 seed=1 x=build/exitdiff out=""
while [ $# -gt 0 ]; do
	case "$1" in
	--jobs) jobs=$2; shift ;;
	--write) write=1 ;;
	--exitdiff) x=$2; shift ;;
	--out) out=$2; shift ;;
	--seed) seed=$2; shift ;;
	-h|--help) sed -n 2,11p "$0"; exit 0 ;;
	[0-9]*) secs=$1 ;;
	*) echo "fidelity.sh: unknown argument '$1' (--help)" >&2; exit 2 ;;
	esac
	shift
done
[ -x "$x" ] || { echo "fidelity.sh: $x not built (cmake -S . -B build -G Ninja && ninja -C build)" >&2; exit 2; }
command -v jq > /dev/null || { echo "fidelity.sh: needs jq (apt-get install jq)" >&2; exit 2; }
[ -r /dev/kvm ] && [ -w /dev/kvm ] || { echo "fidelity.sh: /dev/kvm is not usable" >&2; exit 2; }
if [ -z "$out" ]; then
	out=$(mktemp -d /tmp/exitdiff-fidelity-XXXXXX)
	trap 'rm -rf "$out"' EXIT
fi
mkdir -p "$out"

# lane name, then the fuzz options that give exactly that lane.
lanes=(
	"long64|--mode long64 --knobs none"
	"long64+cpl3|--mode long64 --knobs cpl3"
	"prot32|--mode prot32 --knobs none"
	"prot32-paged|--mode prot32-paged --knobs none"
	"real16|--mode real16 --knobs none"
	"compat32|--mode compat32 --knobs none"
	"prot32-pae|--mode prot32-pae --knobs none"
)

for l in "${lanes[@]}"; do
	name=${l%%|*} opts=${l#*|}
	dir="$out/$name"
	rm -rf "$dir"
	echo "fidelity: $name: $secs s ($opts)" >&2
	# shellcheck disable=SC2086
	"$x" fuzz $opts --time "$secs" --jobs "$jobs" --seed "$seed" --out "$dir" \
		> "$out/$name.log" 2>&1 || echo "fidelity: $name: campaign failed (see $out/$name.log)" >&2
done

pct() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.1f", 100 * a / b; else printf "-" }'; }

# Top signatures of one campaign: new findings (hits files) and known ones
# (state), by hits, "sig (n)".
top_sigs() {
	local dir=$1 n=$2
	{
		for h in "$dir"/buckets/*/hits; do
			[ -e "$h" ] || continue
			awk '$1 == "signature" { s = $2 } $1 == "hits" { print $2, s }' "$h"
		done
		awk '$1 == "known_hit" { print $3, $2 " (known)" }' "$dir/state" 2>/dev/null
	} | sort -rn | head -"$n" | awk '{ n = $1; $1 = ""; sub(/^ /, ""); printf "%s`%s` (%s)", (NR > 1 ? "<br>" : ""), $0, n }'
}

report() {
	echo "Measured $(date -u +%Y-%m-%d) with \`scripts/fidelity.sh $secs\` ($jobs job(s), seed $seed," \
		"$secs s per lane, generator insn)."
	echo
	echo "### Per lane"
	echo
	echo "| lane | cases | agree % | diverge % | unsupported % | modeled % (by executions) | new findings | known hits | top UNSUPPORTED | top signatures |"
	echo "|---|---:|---:|---:|---:|---:|---:|---:|---|---|"
	for l in "${lanes[@]}"; do
		name=${l%%|*}
		s="$out/$name/stats.jsonl"
		if ! [ -s "$s" ]; then
			echo "| $name | (no run) | | | | | | | | |"
			continue
		fi
		line=$(tail -1 "$s")
		read -r e a d u st b <<< "$(jq -r --arg l "$name" '.lanes[$l] // {} |
			"\(.execs // 0) \(.agree // 0) \(.diverge // 0) \(.unsupported // 0) \(.steps // 0) \(.buckets // 0)"' <<< "$line")"
		f=$(jq -r --arg l "$name" '.lanes[$l].exec_failures // 0' <<< "$line")
		kh=$(jq -r '.known_hits' <<< "$line")
		ran=$((e - f))
		topu=$(jq -r --arg l "$name" '[.lanes[$l].unsupported_top[]? | "\(.mnemonic) (\(.count))"] | .[0:3] | join(", ")' <<< "$line")
		extra=""
		[ "$f" -gt 0 ] && extra=" ($f executor failures)"
		echo "| $name | $e$extra | $(pct "$a" "$ran") | $(pct "$d" "$ran") | $(pct "$u" "$ran") |" \
			"$(pct "$st" $((st + u))) | $b | $kh | $topu | $(top_sigs "$out/$name" 3) |"
	done
	echo
	echo "### Per instruction class"
	echo
	echo "A case counts in every class it has an instruction of; % of those cases."
	echo
	for l in "${lanes[@]}"; do
		name=${l%%|*}
		s="$out/$name/stats.jsonl"
		[ -s "$s" ] || continue
		echo "**$name**"
		echo
		echo "| class | cases | agree % | diverge % | unsupported % |"
		echo "|---|---:|---:|---:|---:|"
		tail -1 "$s" | jq -r --arg l "$name" '.lanes[$l].families // {} | to_entries | sort_by(-.value.cases)[] |
			"| \(.key) | \(.value.cases) | \(if .value.cases > 0 then (1000 * .value.agree / .value.cases | round / 10) else "-" end)" +
			" | \(if .value.cases > 0 then (1000 * .value.diverge / .value.cases | round / 10) else "-" end)" +
			" | \(if .value.cases > 0 then (1000 * .value.unsupported / .value.cases | round / 10) else "-" end) |"'
		echo
	done
}

md=$(report)
echo "$md"
if [ $write = 1 ]; then
	doc=docs/fidelity.md
	begin='<!-- fidelity:begin -->' end='<!-- fidelity:end -->'
	grep -qF "$begin" "$doc" || { echo "fidelity.sh: no '$begin' marker in $doc" >&2; exit 1; }
	tmp=$(mktemp) mdfile=$(mktemp)
	# A file, not a process substitution: awk's getline from /dev/fd/N
	# stopped early there (measured: the per-class tables went missing).
	printf '%s\n' "$md" > "$mdfile"
	awk -v b="$begin" -v e="$end" -v f="$mdfile" '
		$0 == b { print; while ((getline l < f) > 0) print l; skip = 1; next }
		$0 == e { skip = 0 }
		!skip { print }' "$doc" > "$tmp"
	mv "$tmp" "$doc"
	rm -f "$mdfile"
	echo "fidelity.sh: wrote the figures into $doc" >&2
fi
