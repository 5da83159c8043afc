#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The vfio_ap core in a real 6.12 s390x kernel under qemu-system-s390x (TCG),
# and vfio_ap.ko loaded into that kernel. One kernel build serves both:
#   1. Debian's linux-source-6.12 is unpacked into the kernel cache once
#      (kunit-tree.sh), with drivers/s390/crypto/vfio_ap_kunit/ and its
#      Kconfig entry added; the core files and kernel/vfio_ap/kunit/ are
#      copied in on every run (unchanged files keep their time stamps, so
#      a warm build recompiles only what changed);
#   2. tools/testing/kunit/kunit.py run --arch=s390 builds the kernel from
#      kunit.py's minimal s390 config plus kernel/vfio_ap/kunit/.kunitconfig
#      (PROVE_LOCKING, DEBUG_ATOMIC_SLEEP, DEBUG_OBJECTS, KASAN, and what
#      vfio_ap.ko needs) and runs the suites vfio_ap_attrs and vfio_ap_apcb
#      at boot; every case must pass and the console must have no splat;
#      W=1, sparse and checkpatch --strict must be clean on kunit/;
#   3. vfio_ap.ko is built against that kernel (modpost with its
#      Module.symvers: every import must resolve), put into an initramfs
#      with a static /init (load-init.c on the tree's nolibc), and the same
#      kernel boots it with kunit.enable=0: the module must load and
#      unload, or be refused cleanly (ENODEV: TCG has no AP instructions),
#      with nothing left behind and no splat on the console.
#
# Usage: kunit.sh SOURCE_ROOT WORK_DIR. A missing tool, qemu-system-s390x
# included, fails naming its package (tools/bootstrap installs them all):
# never a skip. APM_KUNIT_FILTER (a kunit.py --filter_glob, e.g.
# 'vfio_ap_attrs.*') runs a part of the suites.
set -eu

src=$(cd "${1:?source root}" && pwd)
work=${2:?work dir}
mkdir -p "$work"
work=$(cd "$work" && pwd)
mod_src="$src/kernel/vfio_ap"
# fail, stamp, need_pkg, the tree cache (kernel_tree)
. "$src/tests/kernel/kunit-tree.sh"

need_pkg qemu-system-misc qemu-system-s390x
need_pkg gcc-s390x-linux-gnu s390x-linux-gnu-gcc
need_pkg gcc gcc
need_pkg flex flex
need_pkg bison bison
need_pkg bc bc
need_pkg libelf-dev /usr/include/libelf.h
need_pkg libssl-dev /usr/include/openssl/evp.h
need_pkg make make
need_pkg python3 python3
need_pkg coreutils timeout
need_pkg sparse sparse
need_pkg perl perl

# Lines of a console log that are a splat: lockdep, KASAN, DEBUG_OBJECTS,
# DEBUG_ATOMIC_SLEEP, WARN, BUG, oops, panic.
splats() {
	grep -E 'WARNING:|BUG:|Oops|Kernel panic|Call Trace:|possible recursive locking|possible circular locking|inconsistent lock state|suspicious RCU usage|DEBUG_LOCKS_WARN_ON|turning off the locking correctness validator|sleeping function called from invalid context|ODEBUG:|UBSAN:|INFO: task .* blocked' "$1" || true
}

# The detector must see a splat of each kind it claims to.
cat >"$work/planted.log" <<'EOF'
[    1.0] ======================================================
[    1.0] WARNING: possible circular locking dependency detected
[    1.1] BUG: KASAN: slab-use-after-free in vfio_ap_core_set_kvm+0x10/0x20
[    1.2] BUG: sleeping function called from invalid context at kernel/locking/mutex.c:283
[    1.3] ODEBUG: free active (active state 0) object: 000000001234 object type: timer_list
[    1.4] WARNING: CPU: 0 PID: 1 at drivers/s390/crypto/vfio_ap_kunit/vfio_ap_matrix.c:88
EOF
[ "$(splats "$work/planted.log" | wc -l)" -eq 5 ] || fail "the splat detector missed a planted splat"

