// Where the original installs its WebSocket client; forwards to the canonical header.
#pragma once
#include "../../core/messaging_ws_client.h"
