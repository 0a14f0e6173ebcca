// The <memory model='nvdimm'> device: what libvirt keeps of it, parsed,
// validated and formatted exactly as libvirt 9.0 does.
#pragma once

#include <libxml/tree.h>

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace xlnv::conf {

enum class MemoryAccess { Default, Shared, Private };
enum class TristateBool { Absent, Yes, No };

struct DimmAddress {
    bool present = false;   // <address type='dimm'> given
    unsigned slot = 0;
    uint64_t base = 0;      // guest physical byte address; 0 = unset
};

// <source><seclabel model='dac|selinux' relabel='yes|no'/>: this
// project's per-backing opt-out from relabeling (docs/security.rst);
// libvirt's <memory> device has none. An empty model covers every driver.
struct NvdimmSeclabel {
    std::string model;           // "dac", "selinux" or ""
    bool relabel = true;
    bool operator==(const NvdimmSeclabel &) const = default;
};

struct NvdimmDef {
    MemoryAccess access = MemoryAccess::Default;
    TristateBool discard = TristateBool::Absent;
    std::optional<std::array<unsigned char, 16>> uuid;

    // <source>
    std::string path;            // empty when absent
    uint64_t alignsize_kib = 0;  // 0 = absent
    bool pmem = false;
    std::vector<NvdimmSeclabel> seclabels;

    // <target>
    uint64_t size_kib = 0;
    std::optional<unsigned> node;
    uint64_t label_size_kib = 0; // 0 = no label area
    bool readonly = false;

    std::string alias;           // empty when absent
    DimmAddress address;

    // False when a <seclabel relabel='no'/> in <source> covers the
    // security driver `model` ("dac", "selinux").
    bool relabel(std::string_view model) const;
};

// Parse/format flags, as libvirt's VIR_DOMAIN_DEF_PARSE_INACTIVE etc.
enum NvdimmFlags : unsigned {
    NVDIMM_INACTIVE = 1u << 0,  // persistent definition: drop non-"ua-" aliases
};

// Parse a <memory> element. Throws xlnv::Error (XmlError /
// ConfigUnsupported for other models) with libvirt's wording.
NvdimmDef parseNvdimm(xmlNodePtr node, unsigned flags);

// Parse a document whose root is one <memory> element. `name` prefixes
// XML syntax errors ("FILE:LINE: ...").
NvdimmDef parseNvdimmString(std::string_view xml, unsigned flags,
                            const std::string &name = "(string)");

// libvirt's user alias: "ua-" followed by [A-Za-z0-9_-]*.
bool isUserAlias(std::string_view alias);

// Parse-time checks libvirt applies even without validation (label size).
// parseNvdimm already calls it; exposed for defs built in code.
void checkNvdimmParse(const NvdimmDef &def);

// Format as libvirt's dumpxml does; each line prefixed by `indent`
// spaces, ending with a newline.
std::string formatNvdimm(const NvdimmDef &def, unsigned flags, int indent = 0);

// Device-level validation (path required, discard, uuid vs arch, label on
// ppc64). arch is the domain's os arch ("x86_64", "ppc64", ...).
void validateNvdimm(const NvdimmDef &def, const std::string &arch);

// The alias a device without one gets in the live definition: "nvdimmN"
// for DIMM slot N, libvirt's default memory-device alias.
std::string defaultNvdimmAlias(unsigned slot);
// The device's alias, or the default one for its slot.
std::string nvdimmAliasOr(const NvdimmDef &def, unsigned slot);

// The device in `devices` that `match` names, or -1; libvirt's
// virDomainMemoryFindByDef for NVDIMMs. An alias names the device alone;
// otherwise the source path must be equal, and the size, NUMA node and
// DIMM address (slot, and base when given) too where `match` gives them.
long findNvdimmByDef(const std::vector<NvdimmDef> &devices, const NvdimmDef &match);

// A human name for messages: the alias when set, else the path.
std::string nvdimmDisplayName(const NvdimmDef &def);

// How an error names one NVDIMM, once: "NVDIMM 'nvdimm1'" by its alias,
// else "NVDIMM in slot 1" (the slot it has been given), else
// "NVDIMM with backing '/path'". A message adds the backing path itself
// where it helps, so a device without alias is never named by its path
// twice.
std::string describeNvdimm(const NvdimmDef &def, std::optional<unsigned> slot = std::nullopt);

} // namespace xlnv::conf
