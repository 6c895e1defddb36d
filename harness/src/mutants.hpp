// `pfcheck-harness mutants`: each one-bug variant of the 6.1 series in
// patch/mutants/ must be caught, with the diagnosis its patch announces.
#pragma once

#include "pipeline.hpp"

#include <string>
#include <vector>

namespace harness {

// Runs the mutants named in `only` (all when empty), then writes
// results/mutants/summary.{md,csv,tex} and state.json; a run of some keeps
// the other rows from the last. 0 when every one was killed with the right
// diagnosis.
int run_mutants(const options& o, const std::vector<std::string>& only);

} // namespace harness
