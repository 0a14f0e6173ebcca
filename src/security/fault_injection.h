// Test-only failure injection for the security layer: the "security"
// domain of util/fault_injection.h (LIBXL_NVDIMM_FAULT=security:N). Every
// step that changes a file (chown, each xattr write, each label write,
// an MCS allocation) passes a point first, so a test can fail a
// multi-device domain at every step and check the rollback.
#pragma once

#include <string>

namespace xlnv::security {

// Pass a fault point; throws xlnv::Error (OperationFailed, "injected
// fault at security step N (what)") when this is the armed step.
void faultPoint(const char *what);

// Arm: fail at the Nth point from now (1-based); 0 disarms.
void setFaultAt(unsigned n);
// Points passed since the last setFaultAt/resetFaultCount.
unsigned faultPointsPassed();
void resetFaultCount();
// Re-read LIBXL_NVDIMM_FAULT now (all domains).
void armFaultFromEnvironment();
// Name of the last point passed (for test output).
std::string lastFaultPoint();

} // namespace xlnv::security
