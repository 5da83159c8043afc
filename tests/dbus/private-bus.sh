#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Start a private dbus-daemon of type "system" whose policy is Debian's default
# system policy plus the project's shipped dbus/ directory (includedir), so
# tests exercise the policy that gets installed.
#
#   eval "$(tests/dbus/private-bus.sh DIR [POLICY_DIR])"
#
# DIR must exist and be reachable by "nobody" (unprivileged tests). Prints
# shell assignments: DBUS_SYSTEM_BUS_ADDRESS (exported) and APM_DBUS_PID.
# Stop it with: kill "$APM_DBUS_PID". APM_BUS_EXTRA_CONF is added to the
# configuration (e.g. <limit> elements, for the slow-reader measurements).
set -eu
dir=${1:?usage: private-bus.sh DIR [POLICY_DIR]}
here=$(cd "$(dirname "$0")" && pwd)
policy=${2:-$here/../../dbus}
policy=$(cd "$policy" && pwd)
command -v dbus-daemon >/dev/null || { echo "dbus-daemon missing: install dbus-daemon" >&2; exit 1; }

cat >"$dir/bus.conf" <<CONF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path=$dir/system_bus_socket</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <deny own="*"/>
    <deny send_type="method_call"/>
    <allow send_type="signal"/>
    <allow send_requested_reply="true" send_type="method_return"/>
    <allow send_requested_reply="true" send_type="error"/>
    <allow receive_type="method_call"/>
    <allow receive_type="method_return"/>
    <allow receive_type="error"/>
    <allow receive_type="signal"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus.Introspectable"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus.Properties"/>
    <deny send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus" send_member="UpdateActivationEnvironment"/>
    <deny send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus.Debug.Stats"/>
  </policy>
  <includedir>$policy</includedir>
${APM_BUS_EXTRA_CONF:-}
</busconfig>
CONF

exec 3>"$dir/bus.pid"
addr=$(dbus-daemon --config-file="$dir/bus.conf" --fork --print-address=1 --print-pid=3)
exec 3>&-
echo "DBUS_SYSTEM_BUS_ADDRESS='$addr'; export DBUS_SYSTEM_BUS_ADDRESS; APM_DBUS_PID=$(cat "$dir/bus.pid")"
