// Thin wrappers over the "security" domain of util/fault_injection.
#include "security/fault_injection.h"

#include "util/fault_injection.h"

namespace xlnv::security {

void faultPoint(const char *what) { fault::point(fault::Domain::Security, what); }
void setFaultAt(unsigned n) { fault::setFaultAt(fault::Domain::Security, n); }
unsigned faultPointsPassed() { return fault::pointsPassed(fault::Domain::Security); }
void resetFaultCount() { fault::resetFaultCount(fault::Domain::Security); }
void armFaultFromEnvironment() { fault::armFromEnvironment(); }
std::string lastFaultPoint() { return fault::lastPoint(fault::Domain::Security); }

} // namespace xlnv::security
