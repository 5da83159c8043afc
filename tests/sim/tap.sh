# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# TAP for the shell tests of tests/sim: `is DESC GOT WANT`, then `tap_done`
# (prints the plan, returns non-zero if anything failed).

tap_n=0
tap_failed=0

is() {
	tap_n=$((tap_n + 1))
	if [ "$2" = "$3" ]; then
		echo "ok $tap_n - $1"
	else
		tap_failed=$((tap_failed + 1))
		echo "not ok $tap_n - $1"
		printf '#   got:  %q\n#   want: %q\n' "$2" "$3"
	fi
}

tap_done() {
	echo "1..$tap_n"
	[ "$tap_failed" -eq 0 ]
}
