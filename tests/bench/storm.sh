#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The guest-stall storm: the same changes (control-domain assigns, N
# synchronous clients each sending theirs one after the other, each round
# on 2 guests) on the same simulated host in the same run, by four paths:
# (a) single-id sysfs writes as mdevctl does them, (b) one ap_config write
# per change, (c) apmatrixd through sd-bus clients, (d) apmatrixd through
# apctl processes. Per path: APCB updates, vCPU stall (total and the worst
# guest), kvm->lock hold p50/p99/max per acquisition, PQAP latency
# p50/p99/max against the idle host's, request latency p50/p99, wall time;
# ratios against (a) and (b). Then a sweep of the coalescing setting for the
# 20-client run: $STORM_OUT/storm-sweep.csv and a plot storm-sweep.png.
#
# STORM_CLIENTS ("1 20 200"), STORM_CHANGES ("100 1000"), STORM_GUESTS
# ("10 100"), STORM_PATHS, STORM_SWEEP (0 skips it), STORM_OUT (the CSV and
# PNG; default build/tests/bench), extra daemon options in STORM_DAEMON_ARGS,
# extra apsim guest options in STORM_GUEST_ARGS (busy=1: spinning vCPUs),
# the host's PQAP rate in STORM_PQAP_RATE (4000/s over all guests; a run of
# 40 ms then has ~150 PQAPs, so its p99 is the second-worst: 20000 gives
# a p99 that means more, at some CPU).
#
# Then the targets (STORM_TARGET_RUNS, 5; 0 skips them): medians of that
# many runs of the 20-client run, each checked against its target; and the
# storm with resets (STORM_RESET=0 skips it): STORM_RESET_CHANGES
# (100) usage-domain unassigns from running guests (STORM_RESET_GUESTS,
# "10"), each taking its queues out of a guest and so resetting them; every
# reset of those queues answers RESET_IN_PROGRESS for STORM_RESET_POLLS (1)
# TAPQs, so the driver waits 20 ms per poll, as for a slow adapter. The
# table adds the queue resets; the kvm->lock hold shows that no path waits
# for them under it.
. "$APM_SOURCE_ROOT/tests/dbus/lib.sh"
apm_enter_ns "$0" "$@"
STORM=$APM_BUILD_ROOT/tests/dbus/storm
export APCTL=$APM_BUILD_ROOT/client/apctl
CLIENTS=${STORM_CLIENTS:-1 20 200}
CHANGES=${STORM_CHANGES:-100 1000}
GUESTS=${STORM_GUESTS:-10 100}
PATHS=${STORM_PATHS:-single ap_config dbus apctl}
OUT=${STORM_OUT:-$APM_BUILD_ROOT/tests/bench}
FIRST_ID=100
PQAP_RATE=${STORM_PQAP_RATE:-4000}

apm_setup
RESET_CHANGES=${STORM_RESET_CHANGES:-100}
RESET_GUESTS=${STORM_RESET_GUESTS:-10}
RESET_POLLS=${STORM_RESET_POLLS:-1}
# A host with room for 100 guests and the reset storm's domains: 4
# adapters x 200 usage domains, every id up to 255 a control domain;
# adapters 2-3 belong to vfio_ap.
cat >"$T/topology.json" <<'EOF'
{ "apxa": true, "max_domain_id": 255,
  "adapters": [ { "ids": "0-3", "type": "CEX8", "mode": "cca" } ],
  "domains": "0-199", "control_domains": "0-255", "apmask": "0-1" }
EOF
apm_sim_start "$T/topology.json"
apm_bus_start
# shellcheck disable=SC2086 # options are meant to split
apm_daemon_start ${STORM_DAEMON_ARGS:-}
maxg=0
for g in $GUESTS; do [ "$g" -gt "$maxg" ] && maxg=$g; done
UUIDS=
i=0
while [ "$i" -lt "$maxg" ]; do
	u=$(printf 'eeeeeeee-0000-4000-8000-%012d' "$i")
	call DefineDevice string:"$u" string:"{\"adapters\":[2,3],\"domains\":[$i]}" uint64:0 >/dev/null
	call StartDevice string:"$u" uint64:0 >/dev/null
	UUIDS="$UUIDS $u"
	i=$((i + 1))
