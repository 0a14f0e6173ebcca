// Persistent domain definitions (libvirt domain XML), one file per domain
// under <state dir>/definitions/NAME.xml, written atomically. The
// simulated host keeps its defined domains here; `define`/`undefine`
// edit it. Callers hold the host lock around read-modify-write sequences.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "hypervisor/domain_xml.h"
#include "util/state_dir.h"

namespace xlnv::libxl {

class DefinitionStore {
public:
    // Volatile: a hypervisor's record of its running domains (the
    // simulated host's live definitions), not a user's definitions.
    explicit DefinitionStore(std::string directory, Durability durability = Durability::Durable);

    std::vector<std::string> names() const;              // sorted
    std::optional<std::string> get(const std::string &name) const;
    // Whether there is a definition called `name` (false for a name that
    // cannot be one).
    bool has(const std::string &name) const;
    // Adds or replaces; the XML must carry <name> equal to `name`.
    void define(const std::string &name, const std::string &xml);
    // The same, with the XML's summary already made (the caller parsed it).
    void define(const std::string &name, const std::string &xml, const DefinitionSummary &summary);
    // NoDomain when there is no such definition.
    void undefine(const std::string &name);
    const std::string &directory() const { return dir_; }

private:
    std::string pathFor(const std::string &name) const;
    std::string dir_;
    Durability durability_;
};

} // namespace xlnv::libxl
