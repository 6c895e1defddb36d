#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The two grading engines give the same table: a class of submissions that
# need no kernel (malformed and hostile archives: no patch/, not from git
# format-patch, a path traversal, a symlink, a member over the size limit,
# not an archive) graded locally, then as a Slurm array job on a one-machine
# Slurm (grading/slurm-local.sh, stopped by PID at the end, whatever
# happens). Nothing may be written outside the grading directory.
# The real-kernel class is `make grade`'s (docs/grading.md).
#   engines.sh HARNESS PROJECT
set -euo pipefail
harness=$1
project=$2
work=$(mktemp -d /tmp/pfcheck-engines.XXXXXX)
slurm=$work/slurm
cleanup() { "$project/grading/slurm-local.sh" stop "$slurm" >/dev/null 2>&1 || true; rm -rf "$work"; }
trap cleanup EXIT

mkdir -p "$work/src/patch" "$work/class" "$work/out"
cd "$work/src"
printf 'diff --git a/x b/x\n' > patch/0001-x.patch
echo notes > notes.txt
ln -s /etc/passwd link
head -c $((9 << 20)) /dev/zero > big
tar -czf ../class/no_patch_dir.tar.gz notes.txt
tar -czf ../class/traversal.tar.gz -P --transform 's,^notes.txt,../../escaped,' notes.txt
tar -czf ../class/not_format_patch.tar.gz patch
tar -czf ../class/symlink.tar.gz link
tar -czf ../class/huge.tar.gz big
echo "not an archive" > ../class/garbage.tar.gz
cd "$work"

"$harness" grade --project "$project" --submissions class --output out/local
"$harness" grade --project "$project" --submissions class --output out/jobs --jobs 3
eval "$("$project/grading/slurm-local.sh" start "$slurm")"
"$harness" grade --project "$project" --submissions class --output out/slurm --engine slurm

fail() { echo "engines: $*" >&2; exit 1; }
diff out/local/grades.csv out/slurm/grades.csv || fail "the engines' tables differ"
diff out/local/grades.csv out/jobs/grades.csv || fail "JOBS=3 and one at a time differ"
[[ $(grep -c ',malformed,0.0,' out/slurm/grades.csv) -eq 6 ]] ||
  fail "expected 6 malformed submissions scored 0: $(cat out/slurm/grades.csv)"
grep -q 'traversal,malformed,0.0,,0,0,the archive was refused: a path outside' out/slurm/grades.csv ||
  fail "the traversal was not refused for its reason"
grep -q 'huge,malformed,0.0,,0,0,the archive was refused: big is over' out/slurm/grades.csv ||
  fail "the huge member was not refused for its reason"
[[ ! -e $work/escaped && ! -e $work/out/escaped && ! -e /tmp/escaped ]] ||
  fail "a member was written outside the grading directory"
for s in no_patch_dir traversal not_format_patch symlink huge garbage; do
  [[ -s out/slurm/$s/feedback.md ]] || fail "no feedback for $s"
done
echo "engines: local (one at a time and 3 at once) and Slurm agree on 6 submissions"
