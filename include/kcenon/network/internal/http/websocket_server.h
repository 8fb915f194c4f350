// Where the original installs its WebSocket server; forwards to the canonical header.
#pragma once
#include "../../core/messaging_ws_server.h"
