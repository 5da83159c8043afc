#!/bin/sh
# Fails when a tracked C file differs from what .clang-format makes of it.
set -eu
top=${1:-.}
cd "$top"
command -v clang-format >/dev/null || { echo "clang-format missing: install clang-format"; exit 1; }
if git rev-parse --git-dir >/dev/null 2>&1; then
	files=$(git ls-files -co --exclude-standard '*.c' '*.h')
else
	files=$(find . -path ./build -prune -o \( -name '*.c' -o -name '*.h' \) -print)
fi
[ -n "$files" ] || { echo "no C files"; exit 1; }
bad=0
for f in $files; do
	[ -f "$f" ] || continue
	if ! clang-format --dry-run --Werror "$f" >/dev/null 2>&1; then
		echo "not formatted: $f (run: clang-format -i $f)"
		bad=$((bad + 1))
	fi
done
echo "$(echo "$files" | wc -w) files checked, $bad not formatted"
[ "$bad" -eq 0 ]
