// Where the original installs its TLS classes; forwards to the canonical header.
#pragma once
#include "../../core/secure_messaging_client.h"
