#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Cross-builds kernel/vfio_ap as an out-of-tree module for Linux 6.12 s390x and
# holds it to the kernel's own standards:
#   1. the kernel tree (Debian linux-source-6.12) is unpacked into a cache
#      directory, configured (s390 defconfig + VFIO_AP and its dependencies +
#      IOMMUFD + PROVE_LOCKING) and modules_prepare'd - once; later runs
#      reuse it;
#   2. the module builds with W=1 KCFLAGS=-Werror through its Makefile, and
#      installs into updates/;
#   3. it builds with the dkms.conf recipe, and sparse (C=1) reports nothing
#      on that build;
#   4. checkpatch.pl --strict --no-tree is clean on every C/H file;
#   5. every symbol vfio_ap.ko imports is exported by a part of the 6.12 tree
#      that this configuration builds (tests/kernel/check-imports.py).
#
# A missing tool or package is a failure that names the Debian package, never a
# skip. Usage: kernel-build.sh SOURCE_ROOT WORK_DIR
set -eu

src=$(cd "${1:?source root}" && pwd)
work=${2:?work dir}
mod_src="$src/kernel/vfio_ap"
t_start=$(date +%s)

kt_helper="$src/tests/kernel/kernel-tree.sh"
. "$kt_helper"

# --- dependencies: name the package, never skip -----------------------------
kt_need_build_deps
need_pkg util-linux flock
need_pkg python3 python3

[ -f "$mod_src/Kbuild" ] || fail "$mod_src/Kbuild missing: nothing to build"

# --- the prepared kernel tree, cached ----------------------------------------
kver=$(kt_source_version)
recipe=$(kt_recipe_key)
cache_root=${APM_KERNEL_CACHE:-/var/cache/apmatrixd/kernel-6.12}
if ! mkdir -p "$cache_root" 2>/dev/null || [ ! -w "$cache_root" ]; then
	cache_root=${XDG_CACHE_HOME:-$HOME/.cache}/apmatrixd/kernel-6.12
	mkdir -p "$cache_root" || fail "cannot create a kernel cache directory"
fi
tree_dir="$cache_root/$kver-$recipe"
ktree="$tree_dir/linux-source-6.12"
kmake() {
	kt_make "$ktree" "$@"
}

prepare_tree() {
	rm -rf "$tree_dir"
	kt_prepare_tree "$tree_dir"
	touch "$tree_dir/.prepared"
}

# Lock protocol on $cache_root/.lock: every run holds it shared while it
# uses a tree (until it exits: fd 9 stays open); preparing a tree, and
# deleting trees of other keys, needs it exclusive - so no tree disappears
# under a build that reads it.
exec 9>"$cache_root/.lock"
flock -s 9
if [ -f "$tree_dir/.prepared" ]; then
	stamp "reusing prepared kernel tree $ktree"
else
	flock -u 9
	flock -x 9
	if [ ! -f "$tree_dir/.prepared" ]; then
		# Older keys are trees nobody will use again: 1.4 GB each. Only this
		# script's ("<version>-<recipe>"): kunit.sh's "kunit-*" trees share the
		# cache directory under a lock of their own and may be in use.
		for old in "$cache_root"/[0-9]*; do
			[ -d "$old" ] && [ "$old" != "$tree_dir" ] && rm -rf "$old"
		done
		prepare_tree
		stamp "kernel tree prepared"
	else
		stamp "reusing kernel tree $ktree prepared meanwhile by another run"
	fi
	flock -s 9
fi

# The prepared tree must have what an external module build reads.
for f in .config include/generated/autoconf.h include/config/auto.conf \
	scripts/mod/modpost scripts/basic/fixdep arch/s390/include/generated/asm/syscall_table.h; do
	[ -e "$ktree/$f" ] || fail "prepared tree lacks $f (remove $tree_dir and rerun)"
done

# --- build copies of the module sources outside the source tree --------------
rm -rf "$work"
mkdir -p "$work"
copy_sources() {
	mkdir -p "$1"
	(cd "$mod_src" && find . -maxdepth 1 \( -name '*.c' -o -name '*.h' -o -name Kbuild -o -name Makefile \) \
		-exec cp {} "$1/" \;)
}
nsrc=$(find "$mod_src" -maxdepth 1 -name '*.c' | wc -l)
[ "$nsrc" -gt 0 ] || fail "no C sources in $mod_src"

