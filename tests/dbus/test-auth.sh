#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Reads are open; every mutation from an unprivileged sender (nobody, via
# setpriv) is org.freedesktop.DBus.Error.AccessDenied and changes nothing.
. "$APM_SOURCE_ROOT/tests/dbus/lib.sh"
apm_enter_ns "$0" "$@"
apm_start_all

U1=cccccccc-0000-4000-8000-000000000001
call DefineDevice string:$U1 string:'{"adapters":[2],"domains":[0]}' uint64:0 >/dev/null
call StartDevice string:$U1 uint64:0 >/dev/null
before=$(snapshot)

check "nobody may GetState" call_as_nobody GetState
check "nobody may GetDevice" call_as_nobody GetDevice string:$U1
check "nobody may ListDevices" call_as_nobody ListDevices
check "nobody may ExportGuest" call_as_nobody ExportGuest string:$U1
check "nobody may CheckMigration" call_as_nobody CheckMigration string:"$(call ExportGuest string:$U1)"
path=$(call GetDevice string:$U1)
check "nobody may read Device properties" \
	setpriv --reuid=nobody --regid=nogroup --clear-groups \
	busctl --system get-property org.apmatrix1 "$path" org.apmatrix1.Device State

denied() { # denied METHOD ARGS...
	if out=$(call_as_nobody "$@"); then
		not_ok "$1 as nobody succeeded"
		return
	fi
	case "$out" in
	"ERROR org.freedesktop.DBus.Error.AccessDenied:"*) ok "$1 as nobody: AccessDenied" ;;
	*) not_ok "$1 as nobody (got: $out)" ;;
	esac
}
denied DefineDevice string: string:'{"adapters":[3],"domains":[1]}' uint64:0
denied UndefineDevice string:$U1 uint64:0
denied StartDevice string:$U1 uint64:0
denied StopDevice string:$U1 uint64:0
denied Assign string:$U1 string:domain array:uint32:1 uint64:0
denied Unassign string:$U1 string:domain array:uint32:0 uint64:0
denied Apply string:"{\"devices\":[{\"uuid\":\"$U1\",\"adapters\":[3]}]}" uint64:0
denied Reserve string:adapter array:uint32:0 uint64:0
denied Release string:adapter array:uint32:3 uint64:0
denied PrepareMigration string:"$(call ExportGuest string:$U1)"
denied PrepareMigration string:'not even JSON'
denied Assign string:$U1 string:domain array:uint32:1 uint64:1
check "denied calls changed nothing" same_snapshot "$before"
check "root still may mutate" call Assign string:$U1 string:domain array:uint32:1 uint64:0
tap_done
