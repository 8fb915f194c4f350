// Forwards to the header the original keeps under detail/metrics.
#pragma once

#include <kcenon/network/detail/metrics/histogram.h>
