#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The shipped interface XML (dbus/*.xml) is what the running daemon serves.
. "$APM_SOURCE_ROOT/tests/dbus/lib.sh"
apm_enter_ns "$0" "$@"
apm_start_all

busctl --system introspect --xml-interface org.apmatrix1 /org/apmatrix1 >"$T/manager.xml"
check "Manager introspection matches dbus/org.apmatrix1.Manager.xml" \
	python3 "$APM_SOURCE_ROOT/tests/dbus/compare-introspection.py" \
	"$APM_SOURCE_ROOT/dbus/org.apmatrix1.Manager.xml" "$T/manager.xml" org.apmatrix1.Manager
check "ObjectManager is served at /org/apmatrix1" \
	grep -q 'interface name="org.freedesktop.DBus.ObjectManager"' "$T/manager.xml"

out=$(call DefineDevice string: string:'{"adapters":[1],"domains":[2]}' uint64:0)
path=$(printf '%s\n' "$out" | sed -n 2p)
busctl --system introspect --xml-interface org.apmatrix1 "$path" >"$T/device.xml"
check "Device introspection matches dbus/org.apmatrix1.Device.xml" \
	python3 "$APM_SOURCE_ROOT/tests/dbus/compare-introspection.py" \
	"$APM_SOURCE_ROOT/dbus/org.apmatrix1.Device.xml" "$T/device.xml" org.apmatrix1.Device
tap_done
