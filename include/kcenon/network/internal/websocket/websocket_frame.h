// The original's frame header; its types live in websocket_protocol.h.
#pragma once
#include "websocket_protocol.h"
