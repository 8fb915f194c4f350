// Where the original installs its DTLS classes; forwards to the canonical header.
#pragma once
#include "../../core/secure_messaging_udp_client.h"
