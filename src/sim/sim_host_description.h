// The simulated Xen host as described in XML (docs/simulated-host.rst):
// persistent-memory regions and namespaces, and guests with their RAM
// layout, state and libvirt definition. sim:///default uses the built-in
// description (sim_default_host.cc); sim:///PATH.xml reads PATH.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "hypervisor/hypervisor.h"
#include "pmem/inventory.h"

namespace xlnv::libxl {

struct SimNamespaceDescription {
    PmemNamespace ns;          // spa = region spa + offset; mount left empty here
    uint64_t offset = 0;       // bytes from the region start
    std::string mount_name;    // fsdax: directory name under <state dir>/mnt
};

// How the simulated guest answers a request to eject an NVDIMM before
// live detach (<guest eject='ack|refuse|ignore'>, default ack).
enum class SimEjectBehaviour { Ack, Refuse, Ignore };
const char *simEjectBehaviourName(SimEjectBehaviour behaviour);

struct SimGuestDescription {
    std::optional<uint32_t> domid;     // running/paused guests get one
    DomainState state = DomainState::Shutoff;
    std::vector<GuestRamRange> ram;    // empty: the HVM default layout
    std::string definition;            // libvirt domain XML
    std::string name;                  // from the definition
    SimEjectBehaviour eject = SimEjectBehaviour::Ack;
    unsigned phys_bits = 0;            // <guest phys_bits='N'>; 0: the host's
};

// A guest's physical address width when the description gives none
// (<simhost phys_bits='N'>): what current x86 hosts give HVM guests.
constexpr unsigned kSimDefaultPhysBits = 46;
// Widths a description may give (x86: 32 bits up to 52).
constexpr unsigned kSimMinPhysBits = 32;
constexpr unsigned kSimMaxPhysBits = 52;

struct SimHostDescription {
    std::string name;
    std::vector<PmemRegion> regions;
    std::vector<SimNamespaceDescription> namespaces;
    std::vector<SimGuestDescription> guests;
    unsigned phys_bits = kSimDefaultPhysBits;   // guests without their own
};

// Parses and checks a description; `source` names it in errors.
// Throws XmlError / InvalidArg / ConfigUnsupported naming the element.
SimHostDescription parseSimHostDescription(std::string_view xml, const std::string &source);

// The built-in host of sim:///default.
const char *defaultSimHostXml();

} // namespace xlnv::libxl
