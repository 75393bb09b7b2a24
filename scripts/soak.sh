#!/bin/bash
# Soak check: runs one campaign for HOURS (fractional is fine: 0.05 = 3 min)
# and checks its health every period while it runs: execs/s, the share of
# execs an executor failed, RSS and open fds of every exitdiff process of the
# campaign, finding directories (OUT/buckets/) on disk against the count in stats.jsonl.
# Ends with one line, "verdict: PASS ..." or "verdict: FAIL: reasons", and
# exit 0 / 1 (docs/campaigns.md "Soak check").
#
# usage: scripts/soak.sh HOURS [--jobs N] [--out DIR] [--period S] [--exitdiff PATH]
#        [-- more exitdiff fuzz options]
set -u
usage() { echo "usage: scripts/soak.sh HOURS [--jobs N] [--out DIR] [--period S] [--exitdiff PATH] [-- fuzz options]" >&2; exit 2; }
[ $# -ge 1 ] || usage
HOURS=$1; shift
awk -v h="$HOURS" 'BEGIN { exit !(h + 0 > 0) }' || { echo "soak: bad HOURS '$HOURS'" >&2; usage; }
JOBS=2 OUT="" PERIOD="" X=""
while [ $# -gt 0 ]; do
	case $1 in
	--jobs) JOBS=$2; shift 2 ;;
	--out) OUT=$2; shift 2 ;;
	--period) PERIOD=$2; shift 2 ;;
	--exitdiff) X=$2; shift 2 ;;
	--) shift; break ;;
	*) usage ;;
	esac
done
here=$(cd "$(dirname "$0")/.." && pwd)
[ -n "$X" ] || X=$here/build/exitdiff
[ -x "$X" ] || { echo "soak: no exitdiff at $X (build first, or --exitdiff PATH)" >&2; exit 2; }
command -v jq > /dev/null || { echo "soak: needs jq to read stats.jsonl" >&2; exit 2; }
SECS=$(awk -v h="$HOURS" 'BEGIN { printf "%d", h * 3600 + 0.5 }')
[ -n "$PERIOD" ] || PERIOD=$(( SECS <= 600 ? 15 : 60 ))
[ -n "$OUT" ] || OUT=$(mktemp -d /tmp/exitdiff-soak-XXXXXX)/camp
LOG=$OUT.log
mkdir -p "$(dirname "$OUT")" || exit 2

echo "soak: $HOURS h = $SECS s, $JOBS workers, check every $PERIOD s, out $OUT, host $(uname -r) $(nproc) cpus"
# The default known list is found from the source tree, as a user runs it.
(cd "$here" && exec "$X" fuzz --time "$SECS" --jobs "$JOBS" --out "$OUT" "$@") > "$LOG" 2>&1 &
camp=$!
# Stopping the soak stops its campaign (the campaign flushes and summarizes).
trap 'kill -TERM "$camp" 2>/dev/null' INT TERM

