#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
#   run-fuzzer.sh TARGET SOURCE_ROOT BUILD_DIR SECONDS [--profile P] [SOURCE...]
#
# Profiles (what TARGET is built against):
#   lib     (default) libapm: SOURCE are the libapm sources (meson passes
#           lib/meson.build's list; default: every lib/*.c)
#   daemon  libapm + the daemon files named in SOURCE (pure parsers only)
#   kernel  the vfio_ap core + apsim's simulated host (SOURCE), on the shim
#           headers of kernel/sim/include, as apsim builds it
# Builds tests/fuzz/TARGET.c with clang against those sources
# (-fsanitize=fuzzer,address,undefined; the project itself builds with gcc)
# into BUILD_DIR, then runs it for SECONDS on a working corpus in BUILD_DIR
# seeded from tests/fuzz/corpus/TARGET (SECONDS=0: the seed corpus once).
# Crash files go to BUILD_DIR; any crash, leak, sanitizer report or broken
# property fails.
set -eu

[ $# -ge 4 ] || { echo "usage: $0 TARGET SOURCE_ROOT BUILD_DIR SECONDS [--profile P] [SOURCE...]" >&2; exit 2; }
target=$1
src=$2
out=$3
seconds=$4
shift 4
profile=lib
if [ "${1:-}" = --profile ]; then
	profile=$2
	shift 2
fi
if [ $# -gt 0 ]; then
	lib_sources="$*"
else
	lib_sources=$(ls "$src"/lib/*.c)
fi

fail() {
	echo "$*" >&2
	exit 1
}

command -v clang >/dev/null 2>&1 || fail "clang not found: install the Debian package clang"
resdir=$(clang -print-resource-dir)
ls "$resdir"/lib/linux/libclang_rt.fuzzer-*.a >/dev/null 2>&1 ||
	fail "libFuzzer runtime missing in $resdir: install the Debian package libclang-rt-14-dev"
command -v pkg-config >/dev/null 2>&1 || fail "pkg-config not found: install the Debian package pkg-config"
case $profile in
lib)
	# libapm's own dependencies (as in the top-level meson.build).
	dep_cflags=$(pkg-config --cflags json-c libxml-2.0) ||
		fail "json-c or libxml-2.0 not found: install the Debian packages libjson-c-dev libxml2-dev"
	dep_libs=$(pkg-config --libs json-c libxml-2.0)
	inc="-I$src/lib -I$src/tests/fuzz"
	extra_cflags=
	headers="$src/tests/fuzz/fuzz-util.h $src/lib/*.h"
	;;
daemon)
	# The daemon's headers name sd-bus and libudev types; only the parsers link.
	dep_cflags=$(pkg-config --cflags json-c libxml-2.0 libsystemd libudev) ||
		fail "json-c, libxml-2.0, libsystemd or libudev not found: install libjson-c-dev libxml2-dev libsystemd-dev libudev-dev"
	dep_libs=$(pkg-config --libs json-c libxml-2.0 libsystemd)
	inc="-I$src/lib -I$src/daemon -I$src/tests/fuzz -I$out/fuzz-config"
	# daemon/ includes the generated config.h; the parsers need nothing from it.
	mkdir -p "$out/fuzz-config"
	[ -f "$out/fuzz-config/config.h" ] || : >"$out/fuzz-config/config.h"
	extra_cflags=
	headers="$src/tests/fuzz/fuzz-util.h $src/lib/*.h $src/daemon/*.h"
	;;
kernel)
	# As kernel/vfio_ap/meson.build: the shim first, kernel C warnings relaxed.
	dep_cflags=
	dep_libs=-pthread
	inc="-I$src/kernel/sim/include -I$src/kernel/vfio_ap -I$src/kernel/sim -I$src/tests/core"
	extra_cflags="-DVFIO_AP_SIM -Wno-sign-compare -Wno-missing-field-initializers -fno-common -pthread"
	headers="$src/kernel/sim/include/*/*.h $src/kernel/sim/include/*.h $src/kernel/sim/*.h $src/kernel/vfio_ap/*.h $src/tests/core/core-fixture.h"
	;;
*) fail "unknown profile $profile" ;;
esac

main=$src/tests/fuzz/$target.c
[ -f "$main" ] || fail "no such fuzz target: $main"
mkdir -p "$out"
bin=$out/$target

# Rebuild when the binary is missing or older than any source it is made of.
stale=true
if [ -x "$bin" ]; then
	stale=false
	# shellcheck disable=SC2086 # the header globs are meant to expand
	for f in "$main" $headers $lib_sources "$0"; do
		[ "$f" -nt "$bin" ] && stale=true
	done
fi
if $stale; then
	echo "building $bin"
	# shellcheck disable=SC2086 # word splitting of the flag lists is meant
	clang -g -O1 -std=gnu17 -D_GNU_SOURCE -Wall -Werror -Wno-unused-parameter \
		-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
		-fno-omit-frame-pointer $inc $dep_cflags $extra_cflags \
		"$main" $lib_sources $dep_libs -o "$bin.tmp"
	mv "$bin.tmp" "$bin"
fi

seeds=$src/tests/fuzz/corpus/$target
[ -d "$seeds" ] || fail "no seed corpus: $seeds"
corpus=$out/$target-corpus
mkdir -p "$corpus"
rm -f "$out/$target"-crash-* "$out/$target"-leak-* "$out/$target"-timeout-* "$out/$target"-oom-*

export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=1"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:+$UBSAN_OPTIONS:}print_stacktrace=1:halt_on_error=1"

# libFuzzer writes new inputs only to the first corpus directory: the one
# in the build dir. The seeds in the source tree are read only.
rc=0
if [ "$seconds" -gt 0 ]; then
	"$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=4096 \
		-print_final_stats=1 -artifact_prefix="$out/$target-" "$corpus" "$seeds" || rc=$?
else
	"$bin" -timeout=10 -rss_limit_mb=2048 -artifact_prefix="$out/$target-" "$seeds"/* || rc=$?
fi

found=$(ls "$out/$target"-crash-* "$out/$target"-leak-* "$out/$target"-timeout-* \
	"$out/$target"-oom-* 2>/dev/null || true)
if [ "$rc" -ne 0 ] || [ -n "$found" ]; then
	echo "FAIL: $target exited with $rc; reproducer(s):"
	for f in $found; do
		echo "  $f"
		od -c "$f" | head -8
	done
	exit 1
fi
echo "PASS: $target, $(ls "$corpus" | wc -l) inputs in the working corpus"
