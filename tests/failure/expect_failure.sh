#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Runs a command that must fail in a known way: usage
#   expect_failure.sh STATUS PATTERN -- COMMAND...
# Passes when COMMAND exits with STATUS and its standard error contains
# PATTERN (an extended regular expression). The output is kept in the log
# CTest shows on failure.
set -u
want_status=$1 pattern=$2
shift 3
err=$(mktemp)
"$@" 2> >(tee "$err" >&2)
status=$?
wait
if [[ $status -ne $want_status ]]; then
  echo "FAIL: exit status $status, expected $want_status" >&2
  rm -f "$err"
  exit 1
fi
if ! grep -Eq -- "$pattern" "$err"; then
  echo "FAIL: no line matching '$pattern' on standard error" >&2
  rm -f "$err"
  exit 1
fi
rm -f "$err"
echo "ok: exit status $status and '$pattern'"
