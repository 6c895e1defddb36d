#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A synthetic class for `make grade` on Debian's 6.1 (the base when KSRC is
# not given), one submission per expected outcome:
#   correct          pfcheck's 6.1 series                      graded, no bug
#   one_bug          + mutant first_touch                      graded, first_touch
#   compound         + mutant student_b (3 bugs)               graded, its 3 bugs
#   does_not_apply   + a patch whose context is not in the tree  does not apply, 0
#   does_not_build   + first_touch with a line that is not C   does not build, 0
#   hostile          a member ../../escaped                    malformed, 0
#   hostile_symlink  patch/ holds a symlink to /etc/passwd      malformed, 0
#   hostile_huge     a 40 MiB member (zeros, small compressed)  malformed, 0
#   make-class.sh PROJECT OUTDIR
set -euo pipefail
project=$(cd "$1" && pwd)
out=$2
series=$project/patch/linux-6.1
mutants=$project/patch/mutants
work=$(mktemp -d /tmp/pfcheck-class.XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir -p "$out"
out=$(cd "$out" && pwd)

# submission NAME [EXTRA_PATCH...]: the series, the extras after it, a report.
submission() {
  local name=$1; shift
  rm -rf "$work/$name" && mkdir -p "$work/$name/patch"
  cp "$series"/*.patch "$work/$name/patch/"
  local n=7
  for p in "$@"; do cp "$p" "$work/$name/patch/$(printf %04d $n)-extra.patch"; n=$((n + 1)); done
  echo "The report of $name." > "$work/$name/patch/report.txt"
  tar -czf "$out/$name.tar.gz" -C "$work/$name" patch
}

submission correct
submission one_bug "$mutants/first_touch.patch"
submission compound "$mutants/student_b.patch"
sed 's/^ \t \* it once per hardware fault, not again when it is retried\.$/ \t * no such line in any tree/' \
  "$mutants/first_touch.patch" > "$work/no_apply.patch"
grep -q 'no such line in any tree' "$work/no_apply.patch"
submission does_not_apply "$work/no_apply.patch"
sed 's/^+\t    (X86_PF_USER | X86_PF_WRITE))$/+\t    (X86_PF_USER | X86_PF_WRITE)) this is not C/' \
  "$mutants/first_touch.patch" > "$work/no_build.patch"
grep -q 'this is not C' "$work/no_build.patch"
submission does_not_build "$work/no_build.patch"
mkdir -p "$work/hostile/patch" && echo x > "$work/hostile/x"
tar -czf "$out/hostile.tar.gz" -P -C "$work/hostile" --transform 's,^x,../../escaped,' x
mkdir -p "$work/symlink/patch" && ln -s /etc/passwd "$work/symlink/patch/0001-x.patch"
tar -czf "$out/hostile_symlink.tar.gz" -C "$work/symlink" patch
mkdir -p "$work/huge/patch" && truncate -s 40M "$work/huge/patch/0001-huge.patch"
tar -czf "$out/hostile_huge.tar.gz" -C "$work/huge" patch
ls "$out"
