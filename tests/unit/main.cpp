// SPDX-License-Identifier: GPL-2.0-or-later
// Host unit tests: the oracle, layouts, the catalogue, the verdict and the
// results channel. No kernel needed.
#define BOOST_TEST_MODULE pfcheck
#include <boost/test/unit_test.hpp>
