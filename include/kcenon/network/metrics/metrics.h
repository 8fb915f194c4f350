// All of network metrics: the original's histogram, sliding_histogram, metric_names and
// metric_reporter, and the process-wide snapshot of the library's own counters.
#pragma once

#include <kcenon/network/detail/metrics/histogram.h>
#include <kcenon/network/detail/metrics/network_metrics.h>
#include <kcenon/network/detail/metrics/sliding_histogram.h>
#include <kcenon/network/metrics/snapshot.h>
