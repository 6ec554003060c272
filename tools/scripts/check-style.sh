#!/bin/sh
# check-style.sh - the source checks CI runs beside the tests.
#
#   clang-format  every C file follows the committed .clang-format
#   cppcheck      no finding of the classes below, except the ones listed
#                 in tools/scripts/cppcheck.supp with the reason they are wrong
#
# Exits 0 when both are clean, 1 with the findings otherwise, and 77 when a
# checker is not installed (CI installs both).  Run from anywhere.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1

for tool in clang-format cppcheck; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "check-style: $tool is not installed"
		exit 77
	fi
done

if [ -e .git ] && command -v git >/dev/null 2>&1; then
	files=$(git ls-files '*.c' '*.h')
else
	# A tarball: its files, less those configure makes from a .in.
	files=$(find core plugins include tools tests bench fuzz \
		-name '*.[ch]' 2>/dev/null | sort |
		while read -r f; do [ -e "$f.in" ] || echo "$f"; done)
fi

status=0
# shellcheck disable=SC2086
if ! clang-format --dry-run -Werror $files; then
	echo "check-style: clang-format: the files above differ from .clang-format"
	status=1
fi

# The classes that find bugs; "style" is left to review.
# shellcheck disable=SC2086
if ! cppcheck -q --std=c11 --enable=warning,portability,performance \
	--inline-suppr --error-exitcode=1 --suppress=missingIncludeSystem \
	--suppressions-list=tools/scripts/cppcheck.supp \
	-I include -I core -D__GNUC__ core plugins tools; then
	echo "check-style: cppcheck: new findings above"
	status=1
fi

[ "$status" -eq 0 ] && echo "check-style: clang-format and cppcheck clean"
exit "$status"
