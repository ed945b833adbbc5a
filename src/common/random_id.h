// Random identifiers as Docker makes them: 64 lowercase hex characters from
// the kernel's CSPRNG (getrandom), whose 12-character short form is never
// all digits (Docker retries those too).
#pragma once

#include <string>

namespace berth {

// 64 hex characters (32 random bytes).
std::string random_id();

}  // namespace berth
