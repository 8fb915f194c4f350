// The unified API's factories for every protocol: protocol::{tcp,udp,websocket,quic}::
// {create_connection, connect, create_listener, listen}.
#pragma once

#include "../unified/unified.h"
#include "quic.h"
#include "tcp.h"
#include "udp.h"
#include "websocket.h"
