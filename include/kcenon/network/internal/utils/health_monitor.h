// Where the original installs its health_monitor; forwards to the canonical header.
#pragma once
#include "../../utils/health_monitor.h"
