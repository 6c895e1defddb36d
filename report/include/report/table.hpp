// SPDX-License-Identifier: GPL-2.0-or-later
// A table the report writes three ways: Markdown (to read and paste), CSV
// (to reprocess) and a LaTeX booktabs fragment (for \input in a report).
#pragma once

#include <string>
#include <vector>

namespace report {

struct table {
    std::string caption;
    std::vector<std::string> header;
    std::vector<std::vector<std::string>> rows;
    std::string note;          // printed under the table (Markdown, LaTeX); not in the CSV
    std::string latex_columns; // e.g. "lrrp{6cm}"; default: l, then r for every other column
};

// A number with `digits` decimals, for a cell: fixed(1.23456, 3) == "1.235".
std::string fixed(double v, int digits);

std::string to_markdown(const table& t);
std::string to_csv(const table& t);
std::string to_latex(const table& t);

// Writes NAME.md, NAME.csv and NAME.tex in `dir`; returns the paths written.
std::vector<std::string> write_table(const table& t, const std::string& dir,
                                     const std::string& name);

} // namespace report