done

first() { echo "$UUIDS" | tr ' ' '\n' | sed '/^$/d' | head -n "$1" | tr '\n' ' '; }

# STORM_PQAP_RATE (4000) PQAP/s over the host however many guests run: two CPUs cannot
# simulate 100 guests' vCPUs at a realistic rate each and still measure.
guests_start() {
	hz=$((PQAP_RATE / 2 / $1))
	i=0
	for u in $(first "$1"); do
		sim_ctl "guest start vm$i $u vcpus=2 pqap_hz=$hz ${STORM_GUEST_ARGS:-}"
		i=$((i + 1))
	done
}
guests_stop() {
	i=0
	while [ "$i" -lt "$1" ]; do sim_ctl "guest stop vm$i"; i=$((i + 1)); done
}

# The idle host's PQAP p99 over one second of the running guests (ns).
idle_pqap() {
	sim_ctl stats reset
	sleep 1
	sim_stats | jq '.timing.pqap_latency.p99_ns'
}

# The figures of a run from the client's line $1 and apsim's stats before
# and after in $T/s0.json and $T/s1.json: one JSON object.
figures() {
	jq -n --argjson c "$1" --slurpfile a0 "$T/s0.json" --slurpfile b0 "$T/s1.json" '
	$a0[0] as $a | $b0[0] as $b | $c + {
		apcb: ($b.apcb_updates_total - $a.apcb_updates_total),
		resets: ($b.queue_resets_total - $a.queue_resets_total),
		stall_ms: ((([$b.guests[].vcpu_stall_ns] | add) - ([$a.guests[].vcpu_stall_ns] | add)) / 1e6),
		stall_guest_max_ms: (([$b.guests | to_entries[] | .key as $k |
			(.value.vcpu_stall_ns - ($a.guests[$k].vcpu_stall_ns // 0))] | max) / 1e6),
		hold_p50_us: ($b.timing.kvm_lock_hold.p50_ns / 1e3),
		hold_p99_us: ($b.timing.kvm_lock_hold.p99_ns / 1e3),
		hold_max_us: ($b.timing.kvm_lock_hold.max_ns / 1e3),
		pqap_p50_us: ($b.timing.pqap_latency.p50_ns / 1e3),
		pqap_p99_us: ($b.timing.pqap_latency.p99_ns / 1e3),
		pqap_max_us: ($b.timing.pqap_latency.max_ns / 1e3) }'
}

# The path that undoes (or prepares) a path's run, unmeasured: sysfs paths
# by single writes, daemon paths by the daemon, so the daemon's definitions
# follow the daemon's changes only.
helper_path() {
	case $1 in
	single | ap_config) echo single ;;
	*) echo dbus ;;
	esac
}

# count_lines ATTR UUID... -> the lines of that attribute over the devices.
count_lines() {
	a=$1
	shift
	n=0
	for u in "$@"; do
		k=$(grep -c . "$SYSFS_ROOT/devices/vfio_ap/matrix/$u/$a" || true)
		n=$((n + k))
	done
	echo "$n"
}

# run PATH N M G -> one JSON object: the client's figures and apsim's.
run() {
	uu=$(first "$4")
	sim_ctl stats reset
	# Files, not arguments: stats.json of 100 guests exceeds ARG_MAX.
	sim_stats >"$T/s0.json"
	# shellcheck disable=SC2086
	c=$("$STORM" "$1" "$2" "$3" 2 assign $FIRST_ID $uu) || bail "storm $*: $c"
	sim_stats >"$T/s1.json"
	# Every acknowledged change is live: the devices hold M control domains.
	# shellcheck disable=SC2086
	live=$(count_lines control_domains $uu)
	[ "$live" -eq "$3" ] || bail "storm $*: $live control domains live after $3 assigns"
	# The same clients and changes map every change to the same device and
	# id, so this removes exactly what the run added.
	# shellcheck disable=SC2086
	"$STORM" "$(helper_path "$1")" "$2" "$3" 2 unassign $FIRST_ID $uu >/dev/null ||
		bail "undo of storm $* failed"
	# shellcheck disable=SC2086
	[ "$(count_lines control_domains $uu)" -eq 0 ] ||
		bail "storm $*: control domains left after the undo"
	figures "$c"
}

# run_resets PATH N M G -> the figures of M usage-domain unassigns by PATH
# from running guests, each resetting the queues that leave its guest.
run_resets() {
	uu=$(first "$4")
	# shellcheck disable=SC2086
	"$STORM" --usage "$(helper_path "$1")" "$2" "$3" 2 assign $USAGE_FIRST $uu >/dev/null ||
		bail "storm --usage $*: the assigns before the run failed"
	# shellcheck disable=SC2086
	base=$(count_lines matrix $uu)
	[ "$base" -eq $((2 * ($4 + $3))) ] ||
		bail "storm --usage $*: $base APQNs before the run, want $((2 * ($4 + $3)))"
	sim_ctl stats reset
	sim_stats >"$T/s0.json"
	# shellcheck disable=SC2086
	c=$("$STORM" --usage "$1" "$2" "$3" 2 unassign $USAGE_FIRST $uu) ||
		bail "storm --usage $*: $c"
	sim_stats >"$T/s1.json"
	# Acknowledged means gone: each device is back to its own domain, an
	# APQN on each of its 2 adapters.
	# shellcheck disable=SC2086
	left=$(count_lines matrix $uu)
	[ "$left" -eq $((2 * $4)) ] || bail "storm --usage $*: $left APQNs left of $base, want $((2 * $4))"
	f=$(figures "$c")
	# Every queue that left a running guest was reset.
	[ "$(echo "$f" | jq .resets)" -ge $((2 * $3)) ] ||
		bail "storm --usage $*: $(echo "$f" | jq .resets) queue resets, want $((2 * $3))"
	echo "$f"
}
# The table: hdr [resets] prints the header, row JSON [resets] a path's
# line; with "resets" a last column counts the queue resets.
COLS='%-10s %6s %9s %10s %21s %21s %9s %9s %9s'
hdr() {
	# shellcheck disable=SC2059 # the format is ours
	printf "$COLS${1:+ %6s}\n" path apcb stall_ms worst_g_ms "hold p50/p99/max us" \
		"pqap p50/p99/max us" "req p50" "req p99" wall_ms ${1:+resets}
}
row() {
	echo "$1" | jq -r --arg r "${2:-}" '[.path, .apcb, (.stall_ms*10|round/10),
		(.stall_guest_max_ms*10|round/10),
		"\(.hold_p50_us|round)/\(.hold_p99_us|round)/\(.hold_max_us|round)",
		"\(.pqap_p50_us|round)/\(.pqap_p99_us|round)/\(.pqap_max_us|round)",
		"\(.lat_p50_us/1e3*100|round/100)ms", "\(.lat_p99_us/1e3*100|round/100)ms",
		(.wall_ms|round)] + (if $r != "" then [.resets] else [] end) | @tsv' |
		awk -F'\t' -v f="$COLS${2:+ %6s}\n" '{ printf f, $1, $2, $3, $4, $5, $6, $7, $8, $9, $10 }'
}

policy=$(busctl --system get-property org.apmatrix1 /org/apmatrix1 org.apmatrix1.Manager BatchPolicy | cut -d'"' -f2)
pacing=$(busctl --system get-property org.apmatrix1 /org/apmatrix1 org.apmatrix1.Manager PacingUSec | cut -d' ' -f2)
echo "# storm on apsim: $(nproc) CPUs, apmatrixd BatchPolicy=$policy PacingUSec=$pacing; guests of 2 vCPUs, $PQAP_RATE PQAP/s in all"
for g in $GUESTS; do
	guests_start "$g"
	idle=$(idle_pqap)
	for m in $CHANGES; do
		for n in $CLIENTS; do
			echo "## $m changes, $n clients, $g running guests (idle PQAP p99 $((idle / 1000)) us)"
			hdr
			: >"$T/rows"
			for p in $PATHS; do
				r=$(run "$p" "$n" "$m" "$g")
				row "$r"
				echo "$r" >>"$T/rows"
			done
			jq -rs --argjson idle "$idle" '
				(map(select(.path == "single"))[0]) as $a |
				(map(select(.path == "ap_config"))[0]) as $b |
				.[] | select(.path == "dbus" or .path == "apctl") |
				"   \(.path): stall x\(if $a then (.stall_ms / $a.stall_ms * 100 | round / 100) else "-" end) of (a), x\(if $b then (.stall_ms / $b.stall_ms * 100 | round / 100) else "-" end) of (b); updates x\(if $a then (.apcb / $a.apcb * 100 | round / 100) else "-" end) of (a); hold p99 x\(if $b then (.hold_p99_us / $b.hold_p99_us * 100 | round / 100) else "-" end) of (b); PQAP p99 x\(.pqap_p99_us * 1e3 / $idle * 100 | round / 100) of idle"' \
				"$T/rows"
		done
	done
	guests_stop "$g"
done

# The targets at default settings (docs/guest-stall.md), judged on the
# medians of TARGET_RUNS runs of 100 changes from 20 clients over 10 guests
# by (a), (b) and (c), the idle PQAP p99 taken before each (a p99 below the
# histogram's 1 us resolution counts as 1 us), and the overhead of a lone
# request on an idle host over window 0 (median of 40, each after 30 ms of
# quiet: longer than the pacing interval, so the host is idle when it comes).
lone_p50() {
	u=$(first 1 | tr -d ' ')
	: >"$T/lone"
	i=0
	while [ "$i" -lt 20 ]; do
		for op in assign unassign; do
			sleep 0.03
			l=$("$STORM" dbus 1 1 1 $op 250 "$u") || bail "lone request ($op) failed: $l"
			echo "$l" | jq .lat_p50_us >>"$T/lone"
		done
		i=$((i + 1))
	done
	sort -n "$T/lone" | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}
TARGET_RUNS=${STORM_TARGET_RUNS:-5}
if [ "$TARGET_RUNS" -gt 0 ]; then
	g=10
	guests_start "$g"
	: >"$T/target-runs"
	i=0
	while [ "$i" -lt "$TARGET_RUNS" ]; do
		idle=$(idle_pqap)
		a=$(run single 20 100 "$g")
		b=$(run ap_config 20 100 "$g")
		c=$(run dbus 20 100 "$g")
		jq -nc --argjson a "$a" --argjson b "$b" --argjson c "$c" --argjson idle "$idle" '{
			apcb: $c.apcb, stall_a: ($c.stall_ms / $a.stall_ms),
			stall_b: ($c.stall_ms / $b.stall_ms), hold_b: ($c.hold_p99_us / $b.hold_p99_us),
			pqap: ($c.pqap_p99_us * 1e3 / ([$idle, 1000] | max)),
			req_p99: ($c.lat_p99_us / 1e3) }' >>"$T/target-runs"
		i=$((i + 1))
	done
	adaptive=$(lone_p50)
	apm_daemon_stop
	apm_daemon_start --batch-window-usec 0
	window0=$(lone_p50)
	apm_daemon_stop
	# shellcheck disable=SC2086 # options are meant to split
	apm_daemon_start ${STORM_DAEMON_ARGS:-}
	guests_stop "$g"
	echo "## targets at default settings: medians (min-max) of $TARGET_RUNS runs" \
		"of 100 changes, 20 clients, 10 guests"
	jq -rs --argjson ad "$adaptive" --argjson w0 "$window0" '
		def r2: . * 100 | round / 100;
		def med: sort | .[(length - 1) / 2 | floor];
		def line(name; k; limit): (map(.[k]) | med) as $m |
			"\(if $m <= limit then "held  " else "MISSED" end)  \(name) <= \(limit): " +
			"\($m | r2) (\(map(.[k]) | min | r2)-\(map(.[k]) | max | r2))";
		line("APCB updates"; "apcb"; 15),
		line("vCPU stall / (a)"; "stall_a"; 0.25),
		line("vCPU stall / (b)"; "stall_b"; 0.5),
		line("kvm->lock hold p99 / (b)"; "hold_b"; 1),
		line("PQAP p99 / idle"; "pqap"; 2),
		line("request p99 ms"; "req_p99"; 20),
		(($ad - $w0) / 1e3) as $o |
		"\(if $o <= 0.5 then "held  " else "MISSED" end)  lone request over window 0 <= 0.5 ms: " +
		"\($o | r2) ms (p50 \($ad / 1e3 | r2) ms against \($w0 / 1e3 | r2) ms)"' \
		"$T/target-runs"
fi

[ "${STORM_RESET:-1}" = 0 ] && RESET_GUESTS=
# The storm with resets: usage domains USAGE_FIRST.. (every change its own),
# each of their queues on adapters 2-3 slow to reset.
USAGE_FIRST=$maxg
[ $((USAGE_FIRST + RESET_CHANGES)) -le 200 ] ||
	bail "the reset storm needs domains up to $((USAGE_FIRST + RESET_CHANGES - 1)); the host has 0-199"
d=$USAGE_FIRST
while [ "$d" -lt $((USAGE_FIRST + RESET_CHANGES)) ]; do
	for a in 02 03; do
		sim_ctl "queue $a.$(printf '%04x' "$d") reset-fault 0 $RESET_POLLS"
	done
	d=$((d + 1))
done
for g in $RESET_GUESTS; do
	guests_start "$g"
	idle=$(idle_pqap)
	for n in $CLIENTS; do
		echo "## resets: $RESET_CHANGES usage-domain unassigns, $n clients, $g running guests," \
			"each reset $RESET_POLLS x 20 ms (idle PQAP p99 $((idle / 1000)) us)"
		hdr resets
		for p in $PATHS; do
			row "$(run_resets "$p" "$n" "$RESET_CHANGES" "$g")" resets
		done
	done
	guests_stop "$g"
done

# The coalescing setting against stall and request latency, 20 clients.
[ "${STORM_SWEEP:-1}" = 0 ] && exit 0
g=10
csv=$OUT/storm-sweep.csv
echo "setting,policy,usec,apcb_updates,stall_ms,lat_p50_ms,lat_p99_ms" >"$csv"
guests_start "$g"
for s in window:0 window:1000 window:2000 window:5000 window:10000 window:20000 \
	adaptive:2000 adaptive:5000 adaptive:10000 adaptive:20000; do
	pol=${s%%:*}
	us=${s#*:}
	apm_daemon_stop
	if [ "$pol" = window ]; then
		apm_daemon_start --batch-window-usec "$us"
	else
		apm_daemon_start --pacing-usec "$us"
	fi
	r=$(run dbus 20 100 "$g")
	echo "$r" | jq -r --arg s "$s" --arg p "$pol" --arg u "$us" \
		'[$s, $p, $u, .apcb, .stall_ms, (.lat_p50_us / 1e3), (.lat_p99_us / 1e3)] | @csv' >>"$csv"
done
guests_stop "$g"
echo "## coalescing sweep, 100 changes from 20 clients over $g guests: $csv"
column -s, -t <"$csv"
if command -v gnuplot >/dev/null; then
	gnuplot <<EOF
set terminal png size 900,500
set output "$OUT/storm-sweep.png"
set datafile separator ","
set title "20 clients, 100 changes, $g guests (apsim, $(nproc) CPUs)"
set xlabel "window / pacing (us)"
set ylabel "vCPU stall (ms)"
set y2label "request latency p99 (ms)"
set y2tics
set logscale x
plot "< grep window $csv" using (\$3 > 0 ? \$3 : 100):5 with linespoints title "stall, window", \
     "< grep adaptive $csv" using 3:5 with linespoints title "stall, adaptive", \
     "< grep window $csv" using (\$3 > 0 ? \$3 : 100):7 axes x1y2 with linespoints title "p99, window", \
     "< grep adaptive $csv" using 3:7 axes x1y2 with linespoints title "p99, adaptive"
EOF
	echo "plot: $OUT/storm-sweep.png (window 0 drawn at 100 us)"
else
	echo "plot skipped: gnuplot not installed (apt-get install gnuplot-nox)"
fi
