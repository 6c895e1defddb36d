// SPDX-License-Identifier: GPL-2.0-or-later
// Plots through gnuplot: one script body, rendered as SVG and PNG.
#pragma once

#include <filesystem>
#include <string>

namespace report {

// Whether gnuplot can be run here.
bool have_gnuplot();

// Renders a gnuplot script body (everything after `set terminal` and `set
// output`) to DIR/NAME.svg and DIR/NAME.png. Returns "" or why not.
std::string render_plot(const std::filesystem::path& dir, const std::string& name,
                        const std::string& body);

} // namespace report
