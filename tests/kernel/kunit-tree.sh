# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=sh
#
# Sourced by kunit.sh (kernel-build.sh and make-patch-series share kernel-tree.sh): failing with the Debian package
# to install, timestamps, and the cache of kernel trees unpacked from
# Debian's linux-source-6.12 (APM_KERNEL_CACHE, default
# /var/cache/apmatrixd/kernel-6.12, else ~/.cache/apmatrixd/kernel-6.12).
#
# kernel_tree KIND RECIPE PREPARE_FN [exclusive] sets tree_dir and ktree for
# the tree of that kind, source version and recipe (a hash of the caller's
# recipe text), running PREPARE_FN to make it if it is not there yet. The
# tree is locked on fd 9 until the caller exits: shared (or exclusive, for
# a caller that writes into it) for use, exclusive to prepare it or to
# delete older trees of the same kind. Kinds do not share a lock.

t_start=${t_start:-$(date +%s)}
# fail, stamp and need_pkg are the module build's (src: the source root).
. "$src/tests/kernel/kernel-tree.sh"

tarball=/usr/src/linux-source-6.12.tar.xz
need_pkg linux-source-6.12 "$tarball"
need_pkg xz-utils xz
need_pkg util-linux flock
kver=$(dpkg-query -W -f='${Version}' linux-source-6.12 2>/dev/null) ||
	kver=$(stat -c '%s-%Y' "$tarball")
cache_root=${APM_KERNEL_CACHE:-/var/cache/apmatrixd/kernel-6.12}
if ! mkdir -p "$cache_root" 2>/dev/null || [ ! -w "$cache_root" ]; then
	cache_root=${XDG_CACHE_HOME:-$HOME/.cache}/apmatrixd/kernel-6.12
	mkdir -p "$cache_root" || fail "cannot create a kernel cache directory"
fi

# Unpack the source into $tree_dir (ktree: $tree_dir/linux-source-6.12).
unpack_tree() {
	rm -rf "$tree_dir"
	mkdir -p "$tree_dir"
	stamp "unpacking $tarball into $tree_dir"
	tar -xJf "$tarball" -C "$tree_dir"
	[ -f "$ktree/Makefile" ] || fail "$tarball did not unpack into linux-source-6.12/"
}

kernel_tree() {
	kind=$1
	recipe_hash=$2
	prepare_fn=$3
	use_lock=-s
	[ "${4:-}" = exclusive ] && use_lock=-x
	tree_dir="$cache_root/$kind-$kver-$recipe_hash"
	ktree="$tree_dir/linux-source-6.12"
	exec 9>"$cache_root/.lock-$kind"
	flock $use_lock 9
	if [ -f "$tree_dir/.prepared" ]; then
		stamp "reusing prepared kernel tree $ktree"
		return 0
	fi
	flock -u 9
	flock -x 9
	if [ ! -f "$tree_dir/.prepared" ]; then
		# Older trees of this kind nobody will use again: 1 GB and more each.
		for old in "$cache_root/$kind"-*; do
			[ -d "$old" ] && [ "$old" != "$tree_dir" ] && rm -rf "$old"
		done
		"$prepare_fn"
		touch "$tree_dir/.prepared"
		stamp "kernel tree prepared"
	else
		stamp "reusing kernel tree $ktree prepared meanwhile by another run"
	fi
	[ "$use_lock" = -x ] || flock -s 9
}
