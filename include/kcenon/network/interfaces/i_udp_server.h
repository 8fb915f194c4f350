// The original's UDP server interface (declared with i_udp_client).
#pragma once
#include "i_udp_client.h"
