# SPDX-License-Identifier: GPL-2.0-or-later
#
# Shared by tests/kernel/kernel-build.sh and tools/make-patch-series (sourced,
# POSIX sh): the dependencies of a Linux 6.12 s390x cross build, and how a
# tree is unpacked from Debian's linux-source-6.12 and configured (s390
# defconfig + VFIO_AP and its dependencies + IOMMUFD + PROVE_LOCKING,
# modules_prepare). The caller sets t_start (for stamp) before sourcing.

kt_tarball=/usr/src/linux-source-6.12.tar.xz

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

stamp() {
	echo "[$(($(date +%s) - t_start))s] $*"
}

# A missing tool or package is a failure that names the Debian package.
need_pkg() {
	pkg=$1
	shift
	for f in "$@"; do
		case "$f" in
		/*) [ -e "$f" ] || fail "$f missing: install the Debian package $pkg (tools/bootstrap does)" ;;
		*) command -v "$f" >/dev/null 2>&1 ||
			fail "$f missing: install the Debian package $pkg (tools/bootstrap does)" ;;
		esac
	done
}

kt_need_build_deps() {
	need_pkg gcc-s390x-linux-gnu s390x-linux-gnu-gcc s390x-linux-gnu-nm s390x-linux-gnu-objcopy
	need_pkg linux-source-6.12 "$kt_tarball"
	need_pkg flex flex
	need_pkg bison bison
	need_pkg bc bc
	need_pkg libelf-dev /usr/include/libelf.h /usr/include/gelf.h
	need_pkg libssl-dev /usr/include/openssl/evp.h
	need_pkg sparse sparse
	need_pkg make make
	need_pkg xz-utils xz
	need_pkg perl perl
}

# The version of the source: part of every cache key.
kt_source_version() {
	dpkg-query -W -f='${Version}' linux-source-6.12 2>/dev/null ||
		stat -c '%s-%Y' "$kt_tarball"
}

# A key for the recipe below: a changed recipe must not reuse a tree that an
# older one prepared.
kt_recipe_key() {
	sed -n '/^# recipe-begin/,/^# recipe-end/p' "$kt_helper" | md5sum | cut -c1-12
}

# make in tree $1 for s390x, rest of the arguments passed on.
kt_make() {
	_kt_tree=$1
	shift
	make -s -j"${KT_JOBS:-$(nproc)}" -C "$_kt_tree" ARCH=s390 CROSS_COMPILE=s390x-linux-gnu- "$@"
}

# recipe-begin
# Unpack the 6.12 source into $1 (which must not exist or be empty) and
# configure it; the tree is $1/linux-source-6.12 afterwards.
kt_prepare_tree() {
	_kt_dir=$1
	_kt_tree=$_kt_dir/linux-source-6.12
	mkdir -p "$_kt_dir"
	stamp "unpacking $kt_tarball into $_kt_dir"
	tar -xJf "$kt_tarball" -C "$_kt_dir"
	[ -f "$_kt_tree/Makefile" ] || fail "$kt_tarball did not unpack into linux-source-6.12/"
	stamp "defconfig"
	kt_make "$_kt_tree" defconfig >/dev/null
	# VFIO_AP needs KVM, VFIO and AP (ZCRYPT selects nothing it needs, but the
	# queue driver binds CEX queues the zcrypt drivers give up); it selects
	# VFIO_MDEV. IOMMUFD as distributions build it: vfio.ko then has the
	# emulated-IOMMU iommufd ops the module's vfio_device_ops name (without
	# it <linux/vfio.h> turns them into NULL and nothing checks them).
	# PROVE_LOCKING makes lockdep's annotations real in the headers.
	"$_kt_tree/scripts/config" --file "$_kt_tree/.config" \
		--module KVM --module IOMMUFD --module VFIO --enable AP --module ZCRYPT \
		--module VFIO_AP \
		--enable DEBUG_KERNEL --enable PROVE_LOCKING
	kt_make "$_kt_tree" olddefconfig >/dev/null
	for opt in KVM IOMMUFD VFIO AP ZCRYPT VFIO_MDEV VFIO_AP PROVE_LOCKING LOCKDEP; do
		grep -qE "^CONFIG_$opt=[ym]\$" "$_kt_tree/.config" ||
			fail "olddefconfig did not keep CONFIG_$opt (got: $(grep "CONFIG_$opt[= ]" "$_kt_tree/.config" || echo unset))"
	done
	stamp "modules_prepare"
	kt_make "$_kt_tree" modules_prepare >/dev/null
}
# recipe-end
