// SPDX-License-Identifier: GPL-2.0-or-later
#include "report/plot.hpp"

#include "process.hpp"

#include <fstream>
#include <utility>

namespace fs = std::filesystem;

namespace report {

bool have_gnuplot() {
    return harness::capture("gnuplot", {"--version"}).ok;
}

std::string render_plot(const fs::path& dir, const std::string& name, const std::string& body) {
    for (auto [terminal, ext] : {std::pair<const char*, const char*>{
                                     "svg size 800,500 dynamic noenhanced font 'sans,12'", "svg"},
                                 {"pngcairo size 1000,625 noenhanced font 'sans,12'", "png"}}) {
        fs::path script = dir / (name + "." + ext + ".gp");
        std::ofstream(script) << "set terminal " << terminal << "\nset output '"
                              << (dir / (name + "." + ext)).string() << "'\n"
                              << body;
        auto r = harness::capture("gnuplot", {script.string()});
        fs::remove(script);
        if (!r.ok)
            return "gnuplot failed on " + name + "." + ext;
    }
    return "";
}

} // namespace report
