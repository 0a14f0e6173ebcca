#include "hypervisor/hypervisor.h"

#include <algorithm>
#include <cctype>

#include "util/config.h"
#include "util/error.h"
#include "util/i18n.h"
#include "util/strutil.h"

namespace xlnv::libxl {

const char *domainKindName(DomainKind kind)
{
    switch (kind) {
    case DomainKind::Hvm: return "hvm";
    case DomainKind::Pvh: return "pvh";
    case DomainKind::Pv: return "pv";
    }
    return "hvm";
}

const char *domainStateName(DomainState state)
{
    // virsh's words; N_() so the CLI can translate them.
    switch (state) {
    case DomainState::Running: return N_("running");
    case DomainState::Paused: return N_("paused");
    case DomainState::Shutoff: return N_("shut off");
    }
    return N_("shut off");
}

const char *callerName(Caller caller)
{
    switch (caller) {
    case Caller::Toolstack: return "toolstack";
    case Caller::Guest: return "guest";
    case Caller::DeviceModel: return "device model";
    }
    return "toolstack";
}

DomainLimitDefaults domainLimitsFromConfig(const Config &config)
{
    DomainLimitDefaults limits;
    limits.memory_slots = static_cast<unsigned>(
        config.getUInt("hypervisor", "default_memory_slots", limits.memory_slots));
    limits.max_memory_kib = config.getUInt("hypervisor", "default_max_memory_kib", limits.max_memory_kib);
    if (limits.memory_slots == 0 || limits.memory_slots > 255)
        raise(ErrorCode::ConfigUnsupported,
              _("[hypervisor] default_memory_slots must be between 1 and 255"));
    return limits;
}

std::vector<MappingBatch> planMappingBatches(uint64_t gfn, uint64_t mfn, uint64_t nr)
{
    std::vector<MappingBatch> batches;
    for (uint64_t off = 0; off < nr;) {
        const uint64_t step = planMappingBatch(gfn + off, mfn + off, nr - off).frames;
        batches.push_back({off, step});
        off += step;
    }
    return batches;
}

std::string frameRange(uint64_t first, uint64_t nr)
{
    return strprintf("0x%llx-0x%llx", static_cast<unsigned long long>(first),
                     static_cast<unsigned long long>(first + nr - 1));
}

void requireToolstack(Caller caller, uint32_t domid)
{
    if (caller != Caller::Toolstack)
        raise(ErrorCode::AccessDenied,
              _("only the toolstack may change iomem permissions or memory mappings; "
                "refused a request from the %s of domain %u"),
              callerName(caller), domid);
}

BatchPlan planMappingBatch(uint64_t gfn, uint64_t mfn, uint64_t nr)
{
    BatchPlan plan;
    unsigned entries = 0;
    while (plan.frames < nr && entries < kMaxEntriesPerMappingCall) {
        const uint64_t g = gfn + plan.frames;
        const uint64_t m = mfn + plan.frames;
        if (g % kSuperpageFrames == 0 && m % kSuperpageFrames == 0 &&
            nr - plan.frames >= kSuperpageFrames) {
            plan.frames += kSuperpageFrames;
            ++plan.entries_2m;
        } else {
            plan.frames += 1;
            ++plan.entries_4k;
        }
        ++entries;
    }
    return plan;
}

std::vector<GuestRamRange> hvmRamLayout(uint64_t memory_kib)
{
    constexpr uint64_t kLowLimitFrames = 0xF0000000ULL / kPageSize;
    constexpr uint64_t kHighStartFrame = 0x100000000ULL / kPageSize;
    const uint64_t frames = memory_kib / 4;
    std::vector<GuestRamRange> ram;
    const uint64_t low = std::min(frames, kLowLimitFrames);
    if (low)
        ram.push_back({0, low});
    if (frames > low)
        ram.push_back({kHighStartFrame, frames - low});
    return ram;
}

namespace {

bool looksLikeUuid(const std::string &s)
{
    if (s.size() != 36 && s.size() != 32)
        return false;
    unsigned hexDigits = 0;
    for (char c : s) {
        if (std::isxdigit(static_cast<unsigned char>(c)))
            ++hexDigits;
        else if (c != '-')
            return false;
    }
    return hexDigits == 32;
}

} // namespace

DomainInfo lookupDomain(Hypervisor &hv, const std::string &nameOrIdOrUuid)
{
    unsigned id = 0;
    if (parseUInt(nameOrIdOrUuid, id)) {
        try {
            return hv.lookupById(id);
        } catch (const Error &e) {
            if (e.code() != ErrorCode::NoDomain)
                throw;
        }
    }
    if (looksLikeUuid(nameOrIdOrUuid)) {
        try {
            return hv.lookupByUuid(nameOrIdOrUuid);
        } catch (const Error &e) {
            if (e.code() != ErrorCode::NoDomain)
                throw;
        }
    }
    return hv.lookupByName(nameOrIdOrUuid);
}

} // namespace xlnv::libxl