# Messages that are expected without a vmlinux build and only those: modpost
# cannot know the kernel's exports (step 5 checks them instead).
filter_expected() {
	grep -v -E '^WARNING: modpost: ("[A-Za-z0-9_.]+" \[[^]]*vfio_ap\.ko\] undefined!|suppressed [0-9]+ unresolved symbol warnings because there were too many\))$' |
		grep -v -E '^WARNING: Module.symvers is missing.$' |
		grep -v -E '^ +(Modules may not have dependencies or modversions\.|You may get many unresolved symbol errors\.|You can set KBUILD_MODPOST_WARN=1 to turn errors into warning|if you want to proceed at your own risk\.)$' |
		grep -v -E '^\s*$' || true
}

stamp "building vfio_ap.ko ($nsrc C files) with W=1 KCFLAGS=-Werror through kernel/vfio_ap/Makefile"
copy_sources "$work/w1"
if ! make -s -j"$(nproc)" -C "$work/w1" KDIR="$ktree" ARCH=s390 CROSS_COMPILE=s390x-linux-gnu- \
	W=1 KCFLAGS=-Werror KBUILD_MODPOST_WARN=1 >"$work/w1.log" 2>&1; then
	cat "$work/w1.log"
	fail "W=1 -Werror build failed"
fi
unexpected=$(filter_expected <"$work/w1.log")
if [ -n "$unexpected" ]; then
	echo "$unexpected"
	fail "W=1 build printed warnings"
