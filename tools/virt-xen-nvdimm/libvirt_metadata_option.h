// --libvirt URI of attach-device / detach-device / detach-device-alias:
// for a domain libvirt manages, the persistent (--config) half of the
// change goes to the domain's <metadata> in that libvirt
// (libvirt/libvirt_metadata.h) instead of this project's own definitions;
// the live half still goes through the NVDIMM driver. Without the option
// the configuration file's [libvirt] uri applies; empty means "our own
// definitions".
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "command.h"

namespace xlnv::cli {

// Adds "--libvirt URI" to `sub`; the value is read after the parse.
std::shared_ptr<std::string> addLibvirtOption(CLI::App &sub);

// The option's value, else [libvirt] uri of the configuration file, else "".
std::string libvirtMetadataUri(const std::string &option);

// What the NVDIMM driver is asked to do with the flags left over
// (libxl::ModifyFlags); returns the device's alias.
using DriverStep = std::function<std::string(unsigned flags)>;

// attach-device: with `uri` set and kAffectConfig in `flags`, the device
// is validated and stored in libvirt's metadata first, then the live part
// (if any) runs through `driver`; a failing live part takes the metadata
// entry back out. Without `uri`, or without kAffectConfig, it is just
// driver(flags). Returns the alias (or, config only, the device's name).
std::string attachWithLibvirt(const std::string &uri, const std::string &domain,
                              const std::string &deviceXml, unsigned flags, const DriverStep &driver);

// detach-device / detach-device-alias: the live part first (through
// `driver`), then the device leaves libvirt's metadata. Exactly one of
// deviceXml / alias is non-empty.
std::string detachWithLibvirt(const std::string &uri, const std::string &domain,
                              const std::string &deviceXml, const std::string &alias,
                              unsigned flags, const DriverStep &driver);

} // namespace xlnv::cli
