#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# A state directory that refuses writes never gets a change acknowledged:
# read-only (a real tmpfs remounted ro), full (a real 256 KiB tmpfs filled
# up) and EIO (injected, for the definitions only, so that it strikes after
# the kernel writes; and for every write). Each mutation fails with
# org.apmatrix1.Error.Storage naming path and errno, and changes nothing in
# the kernel, the definitions or the daemon; reads keep working; Health says
# what is wrong and, when the disk is back, returns to "ok" by itself
# (PropertiesChanged), after which the same calls succeed and survive kill -9.
. "$APM_SOURCE_ROOT/tests/dbus/lib.sh"
apm_enter_ns "$0" "$@"
apm_setup
mkdir -p "$STATE_DIR"
mount -t tmpfs -o size=256k,mode=755 apm-state "$STATE_DIR" || bail "cannot mount a tmpfs"
apm_sim_start
apm_bus_start
export APMATRIXD_TEST_STORE_FAULT_FILE="$T/fault"
apm_daemon_start

U1=dddddddd-0000-4000-8000-000000000001
U2=dddddddd-0000-4000-8000-000000000002
U3=dddddddd-0000-4000-8000-000000000003
M=$SYSFS_ROOT/devices/vfio_ap/matrix
call Reserve string:domain array:uint32:0,1,2,3,4,5,6,7 uint64:0 >/dev/null
call DefineDevice string:$U1 string:'{"adapters":[2],"domains":[0]}' uint64:0 >/dev/null
call StartDevice string:$U1 uint64:0 >/dev/null
monitor_start

health() {
	busctl --system get-property org.apmatrix1 /org/apmatrix1 org.apmatrix1.Manager Health |
		sed 's/^s "\(.*\)"$/\1/'
}
# refused DESCRIPTION ERRNO-TEXT METHOD ARG...: Error.Storage naming the text, nothing changed.
refused() {
	desc=$1
	text=$2
	shift 2
	before=$(snapshot)
	if out=$(call "$@"); then
		not_ok "$desc (succeeded: $out)"
		return
	fi
	case "$out" in
	"ERROR org.apmatrix1.Error.Storage: cannot write $STATE_DIR/"*"$text"*) ok "$desc: ${out#ERROR }" ;;
	*) not_ok "$desc (got: $out)" ;;
	esac
	check "$desc: nothing changed" same_snapshot "$before"
	check "$desc: no journal and no temp file left" \
		test -z "$(ls -A "$STATE_DIR/devices" | grep '^\.')" -a ! -e "$STATE_DIR/journal.json"
}
healed() { # healed DESCRIPTION: wait for Health to become "ok" again
	if wait_signal 'string "ok"'; then ok "$1"; else not_ok "$1 (Health: $(health))"; fi
}
define_u() { # define_u UUID DOMAIN
	call DefineDevice string:$1 string:"{\"adapters\":[3],\"domains\":[$2]}" uint64:0
}

# --- read-only
monitor_mark
mount -o remount,ro "$STATE_DIR"
refused "DefineDevice on a read-only state directory" "Read-only file system (errno 30)" \
	DefineDevice string:$U2 string:'{"adapters":[3],"domains":[1]}' uint64:0
refused "Assign to a running device on a read-only state directory" "(errno 30)" \
	Assign string:$U1 string:domain array:uint32:1 uint64:0
refused "UndefineDevice on a read-only state directory" "(errno 30)" \
	UndefineDevice string:$U1 uint64:0
check "reads keep working" call ListDevices
check "GetState reports the storage as degraded" \
	sh -c "$(command -v dbus-send) --system --print-reply --dest=org.apmatrix1 /org/apmatrix1 \
		org.apmatrix1.Manager.GetState | grep -q 'health.*degraded'"
check "the Health property names the problem" sh -c "busctl --system get-property org.apmatrix1 \
	/org/apmatrix1 org.apmatrix1.Manager Health | grep -q 'degraded: $STATE_DIR.*Read-only'"
mount -o remount,rw "$STATE_DIR"
healed "Health returns to ok when the directory is writable again, without a restart"
check "DefineDevice succeeds then" define_u $U2 1
check "Assign succeeds then" call Assign string:$U1 string:domain array:uint32:1 uint64:0
apm_daemon_kill9
apm_daemon_start
check "both survive kill -9: U2 is defined" test -f "$STATE_DIR/devices/$U2.json"
check "and U1 has domain 1 in its definition and in the kernel" \
	sh -c "jq -e '.domains == [0,1]' '$STATE_DIR/devices/$U1.json' && grep -qx 02.0001 '$M/$U1/matrix'"
monitor_stop
monitor_start

# --- full
monitor_mark
dd if=/dev/zero of="$STATE_DIR/filler" bs=4k 2>/dev/null || true
refused "DefineDevice on a full state directory" "No space left on device (errno 28)" \
	DefineDevice string:$U3 string:'{"adapters":[3],"domains":[2]}' uint64:0
refused "Assign on a full state directory" "(errno 28)" \
	Assign string:$U1 string:domain array:uint32:2 uint64:0
rm -f "$STATE_DIR/filler"
healed "Health returns to ok when space is freed"
check "DefineDevice succeeds then" define_u $U3 2

# --- EIO on the definitions only: the kernel is written, then put back
monitor_mark
echo "EIO devices" >"$T/fault"
refused "Assign when the definitions cannot be saved" "Input/output error (errno 5)" \
	Assign string:$U1 string:domain array:uint32:3 uint64:0
check "the kernel write was made and undone (journal settled back)" \
	grep -q "Journal of an interrupted batch found: rolled back" "$T/daemon.log"
check "U1's kernel matrix has no domain 3" sh -c "! grep -q 02.0003 '$M/$U1/matrix'"
# --- EIO on everything: the journal cannot be written, the kernel is not touched
echo EIO >"$T/fault"
refused "Assign when nothing can be written" "journal.json: Input/output error (errno 5)" \
	Assign string:$U1 string:domain array:uint32:3 uint64:0
rm -f "$T/fault"
healed "Health returns to ok when the I/O errors stop"
check "Assign succeeds then" call Assign string:$U1 string:domain array:uint32:3 uint64:0
check "U1's kernel matrix has domain 3" grep -qx 02.0003 "$M/$U1/matrix"
check "the daemon's state has no drift" \
	test "$(state | jq '[.devices[] | select(.drift)] | length')" -eq 0
monitor_stop
tap_done
