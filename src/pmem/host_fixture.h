// A host described in JSON, for unit tests and for the CLI without a
// real host (LIBXL_NVDIMM_HOST_FIXTURE=FILE):
//
//   { "regions": [...], "namespaces": [...],      (pmem/inventory.h fixture format)
//     "backings": [ { "path": "/dev/dax0.0", "kind": "devdax",
//                     "namespace": "namespace0.0",
//                     "extents": [ { "offset": 0, "spa": "0x...", "length": "0x..." } ] } ] }
//
// "kind" is devdax, fsdax or file. Without "extents" a backing is its
// whole namespace (offset 0, the namespace's data SPA and size).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "pmem/backing_resolver.h"

namespace xlnv::libxl {

class FixtureHost : public BackingResolver {
public:
    static FixtureHost fromString(const std::string &json_text, const std::string &origin);
    static FixtureHost fromFile(const std::string &path);

    ResolvedBacking resolve(const conf::NvdimmDef &def) override;
    PmemInventory &inventory() { return *inventory_; }

private:
    std::shared_ptr<PmemInventory> inventory_;
    std::vector<ResolvedBacking> backings_;
    std::string origin_;
};

} // namespace xlnv::libxl