# Per check: the campaign's processes (the parent and its workers).
procs() { echo "$camp"; pgrep -P "$camp" 2>/dev/null; }
rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0; }
nfds() { ls "/proc/$1/fd" 2>/dev/null | wc -l; }
stat_field() { tail -1 "$OUT/stats.jsonl" 2>/dev/null | jq -r "$1" 2>/dev/null; }
disk_buckets() { ls "$OUT"/buckets/*/hits 2>/dev/null | wc -l; }

checks=0 first_load="" last_load="" rates="" first_wrss="" last_wrss=0 first_fds="" last_fds=0 first_prss="" last_prss=0
printf '%-7s %10s %8s %8s %9s %9s %9s %5s %11s %8s %5s\n' time execs exec/s fail% rss-par rss-wmax rss-wsum fds disk/counted restarts load
while kill -0 "$camp" 2>/dev/null; do
	sleep "$PERIOD" & wait $!
	kill -0 "$camp" 2>/dev/null || break
	[ -s "$OUT/stats.jsonl" ] || continue
	checks=$((checks + 1))
	t=$(stat_field .time) execs=$(stat_field .execs) rate=$(stat_field .execs_per_s)
	share=$(stat_field .period_failure_share) restarts=$(stat_field .restarts)
	counted=$(stat_field .buckets) disk=$(disk_buckets)
	prss=0 wmax=0 wsum=0 fds=0
	for p in $(procs); do
		r=$(rss_kb "$p") f=$(nfds "$p")
		fds=$((fds + f))
		if [ "$p" = "$camp" ]; then prss=$r; else
			wsum=$((wsum + r)); [ "$r" -gt "$wmax" ] && wmax=$r
		fi
	done
	# The first check is a warm-up (page tables, caches); growth counts from the second.
	if [ $checks -eq 2 ]; then first_wrss=$wmax first_fds=$fds first_prss=$prss; fi
	last_wrss=$wmax last_fds=$fds last_prss=$prss
	rates="$rates $rate"
	# The host's load: other users of the cores slow a campaign too.
	load=$(cut -d' ' -f1 /proc/loadavg)
	[ $checks -eq 2 ] && first_load=$load
	last_load=$load
	printf '%-7s %10s %8.0f %8.3f %8sK %8sK %8sK %5s %5s/%-5s %8s %5s\n' "${t%.*}s" "$execs" "$rate" \
		"$(awk -v s="$share" 'BEGIN { print 100 * s }')" "$prss" "$wmax" "$wsum" "$fds" "$disk" "$counted" \
		"$restarts" "$load"
done
wait "$camp"
rc=$?

# Verdict, from the final stats line (written after every worker ended).
reasons=""
add() { reasons="$reasons${reasons:+; }$1"; }
execs=$(stat_field .execs) fails=$(stat_field .exec_failures) hv=$(stat_field .hv_failures)
rec=$(stat_field .recoveries) restarts=$(stat_field .restarts) crashes=$(stat_field .crashes)
counted=$(stat_field .buckets) disk=$(disk_buckets) rate=$(stat_field .execs_per_s)
kf=$(stat_field .kmsg.findings) ku=$(stat_field .kmsg.unattributed)
share=$(awk -v f="${fails:-0}" -v e="${execs:-0}" 'BEGIN { printf "%.4f", e ? 100 * f / e : 0 }')
[ "$rc" -eq 0 ] || add "exitdiff fuzz exited $rc$([ "$rc" -eq 3 ] && echo ' (unhealthy)')"
[ "${execs:-0}" -gt 0 ] || add "no execs"
awk -v s="$share" 'BEGIN { exit !(s > 1) }' && add "executor failures $share% of execs (over 1%)"
[ "$disk" = "$counted" ] || add "bucket dirs on disk $disk != counted $counted"
if [ -n "$first_wrss" ]; then
	# Growth beyond half again plus 16 MiB is a leak, not warm-up.
	[ "$last_wrss" -le $((first_wrss * 3 / 2 + 16384)) ] || add "worker RSS grew ${first_wrss}K -> ${last_wrss}K"
	[ "$last_prss" -le $((first_prss * 3 / 2 + 16384)) ] || add "parent RSS grew ${first_prss}K -> ${last_prss}K"
	[ "$last_fds" -le $((first_fds + 8)) ] || add "open fds grew $first_fds -> $last_fds"
	# Speed: the last third of the checks against the first third.
	slow=$(awk -v r="$rates" 'BEGIN { n = split(r, a, " "); k = int(n / 3); if (k < 1) { print 0; exit }
		for (i = 1; i <= k; i++) { f += a[i]; l += a[n - k + i] } print (l < 0.5 * f) ? 1 : 0 }')
	[ "$slow" = 1 ] && add "execs/s fell below half of the start's (rates:$rates; host load $first_load -> $last_load on $(nproc) cpus)"
else
	add "fewer than 2 checks ran: make HOURS longer or --period shorter"
fi
echo "soak: exitdiff fuzz rc $rc; $execs execs ($rate/s over the run), executor failures $fails ($share%), hypervisor $hv, recoveries $rec, restarts $restarts, crashes $crashes; buckets $disk on disk / $counted counted; kernel log findings $kf (unattributed $ku); RSS worker ${first_wrss:-?}K -> ${last_wrss}K, parent ${first_prss:-?}K -> ${last_prss}K, fds ${first_fds:-?} -> $last_fds; log $LOG"
if [ -z "$reasons" ]; then
	echo "verdict: PASS ($checks checks over $SECS s)"
	exit 0
fi
echo "verdict: FAIL: $reasons"
exit 1
