#include "security/security_manager.h"

#include <selinux/context.h>
#include <selinux/selinux.h>

#include "security/dac_driver.h"
#include "security/mcs_allocator.h"
#include "security/security_transaction.h"
#include "security/selinux_driver.h"
#include "util/error.h"
#include "util/i18n.h"

namespace xlnv::security {

namespace {

struct ContextHolder {
    context_t ctx;
    explicit ContextHolder(const std::string &s, const char *what)
        : ctx(context_new(s.c_str()))
    {
        if (!ctx)
            raise(ErrorCode::XmlError, _("invalid SELinux %s '%s'"), what, s.c_str());
    }
    ~ContextHolder() { context_free(ctx); }
    std::string str() const { return context_str(ctx); }
};

// libvirt derives a static domain's image label from its process label:
// same user and level, role object_r, the image type.
std::string deriveImageLabel(const std::string &processLabel, const std::string &imageBase)
{
    ContextHolder base(imageBase, "image context");
    ContextHolder label(processLabel, "label");
    if (context_role_set(label.ctx, "object_r") != 0 ||
        context_type_set(label.ctx, context_type_get(base.ctx)) != 0)
        raise(ErrorCode::Internal, _("cannot derive an image label from '%s'"),
              processLabel.c_str());
    return label.str();
}

std::vector<SecurityTransaction::Target> targetsOf(const std::vector<BackingRequest> &backings)
{
    std::vector<SecurityTransaction::Target> targets;
    for (const auto &b : backings)
        targets.push_back({b.path, b.fd});
    return targets;
}

} // namespace

SecurityManager::SecurityManager(SecurityOptions options, std::shared_ptr<const UserDb> users)
    : options_(std::move(options)), users_(std::move(users)),
      selinuxEnabledOnHost_(is_selinux_enabled() > 0)
{
    if (!users_)
        users_ = systemUserDb();
}

SecurityManager SecurityManager::fromConfig(const Config &config, const std::string &stateDir)
{
    SecurityOptions options = SecurityOptions::fromConfig(config);
    if (!stateDir.empty())
        options.state_dir = stateDir;
    return SecurityManager(std::move(options));
}

bool SecurityManager::selinuxActive() const
{
    switch (options_.selinux) {
    case SelinuxMode::On: return true;
    case SelinuxMode::Off: return false;
    case SelinuxMode::Auto: return selinuxEnabledOnHost_;
    }
    return false;
}

std::string SecurityManager::mcsStateFile() const
{
    return options_.state_dir + "/security/selinux-mcs.json";
}

std::string SecurityManager::dynamicImageLabel(const std::string &categories) const
{
    ContextHolder base(options_.selinux_image_context, "image context");
    std::string level = context_range_get(base.ctx) ? context_range_get(base.ctx) : "s0";
    std::string sensitivity = level.substr(0, level.find_first_of(":-"));
    std::string range = sensitivity + ":" + categories;
    if (context_range_set(base.ctx, range.c_str()) != 0)
        raise(ErrorCode::Internal, _("cannot set MCS range '%s'"), range.c_str());
    return base.str();
}

SecurityPlan SecurityManager::plan(const DomainRef &dom,
                                   const std::vector<SeclabelDef> &seclabels) const
{
    SecurityPlan p;
    const std::string primary = selinuxActive() ? SelinuxDriver::kName : DacDriver::kName;

    const SeclabelDef *dac = findSeclabel(seclabels, DacDriver::kName, primary);
    if (options_.dynamic_ownership && !(dac && (dac->type == SeclabelType::None || !dac->relabel))) {
        DmIdentity id = dac && dac->type == SeclabelType::Static
            ? parseDacLabel(dac->label, *users_)
            : resolveDmIdentity(options_.dm, dom.domid, *users_);
        p.dac = true;
        p.uid = id.uid;
        p.gid = id.gid;
        p.dac_source = id.source;
    }

    const SeclabelDef *se = findSeclabel(seclabels, SelinuxDriver::kName, primary);
    if (selinuxActive() && !(se && (se->type == SeclabelType::None || !se->relabel))) {
        p.selinux = true;
        if (se && se->type == SeclabelType::Static) {
            if (!se->imagelabel.empty()) {
                checkSelinuxContext(se->imagelabel, "imagelabel");
                p.image_label = se->imagelabel;
            } else {
                p.image_label = deriveImageLabel(se->label, options_.selinux_image_context);
            }
        } else {
            p.selinux_dynamic = true;
        }
    }
    return p;
}

void SecurityManager::labelBackings(const DomainRef &dom, const SecurityPlan &plan,
                                    const std::vector<BackingRequest> &backings) const
{
    DacDriver dac(options_.remember_owner);
    SelinuxDriver selinux(selinuxEnabledOnHost_, options_.remember_owner);
    SecurityTransaction tx;
    tx.lockBackings(targetsOf(backings));

    std::string image = plan.image_label;
    bool needSelinux = false;
    for (const auto &b : backings)
        needSelinux = needSelinux || b.relabel_selinux;
    if (plan.selinux && plan.selinux_dynamic && needSelinux) {
        McsAllocator mcs(mcsStateFile(), options_.selinux_category_max);
        bool created = false;
        std::string pair = mcs.acquire(dom.key(), created);
        if (created) {
            std::string key = dom.key();
            tx.onRollback([mcs, key] { mcs.release(key); });
        }
        image = dynamicImageLabel(pair);
    }

    for (const auto &b : backings) {
        auto *locked = tx.find(SecurityTransaction::Target{b.path, b.fd});
        if (!locked)
            raise(ErrorCode::Internal, _("backing '%s' is not locked"), b.path.c_str());
        if (plan.dac && b.relabel_dac)
            dac.label(locked->fd(), b.path, plan.uid, plan.gid);
        if (plan.selinux && b.relabel_selinux)
            selinux.label(locked->fd(), b.path, image);
    }
    tx.commit();
}

void SecurityManager::restoreBackings(const DomainRef &dom, const SecurityPlan &plan,
                                      const std::vector<BackingRequest> &backings,
                                      bool releaseDomain) const
{
    DacDriver dac(options_.remember_owner);
    SelinuxDriver selinux(selinuxEnabledOnHost_, options_.remember_owner);
    SecurityTransaction tx;
    tx.lockBackings(targetsOf(backings));

    for (const auto &b : backings) {
        auto *locked = tx.find(SecurityTransaction::Target{b.path, b.fd});
        if (!locked)
            raise(ErrorCode::Internal, _("backing '%s' is not locked"), b.path.c_str());
        // Reverse of the labeling order.
        if (plan.selinux && b.relabel_selinux)
            selinux.restore(locked->fd(), b.path);
        if (plan.dac && b.relabel_dac)
            dac.restore(locked->fd(), b.path);
    }
    if (releaseDomain && plan.selinux && plan.selinux_dynamic)
        McsAllocator(mcsStateFile(), options_.selinux_category_max).release(dom.key());
    tx.commit();
}

std::vector<BackingRequest> SecurityManager::requestsFromDoc(xmlDocPtr doc) const
{
    std::vector<BackingRequest> out;
    for (const auto &b : parseNvdimmBackings(doc)) {
        BackingRequest r;
        r.path = b.path;
        r.relabel_dac = b.relabel(DacDriver::kName);
        r.relabel_selinux = b.relabel(SelinuxDriver::kName);
        out.push_back(std::move(r));
    }
    return out;
}

void SecurityManager::labelDomain(const DomainRef &dom, xmlDocPtr doc) const
{
    SecurityPlan p = plan(dom, parseDomainSeclabels(doc));
    labelBackings(dom, p, requestsFromDoc(doc));
}

void SecurityManager::restoreDomain(const DomainRef &dom, xmlDocPtr doc) const
{
    SecurityPlan p = plan(dom, parseDomainSeclabels(doc));
    restoreBackings(dom, p, requestsFromDoc(doc), true);
}

} // namespace xlnv::security
