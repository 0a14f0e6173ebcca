// The few facts the hypervisor layer reads from a libvirt domain
// definition (identity, type, memory, maxMemory, vNUMA cells). A reader
// of its own so the simulated host does not depend on the full device
// parser in src/conf; errors use libvirt's wording.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "hypervisor/hypervisor.h"

namespace xlnv::libxl {

struct DefinitionSummary {
    std::string name;
    std::string uuid;                         // as written (may be empty)
    DomainKind kind = DomainKind::Hvm;
    uint64_t memory_kib = 0;                  // <currentMemory>, else <memory>
    std::optional<uint64_t> max_memory_kib;   // <maxMemory>
    unsigned memory_slots = 0;
    std::vector<VnumaCell> vnuma;
};

// Throws XmlError for malformed XML or a missing <name>.
DefinitionSummary summarizeDefinition(std::string_view xml);

// The inverse for a domain nobody defined to libvirt (one `xl` created):
// the smallest definition that says what `info` knows (name, uuid,
// memory, maxMemory slots, type, vNUMA cells) with empty <devices>.
std::string minimalDefinition(const DomainInfo &info);

// libvirt's memory units (b, KB, k/KiB, MB, M/MiB, ... E/EiB) to KiB,
// rounded up. Throws InvalidArg naming `what` on a bad value or unit.
uint64_t scaleToKiB(const std::string &value, const std::string &unit, const char *what);

} // namespace xlnv::libxl