fi
[ -f "$work/w1/vfio_ap.ko" ] || fail "build did not produce vfio_ap.ko"
# Every C file of kernel/vfio_ap must be linked into vfio_ap.ko.
for c in "$work"/w1/*.c; do
	case "$c" in *.mod.c) continue ;; esac
	grep -qx "$work/w1/$(basename "$c" .c).o" "$work/w1/vfio_ap.mod" ||
		fail "$(basename "$c") is not linked into vfio_ap.ko (see Kbuild)"
done
# The module must say what it is: license (GPL-only exports) and description.
modinfo_txt=$(s390x-linux-gnu-objcopy -O binary --only-section=.modinfo "$work/w1/vfio_ap.ko" /dev/stdout | tr '\0' '\n')
echo "$modinfo_txt" | grep -qx 'license=GPL' || fail "vfio_ap.ko has no MODULE_LICENSE(\"GPL\")"
echo "$modinfo_txt" | grep -q '^description=.' || fail "vfio_ap.ko has no MODULE_DESCRIPTION"
# What only the user-space build needs (kernel/sim: the benchmarks'
# upstream-cost baseline, apsim's mdev create/destroy) stays out of the module.
simsyms=$(s390x-linux-gnu-nm "$work/w1/vfio_ap.ko" | grep -E ' (vfio_ap_bench_|vfio_ap_sim_|vfio_ap_mdev_(create|destroy))|upstream' || true)
[ -z "$simsyms" ] || { echo "$simsyms"; fail "vfio_ap.ko carries user-space-only code"; }

stamp "modules_install into updates/"
# Signing needs the distribution's key, which a host-side build never has:
# the host signs with its own key (README). Without CONFIG_MODULE_SIG_ALL the
# install step does not try.
krel=$(cat "$ktree/include/config/kernel.release")
make -s -C "$work/w1" KDIR="$ktree" ARCH=s390 CROSS_COMPILE=s390x-linux-gnu- \
	INSTALL_MOD_PATH="$work/root" CONFIG_MODULE_SIG_ALL= modules_install >"$work/install.log" 2>&1 ||
	{ cat "$work/install.log"; fail "modules_install failed"; }
[ -f "$work/root/lib/modules/$krel/updates/vfio_ap.ko" ] ||
	{ find "$work/root" -type f; fail "modules_install did not put vfio_ap.ko into lib/modules/$krel/updates/"; }
cmp -s "$work/w1/vfio_ap.ko" "$work/root/lib/modules/$krel/updates/vfio_ap.ko" ||
	fail "installed vfio_ap.ko differs from the built one"

stamp "dkms.conf recipe, with sparse (C=1)"
# dkms sources dkms.conf in bash with these variables set and runs MAKE[0]
# in its build directory; do the same (dkms itself is not needed for that).
# This second build of the module is also the sparse pass: C=1 V=1 on the
# recipe's command line; V=1 prints the commands on stdout (to prove sparse
# ran on every file), diagnostics go to stderr.
[ -f "$mod_src/dkms.conf" ] || fail "kernel/vfio_ap/dkms.conf missing"
dkms_tree="$work/dkms"
mkdir -p "$dkms_tree/src"
copy_sources "$dkms_tree/src"
dkms_out=$(kernelver="$krel" kernel_source_dir="$ktree" dkms_tree="$dkms_tree" \
	AP_BUS_DIR="$ktree/drivers/s390/crypto" bash -c '
	set -eu
	. "$1"
	build="$dkms_tree/$PACKAGE_NAME/$PACKAGE_VERSION/build"
	mkdir -p "${build%/build}"
	mv "$dkms_tree/src" "$build"
	echo "name=${BUILT_MODULE_NAME[0]} dest=${DEST_MODULE_LOCATION[0]} arch=$BUILD_EXCLUSIVE_ARCH"
	echo "build=$build"
	echo "s390x" | grep -qE "$BUILD_EXCLUSIVE_ARCH"
	ARCH=s390 CROSS_COMPILE=s390x-linux-gnu- KBUILD_MODPOST_WARN=1 \
		${MAKE[0]} -j"$(nproc)" C=1 V=1 >"$dkms_tree/make.cmds" 2>"$dkms_tree/make.log" ||
		{ cat "$dkms_tree/make.log"; exit 1; }
	ls "$build/${BUILT_MODULE_NAME[0]}.ko"
	' sh "$mod_src/dkms.conf") || { echo "$dkms_out"; fail "building with the dkms.conf recipe failed"; }
echo "$dkms_out" | grep -q '^name=vfio_ap dest=/updates' ||
	{ echo "$dkms_out"; fail "dkms.conf must build vfio_ap into /updates"; }
dkms_build=$(echo "$dkms_out" | sed -n 's/^build=//p')
unexpected=$(filter_expected <"$dkms_tree/make.log")
if [ -n "$unexpected" ]; then
	echo "$unexpected"
	fail "sparse reported problems"
fi
for c in "$dkms_build"/*.c; do
	case "$c" in *.mod.c) continue ;; esac
	grep -E "^ *sparse .* $c\$" "$dkms_tree/make.cmds" >/dev/null ||
		fail "C=1 did not run sparse on $(basename "$c")"
done

stamp "checkpatch --strict"
# One checkpatch per file, as many at once as there are CPUs.
mkdir -p "$work/checkpatch"
for f in "$mod_src"/*.c "$mod_src"/*.h; do
	[ -f "$f" ] && echo "$f"
done | xargs -r -P "$(nproc)" -I{} sh -c \
	'perl "$1/scripts/checkpatch.pl" --strict --no-tree --quiet --show-types -f "$2" \
		>"$3/$(basename "$2").log" 2>&1 || echo "exit status $?" >>"$3/$(basename "$2").log"' \
	sh "$ktree" {} "$work/checkpatch"
cp_fail=0
for log in "$work"/checkpatch/*.log; do
	if [ -s "$log" ]; then
		cat "$log"
		cp_fail=$((cp_fail + 1))
	fi
done
ncp=$(find "$work/checkpatch" -name '*.log' | wc -l)
[ "$ncp" -eq "$(find "$mod_src" -maxdepth 1 \( -name '*.c' -o -name '*.h' \) | wc -l)" ] ||
	fail "checkpatch ran on $ncp files only"
[ "$cp_fail" -eq 0 ] || fail "checkpatch.pl --strict: $cp_fail file(s) not clean"
# checkpatch tolerates C99 comments nowadays; the project's kernel style does
# not (only the SPDX line of a .c file).
c99=$(grep -n -E '^[[:space:]]*//|[;{}][[:space:]]*//' "$mod_src"/*.c "$mod_src"/*.h 2>/dev/null |
	grep -v -E '^[^:]+\.c:1:// SPDX-License-Identifier:' || true)
[ -z "$c99" ] || { echo "$c99"; fail "C99 // comments in kernel/vfio_ap"; }

