// Turns an NVDIMM's <source><path> into host physical ranges. The real
// host resolves through libndctl + FIEMAP (src/util); tests and the CLI
// fixture mode read a JSON host description (host_fixture.h).
#pragma once

#include "conf/nvdimm_conf.h"
#include "pmem/inventory.h"

namespace xlnv::libxl {

class BackingResolver {
public:
    virtual ~BackingResolver() = default;
    // Throws xlnv::Error naming the path when it cannot be resolved.
    virtual ResolvedBacking resolve(const conf::NvdimmDef &def) = 0;
};

} // namespace xlnv::libxl
