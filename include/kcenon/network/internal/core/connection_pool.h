// Where the original installs its connection pool; forwards to the canonical header.
#pragma once
#include "../../core/connection_pool.h"
