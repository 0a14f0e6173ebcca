// A view over a whole libvirt domain XML document. Reads what the NVDIMM
// work needs; edits the libxml2 tree in place, so whatever else the
// document holds survives byte-for-byte where untouched.
#pragma once

#include <libxml/tree.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "conf/nvdimm_conf.h"

namespace xlnv::conf {

struct NumaCell {
    unsigned id = 0;
    uint64_t memory_kib = 0;
    std::string cpus;
};

class DomainXml {
public:
    // Parse a whole document. flags: NVDIMM_INACTIVE for persistent
    // definitions. Throws xlnv::Error on malformed XML or devices.
    static DomainXml parseString(std::string_view xml, unsigned flags);
    static DomainXml parseFile(const std::string &path, unsigned flags);
    // As parseString; `name` (a file name) prefixes XML syntax errors.
    static DomainXml parseNamed(std::string_view xml, unsigned flags, const std::string &name);

    DomainXml(DomainXml &&) noexcept;
    DomainXml &operator=(DomainXml &&) noexcept;
    ~DomainXml();
    DomainXml clone() const;

    // Identity and memory (sizes in KiB).
    std::string name() const;
    std::string uuid() const;               // as written, may be empty
    std::string type() const;               // <domain type=...>
    std::string osType() const;             // "hvm", "xen", "xenpvh", ...
    std::string arch() const;               // "" when not given
    uint64_t memoryKiB() const;             // <memory>
    std::optional<uint64_t> currentMemoryKiB() const;
    std::optional<uint64_t> maxMemoryKiB() const;
    unsigned maxMemorySlots() const;        // 0 when absent
    unsigned vcpus() const;                 // 1 when absent
    const std::vector<NumaCell> &numaCells() const;
    // Total memory as libvirt's QEMU driver computes it on define:
    // with NUMA cells, sum(cells) + sum(memory devices); else <memory>.
    uint64_t totalMemoryKiB() const;
    // Sum of the NVDIMM devices' sizes.
    uint64_t devicesMemoryKiB() const;

    // NVDIMM devices in document order.
    const std::vector<NvdimmDef> &nvdimms() const;
    void addNvdimm(const NvdimmDef &def);              // appended in libvirt's device order
    void removeNvdimm(size_t index);
    void replaceNvdimm(size_t index, const NvdimmDef &def);
    void setNvdimmAlias(size_t index, const std::string &alias);
    void setNvdimmAddress(size_t index, const DimmAddress &address);
    // Find by alias; -1 when none.
    long findNvdimmByAlias(const std::string &alias) const;

    // The document as text: NVDIMM devices canonical, the rest as given.
    std::string format() const;
    xmlDocPtr doc() const;

private:
    struct Impl;
    explicit DomainXml(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

// libvirt's generic domain checks (memory totals, maxMemory, nodes vs
// cells, slot conflicts, base overlaps) plus each device's own.
void validateDomain(const DomainXml &dom);

// The Xen rules this project adds: os type hvm (xenpvh accepted with a
// warning), maxMemory slots required, slot < slots, count <= slots.
// Failures are ConfigUnsupported naming the device. Callers that lay the
// devices out next pass kXenRulesNoPvhWarning: the layout's own warning
// names the guest range, and one warning is enough.
enum XenRulesFlags : unsigned { kXenRulesNoPvhWarning = 1u << 0 };
void validateXenRules(const DomainXml &dom, unsigned flags = 0);

} // namespace xlnv::conf
