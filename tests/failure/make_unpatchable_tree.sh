#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Makes DIR a tiny "kernel tree" (a Makefile with a version, nothing else):
# the 6.1 series cannot apply to it.
set -eu
rm -rf "$1"
mkdir -p "$1"
printf 'VERSION = 6\nPATCHLEVEL = 1\nSUBLEVEL = 0\n' > "$1/Makefile"
