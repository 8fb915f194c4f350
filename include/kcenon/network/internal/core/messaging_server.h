// Where the original installs its TCP classes; forwards to the canonical header.
#pragma once
#include "../../core/messaging_server.h"
