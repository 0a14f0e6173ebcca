// The security manager: DAC then SELinux, stacked like libvirt's
// security stack, applied to one backing or a whole domain inside a
// SecurityTransaction (all or nothing).
#pragma once

#include <libxml/tree.h>
#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "security/dm_identity.h"
#include "security/seclabel_def.h"
#include "security/security_options.h"

namespace xlnv {
class Config;
}

namespace xlnv::security {

struct DomainRef {
    std::string name;
    std::string uuid;      // may be empty
    unsigned domid = 0;
    // Identifies the domain's MCS allocation.
    std::string key() const { return uuid.empty() ? name : uuid; }
};

struct BackingRequest {
    std::string path;
    int fd = -1;                   // the backing as the caller holds it (-1: open `path`)
    bool relabel_dac = true;       // false: per-device <seclabel relabel='no'/>
    bool relabel_selinux = true;
};

// What the drivers will do for one domain.
struct SecurityPlan {
    bool dac = false;
    uid_t uid = 0;
    gid_t gid = 0;
    std::string dac_source;        // see DmIdentity::source
    bool selinux = false;
    bool selinux_dynamic = false;  // image label made at label time (MCS)
    std::string image_label;       // static label, or "" when dynamic
};

class SecurityManager {
public:
    explicit SecurityManager(SecurityOptions options,
                             std::shared_ptr<const UserDb> users = nullptr);
    // From the [security] section; a non-empty `stateDir` (the CLI's
    // --state-dir) replaces its state_dir.
    static SecurityManager fromConfig(const Config &config, const std::string &stateDir = "");

    const SecurityOptions &options() const { return options_; }
    // The SELinux driver runs (host SELinux on, or forced in the config).
    bool selinuxActive() const;
    std::string mcsStateFile() const;

    // Resolve identity and labels from the config and the domain's
    // <seclabel> elements. Throws xlnv::Error.
    SecurityPlan plan(const DomainRef &dom, const std::vector<SeclabelDef> &seclabels) const;

    // Label all backings or, on any failure, none (the error is rethrown
    // after every file is back as it was).
    void labelBackings(const DomainRef &dom, const SecurityPlan &plan,
                       const std::vector<BackingRequest> &backings) const;
    // Restore all backings or none; releaseDomain also frees the
    // domain's MCS pair (the domain is gone).
    void restoreBackings(const DomainRef &dom, const SecurityPlan &plan,
                         const std::vector<BackingRequest> &backings, bool releaseDomain) const;

    // The same for a whole domain document: its <seclabel>s and its
    // NVDIMM backings (with per-device opt-outs).
    void labelDomain(const DomainRef &dom, xmlDocPtr doc) const;
    void restoreDomain(const DomainRef &dom, xmlDocPtr doc) const;

    // The image label for an MCS pair ("c1,c2") on the configured base.
    std::string dynamicImageLabel(const std::string &categories) const;

private:
    std::vector<BackingRequest> requestsFromDoc(xmlDocPtr doc) const;
    SecurityOptions options_;
    std::shared_ptr<const UserDb> users_;
    bool selinuxEnabledOnHost_;
};

} // namespace xlnv::security
