// Where the original installs its resilient_client; forwards to the canonical header.
#pragma once
#include "../../utils/resilient_client.h"
