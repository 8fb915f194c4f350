// Every interface of kcenon::network::interfaces.
#pragma once

#include "connection_observer.h"
#include "i_client.h"
#include "i_network_component.h"
#include "i_protocol_client.h"
#include "i_protocol_server.h"
#include "i_quic_client.h"
#include "i_quic_server.h"
#include "i_server.h"
#include "i_session.h"
#include "i_udp_client.h"
#include "i_udp_server.h"
#include "i_websocket_client.h"
#include "i_websocket_server.h"
#include "i_websocket_session.h"