# recipe-begin
prepare_tree() {
	unpack_tree
	mkdir -p "$ktree/drivers/s390/crypto/vfio_ap_kunit"
	echo 'source "drivers/s390/crypto/vfio_ap_kunit/Kconfig"' >>"$ktree/arch/s390/Kconfig"
	# shellcheck disable=SC2016 # make syntax
	echo 'obj-$(CONFIG_VFIO_AP_KUNIT_TEST) += vfio_ap_kunit/' >>"$ktree/drivers/s390/crypto/Makefile"
}
# recipe-end

# Exclusive: the run writes the build directory inside the tree's cache entry.
recipe=$(sed -n '/^# recipe-begin/,/^# recipe-end/p' "$0" | md5sum | cut -c1-12)
kernel_tree kunit "$recipe" prepare_tree exclusive
out="$tree_dir/out"
kdir="$ktree/drivers/s390/crypto/vfio_ap_kunit"

# Copy a file only when it changed: make sees the old time stamp otherwise.
sync_file() {
	cmp -s "$1" "$2/$(basename "$1")" || cp "$1" "$2/"
}
for f in "$mod_src"/vfio_ap_apcb.c "$mod_src"/vfio_ap_attrs.c "$mod_src"/vfio_ap_batch.c \
	"$mod_src"/vfio_ap_bus.c "$mod_src"/vfio_ap_filter.c "$mod_src"/vfio_ap_kvm.c \
	"$mod_src"/vfio_ap_matrix.c "$mod_src"/vfio_ap_core.h "$mod_src"/vfio_ap_internal.h \
	"$mod_src"/vfio_ap_trace.h "$mod_src"/kunit/*.c "$mod_src"/kunit/*.h \
	"$mod_src"/kunit/Kconfig "$mod_src"/kunit/Makefile; do
	sync_file "$f" "$kdir"
done

# --- KUnit --------------------------------------------------------------------
stamp "kunit.py run (build of the KUnit kernel, then the suites under qemu-system-s390x)"
filter=${APM_KUNIT_FILTER:-vfio_ap_*}
rc=0
(cd "$ktree" && nice -n 10 python3 tools/testing/kunit/kunit.py run --arch=s390 \
	--cross_compile=s390x-linux-gnu- --build_dir="$out" \
	--kunitconfig="$mod_src/kunit/.kunitconfig" --jobs="$(nproc)" --timeout=900 \
	"$filter") >"$work/kunit.log" 2>&1 || rc=$?
grep -E 'Elapsed time|Testing complete|FAILED|CRASHED|ERROR' "$work/kunit.log" || true
[ -f "$out/test.log" ] || { cat "$work/kunit.log"; fail "kunit.py did not boot the kernel"; }
cp "$out/test.log" "$work/kunit-console.log"
if [ "$rc" -ne 0 ]; then
	sed -n '/Starting KUnit Kernel/,$p' "$work/kunit.log" | tail -80
	fail "kunit.py run failed (exit $rc): $work/kunit.log, console in $work/kunit-console.log"
fi
# Both suites must have run, and all their cases (a suite that did not
# register would pass kunit.py silently).
for suite in vfio_ap_attrs vfio_ap_apcb; do
	case "$suite" in
	$filter | ${filter%%.*}) ;;
	*) continue ;;
	esac
	grep -qE "^ *ok [0-9]+ $suite\$" "$work/kunit-console.log" ||
		fail "suite $suite did not pass (console: $work/kunit-console.log)"
done
npass=$(grep -cE '^ +ok [0-9]+ ' "$work/kunit-console.log" || true)
stamp "KUnit: $npass cases passed"
bad=$(splats "$work/kunit-console.log")
[ -z "$bad" ] || { echo "$bad"; fail "splat on the console of the KUnit run ($work/kunit-console.log)"; }

# The suite's own files to the module's standards (kernel-build.sh holds
# the module's files to them, and proves each checker can fail): W=1 and
# sparse on the directory as built in, checkpatch --strict.
stamp "W=1, sparse (C=2) and checkpatch --strict on kernel/vfio_ap/kunit"
make -s -C "$ktree" O="$out" ARCH=s390 CROSS_COMPILE=s390x-linux-gnu- -j"$(nproc)" W=1 C=2 \
	drivers/s390/crypto/vfio_ap_kunit/ >"$work/kunit-w1.log" 2>&1 ||
	{ cat "$work/kunit-w1.log"; fail "W=1 C=2 build of vfio_ap_kunit failed"; }
[ ! -s "$work/kunit-w1.log" ] || { cat "$work/kunit-w1.log"; fail "W=1 or sparse warned on vfio_ap_kunit"; }
for f in "$mod_src"/kunit/*.c "$mod_src"/kunit/*.h; do
	perl "$ktree/scripts/checkpatch.pl" --strict --no-tree --quiet --show-types -f "$f" ||
		fail "checkpatch.pl --strict: $f not clean"
done

# --- vfio_ap.ko, built against this kernel ------------------------------------
stamp "building vfio_ap.ko against the KUnit kernel"
rm -rf "$work/mod"
mkdir -p "$work/mod"
(cd "$mod_src" && cp ./*.c ./*.h Kbuild Makefile "$work/mod/")
make -s -j"$(nproc)" -C "$out" M="$work/mod" ARCH=s390 CROSS_COMPILE=s390x-linux-gnu- \
	modules >"$work/mod.log" 2>&1 || { cat "$work/mod.log"; fail "vfio_ap.ko did not build"; }
# With the kernel's Module.symvers modpost knows every export: nothing to filter.
if grep -q . "$work/mod.log"; then
	cat "$work/mod.log"
	fail "building vfio_ap.ko against the KUnit kernel printed warnings"
fi

# --- /init and the initramfs --------------------------------------------------
stamp "initramfs: static /init on nolibc"
make -s -C "$out" ARCH=s390 CROSS_COMPILE=s390x-linux-gnu- headers_install \
	INSTALL_HDR_PATH="$work/sysroot" >"$work/headers.log" 2>&1 ||
	{ cat "$work/headers.log"; fail "headers_install failed"; }
s390x-linux-gnu-gcc -Os -static -nostdlib -fno-stack-protector -fno-asynchronous-unwind-tables \
	-Wall -Wextra -Werror -I"$work/sysroot/include" \
	-include "$ktree/tools/include/nolibc/nolibc.h" -o "$work/init" "$src/tests/kernel/load-init.c" \
	-lgcc || fail "load-init.c did not build"
gcc -O1 -o "$work/gen_init_cpio" "$ktree/usr/gen_init_cpio.c" || fail "gen_init_cpio did not build"
cat >"$work/initramfs.list" <<EOF
dir /dev 0755 0 0
nod /dev/console 0600 0 0 c 5 1
dir /proc 0755 0 0
dir /sys 0755 0 0
file /init $work/init 0755 0 0
file /vfio_ap.ko $work/mod/vfio_ap.ko 0644 0 0
EOF
"$work/gen_init_cpio" "$work/initramfs.list" >"$work/initramfs.cpio" ||
	fail "gen_init_cpio failed"

# --- the module-load boot -----------------------------------------------------
stamp "booting the KUnit kernel (kunit.enable=0) to load vfio_ap.ko"
timeout 600 qemu-system-s390x -nodefaults -m 1024 -machine s390-ccw-virtio -cpu qemu \
	-nographic -serial stdio -no-reboot -kernel "$out/arch/s390/boot/bzImage" \
	-initrd "$work/initramfs.cpio" -append "console=ttyS0 kunit.enable=0 panic=-1" \
	</dev/null >"$work/load-console.log" 2>&1 || {
	tail -40 "$work/load-console.log"
	fail "qemu-system-s390x failed or timed out (console: $work/load-console.log)"
}
grep 'vfio_ap-load:' "$work/load-console.log" | tr -d '\r' || true
grep -q 'vfio_ap-load: verdict: PASS' "$work/load-console.log" ||
	{ tail -40 "$work/load-console.log"; fail "the module-load boot did not pass"; }
bad=$(splats "$work/load-console.log")
[ -z "$bad" ] || { echo "$bad"; fail "splat on the console of the module-load boot"; }
stamp "done"
