// Forwards to the header the original keeps under detail/metrics.
#pragma once

#include <kcenon/network/detail/metrics/sliding_histogram.h>
