// The unified API: endpoint/callback types and the i_transport, i_connection, i_listener
// interfaces; protocol/protocol.h has the factories.
#pragma once

#include "i_connection.h"
#include "i_listener.h"
#include "i_transport.h"
#include "types.h"
