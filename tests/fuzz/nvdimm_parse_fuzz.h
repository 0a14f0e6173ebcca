// The parser fuzz entry point, shared by the libFuzzer target and the
// sanitizer-free smoke test that runs in CI.
#pragma once

#include <cstddef>
#include <cstdint>

namespace xlnv::fuzz {

// Parse, validate and format one input as `validate`/`format` would.
// Returns true when the input was accepted. Aborts when an invariant
// breaks (formatting an accepted input and parsing it again must give
// the same text).
bool nvdimmParseOne(const uint8_t *data, size_t size);

} // namespace xlnv::fuzz
