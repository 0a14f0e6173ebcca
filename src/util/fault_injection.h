// Test-only failure injection, by named domain. Every step worth testing
// passes a fault point of its domain first; when armed, the Nth point of
// that domain fails (or kills the process), so a test can break an
// operation at every step and check that nothing is left behind.
//
//   security  each file change of the security layer (chown, xattr, label, MCS)
//   live      each step of attach, detach, start, destroy, prepare, release
//   sim       each simulated hypercall (iomem grant/revoke, mapping call)
//
// Armed by the environment (read once, at program start):
//   LIBXL_NVDIMM_FAULT=security:N,live:N[:kill],sim:N
// or programmatically (setFaultAt). A point fires once; the rollback that
// follows passes points without failing. Disarmed, points only count.
// LIBXL_NVDIMM_FAULT_REPORT=FILE: at exit, append
// "live=N sim=M security=K\n" (points passed) to FILE.
#pragma once

#include <string>

namespace xlnv::fault {

enum class Domain { Security, Live, Sim };
enum class Action { Fail, Kill };

const char *domainName(Domain domain);   // "security", "live", "sim"

// Pass a point. Armed at this one: Fail throws xlnv::Error
// (OperationFailed, "injected fault at <domain> step N (what)"); Kill
// raises SIGKILL. Sim points fail with `simError` instead when given.
void point(Domain domain, const char *what);

// Arm the Nth point of `domain` from now (1-based); 0 disarms. Resets
// that domain's count.
void setFaultAt(Domain domain, unsigned n, Action action = Action::Fail);
// Points of `domain` passed since its last setFaultAt/resetFaultCount.
unsigned pointsPassed(Domain domain);
void resetFaultCount(Domain domain);
// Disarm everything and re-read LIBXL_NVDIMM_FAULT now.
void armFromEnvironment();
// Name of the last point of `domain` passed.
std::string lastPoint(Domain domain);

} // namespace xlnv::fault
