// libxenlight's domain configuration, filled from a domain XML and its
// NVDIMM layout: the real `libxl_domain_config` type, its JSON from
// libxenlight, and xl.cfg text.
#pragma once

// libxenlight's headers have no C++ linkage guards.
extern "C" {
#include <libxl.h>
}

#include <optional>
#include <string>

#include "acpi/aml.h"
#include "acpi/ssdt.h"
#include "conf/domain_conf.h"
#include "libxl/guest_layout.h"

namespace xlnv::libxl {

// Owns one libxl_domain_config (init in the constructor, dispose in the
// destructor).
class DomainConfig {
public:
    DomainConfig();
    ~DomainConfig();
    DomainConfig(const DomainConfig &) = delete;
    DomainConfig &operator=(const DomainConfig &) = delete;
    DomainConfig(DomainConfig &&other) noexcept;

    libxl_domain_config *get() { return &cfg_; }
    const libxl_domain_config *get() const { return &cfg_; }

    // libxl_domain_config_to_json (real libxenlight).
    std::string toJson() const;
    // libxl_domain_config_from_json; throws xlnv::Error on bad input.
    // Parsing needs a libxl_ctx (generating JSON does not).
    static DomainConfig fromJson(libxl_ctx *ctx, const std::string &json);

private:
    libxl_domain_config cfg_;
};

// A minimal stand-alone config from the domain XML: name, uuid, type
// (hvm/pvh), memory, vcpus, vNUMA, direct kernel boot, lifecycle actions.
// libvirt builds all this itself; the CLI needs it to be usable alone.
void fillBaseConfig(libxl_domain_config &cfg, const conf::DomainXml &dom);

// The NVDIMM part: one iomem range per host extent of every device, and
// (HVM) acpi_firmware = `acpi_firmware_path`. Appends to existing iomem.
void fillNvdimmConfig(libxl_domain_config &cfg, const GuestLayout &layout,
                      const std::string &acpi_firmware_path);

// The acpi_firmware blob (NFIT + SSDT) for a layout; empty when the
// layout needs no tables (no devices, or PVH).
// For a layout whose guest may get NVDIMMs while it runs (HVM with
// <maxMemory slots>), the SSDT has _FIT, the GED and an NVxx per slot;
// with no device at boot the blob is that SSDT alone.
acpi::Bytes buildLayoutFirmware(const GuestLayout &layout);

// The hotplug parameters of a layout (FIT page address, IRQ, slots), or
// nullopt when its guest gets no hotplug tables.
std::optional<acpi::NvdimmHotplug> layoutHotplug(const GuestLayout &layout);

// The FIT (NFIT structures, no header) of a layout's devices, in the
// layout's order.
acpi::Bytes buildLayoutFit(const GuestLayout &layout);

// For a PVH layout with devices: the same tables as a cpio for the guest
// kernel's ACPI table upgrade (acpi/table_upgrade.h); empty otherwise.
acpi::Bytes buildLayoutTableUpgrade(const GuestLayout &layout);

// xl.cfg text as `virsh domxml-to-native xen-xl` prints it, plus iomem
// and acpi_firmware.
std::string formatXlConfig(const libxl_domain_config &cfg);

struct NativeOptions {
    std::string domain_state_dir;   // where the acpi_firmware blob goes
    LayoutOptions layout;
};

// Everything together: layout (writing slots/bases back into `dom`),
// base config, NVDIMM config, and the tables written under
// domain_state_dir (created if missing): "nvdimm-acpi.bin" for an HVM
// guest, "nvdimm-acpi-upgrade.cpio" for a PVH guest. Nothing is written
// when any step fails.
// Every check start makes that needs no host (validate, define): the
// libvirt and Xen rules, a <name>, NUMA cells naming only existing vCPUs,
// the NVDIMM placement (checkGuestPlacement).
void validateWithoutHost(const conf::DomainXml &dom);

DomainConfig buildNativeConfig(conf::DomainXml &dom, BackingResolver &resolver,
                               const NativeOptions &options);

constexpr const char *kAcpiFirmwareName = "nvdimm-acpi.bin";
constexpr const char *kAcpiTableUpgradeName = "nvdimm-acpi-upgrade.cpio";

} // namespace xlnv::libxl
