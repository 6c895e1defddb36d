#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Two harness runs at once on the same kernel tree (Debian's 6.1): one with a
# mutant that returns EINVAL where EACCES is due, one with the reference
# series alone. The tree lock makes the second wait for the first, so each
# verdict is its own kernel's: the mutant's run fails naming its bug, the
# reference's passes. Usage: concurrent_runs.sh HARNESS PROJECT RESULTS
set -u
harness=$1 project=$2 results=$3
common=(run --arch i386 --mode abi --project "$project" --results "$results" --timeout 600)
a_log=$(mktemp) b_log=$(mktemp)
"$harness" "${common[@]}" --name concurrent-mutant \
  --extra-patch "$project/patch/mutants/cleanup_errno.patch" >"$a_log" 2>&1 &
a=$!
sleep 2
"$harness" "${common[@]}" --name concurrent-reference >"$b_log" 2>&1 &
b=$!
wait $a; a_status=$?
wait $b; b_status=$?
cat "$a_log" "$b_log"
fail=0
if [[ $a_status -ne 1 ]] || ! grep -q "expected EACCES, got EINVAL" "$a_log"; then
  echo "FAIL: the mutant's run exited $a_status without naming its bug" >&2
  fail=1
fi
if [[ $b_status -ne 0 ]]; then
  echo "FAIL: the reference's run exited $b_status" >&2
  fail=1
fi
if ! grep -q "in use by" "$a_log" "$b_log"; then
  echo "FAIL: neither run waited for the other (no lock message)" >&2
  fail=1
fi
rm -f "$a_log" "$b_log"
[[ $fail -eq 0 ]] && echo "ok: both verdicts right, one run waited for the other"
exit $fail
