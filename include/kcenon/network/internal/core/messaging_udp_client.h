// Where the original installs its UDP classes; forwards to the canonical header.
#pragma once
#include "../../core/messaging_udp_client.h"
