// Hand-made ACPI tables for the Xen test bed's HVM smoke test: one NVDIMM
// as an NFIT (SPA range, memory device map, control region) and an SSDT
// with the NVDIMM root device.  Written from the ACPI 6.x spec so the bed
// can prove the mechanism before the project's own builder (src/acpi)
// exists; layouts: ../shared/reference/xen-pmem-mapping.md.
#pragma once

#include <cstdint>
#include <vector>

namespace xlnv::testbed {

using Bytes = std::vector<std::uint8_t>;

// NFIT describing [spa, spa + size) as one persistent-memory NVDIMM.
Bytes makeTestNfit(std::uint64_t spa, std::uint64_t size);

// SSDT: Device(\_SB.NVDR) { _HID "ACPI0012"; Device(NV00) { _ADR 1 } }.
Bytes makeTestSsdt();

// Sum of all bytes modulo 256 (0 for a table with a correct checksum).
std::uint8_t byteSum(const Bytes &table);

}  // namespace xlnv::testbed
