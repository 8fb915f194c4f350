// The original's header name for i_listener; declared with i_transport.
#pragma once
#include "i_transport.h"
