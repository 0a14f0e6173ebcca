// What is wrong with a state file nlohmann::json refused, in words a user
// can act on (never the library's "[json.exception...]" text).
#pragma once

#include <nlohmann/json.hpp>

#include <string>

namespace xlnv {

// "it is not valid JSON", "a required entry is missing", "an entry has
// the wrong type", ... (translated).
std::string describeJsonError(const nlohmann::json::exception &e);

} // namespace xlnv