stamp "import check"
# It writes nothing into the shared tree (see TreeCompiler): no lock needed.
python3 "$src/tests/kernel/check-imports.py" --tree "$ktree" --nm s390x-linux-gnu-nm \
	--objcopy s390x-linux-gnu-objcopy "$work/w1/vfio_ap.ko" ||
	fail "vfio_ap.ko imports symbols the 6.12 tree does not export"

# Every checker must be able to fail. One planted module carries a problem
# for each: a W=1-only warning (-Wunused-const-variable), a sparse-only
# complaint (plain 0 as a NULL pointer), a new typedef for checkpatch, and
# three imports: one the tree does not export (sched_setscheduler lost its
# export in 5.9), one namespaced export without MODULE_IMPORT_NS (dma_buf_fd,
# DMA_BUF) and two good ones: a GPL export from a module (kvm_s390_gisc_register
# in kvm.ko) and an export from assembler (memcpy, arch/s390/lib/mem.S). The W=1 -Werror build must fail, sparse must speak, checkpatch must
# object, and the import check must report exactly the first two imports.
stamp "self-test: planted problems"
mkdir -p "$work/plant"
cat >"$work/plant/plant.c" <<'PLANT'
// SPDX-License-Identifier: GPL-2.0-or-later
#include <linux/dma-buf.h>
#include <linux/kvm_host.h>
#include <linux/module.h>
#include <linux/sched.h>
#include <linux/string.h>

static const int plant_unused_const = 1;

typedef struct {
	int planted;
} plant_t;

static int __init plant_init(void)
{
	char a[8] = { 0 }, b[8];
	int *p = 0;

	memcpy(b, a, current->pid & 7);
	return sched_setscheduler(current, 0, NULL) + dma_buf_fd(NULL, 0) +
	       kvm_s390_gisc_register(NULL, 0) + (p ? 1 : 0) + b[0];
}
module_init(plant_init);
MODULE_LICENSE("GPL");
PLANT
echo 'obj-m := plant.o' >"$work/plant/Kbuild"
cp -r "$work/plant" "$work/plant-w1"
if kmake M="$work/plant-w1" W=1 KCFLAGS=-Werror KBUILD_MODPOST_WARN=1 modules >"$work/plant-w1.log" 2>&1; then
	fail "W=1 KCFLAGS=-Werror accepted an unused const variable"
fi
grep -q 'unused-const-variable' "$work/plant-w1.log" ||
	{ cat "$work/plant-w1.log"; fail "W=1 self-test failed for another reason than the planted warning"; }
kmake M="$work/plant" C=1 KBUILD_MODPOST_WARN=1 modules >"$work/plant-sparse.log" 2>&1 ||
	{ cat "$work/plant-sparse.log"; fail "planted module did not build"; }
grep -q 'Using plain integer as NULL pointer' "$work/plant-sparse.log" ||
	{ cat "$work/plant-sparse.log"; fail "sparse did not report the planted plain-integer NULL pointer"; }
if perl "$ktree/scripts/checkpatch.pl" --strict --no-tree --quiet --show-types -f "$work/plant/plant.c" \
	>"$work/plant-checkpatch.log" 2>&1 || ! grep -q NEW_TYPEDEFS "$work/plant-checkpatch.log"; then
	cat "$work/plant-checkpatch.log"
	fail "checkpatch did not reject the planted typedef"
fi
if python3 "$src/tests/kernel/check-imports.py" --tree "$ktree" \
	--nm s390x-linux-gnu-nm --objcopy s390x-linux-gnu-objcopy "$work/plant/plant.ko" \
	>"$work/plant-imports.log" 2>&1; then
	cat "$work/plant-imports.log"
	fail "import check accepted a module with a non-exported and a namespaced import"
fi
got=$(grep '^FAIL' "$work/plant-imports.log" | awk '{print $2}' | sort | tr '\n' ' ')
[ "$got" = "dma_buf_fd sched_setscheduler " ] || {
	cat "$work/plant-imports.log"
	fail "import check self-test: expected failures 'dma_buf_fd sched_setscheduler', got '$got'"
}
for good in kvm_s390_gisc_register memcpy; do
	grep -q "^ok   $good " "$work/plant-imports.log" ||
		{ cat "$work/plant-imports.log"; fail "import check self-test: $good not accepted"; }
done

stamp "done"
