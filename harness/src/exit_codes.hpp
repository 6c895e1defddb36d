// SPDX-License-Identifier: GPL-2.0-or-later
// The harness's exit status, one meaning each (README.md, "Exit status").
#pragma once

namespace harness::exit_code {

constexpr int passed = 0;     // every check passed
constexpr int failed = 1;     // a check failed, or the guest kernel reported a bug
constexpr int usage = 2;      // the command line asks for something impossible
constexpr int not_judged = 3; // nothing could be judged: no tree, build, boot or results

} // namespace harness::exit_code
