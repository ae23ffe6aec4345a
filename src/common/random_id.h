#pragma once

#include <string>

namespace quiver {

// A random UUIDv4 in text form, from OpenSSL's CSPRNG: unguessable names for tokens and tickets.
std::string RandomUuid();

}  // namespace quiver
