#include "hypervisor/mapping_ledger.h"

#include <algorithm>

namespace xlnv::libxl {

void MappingLedger::addIomem(uint32_t domid, uint64_t mfn, uint64_t nr)
{
    if (!nr)
        return;
    auto &ranges = domains_[domid].iomem;
    ranges.push_back({mfn, nr});
    std::sort(ranges.begin(), ranges.end(),
              [](const IomemPermission &a, const IomemPermission &b) { return a.mfn < b.mfn; });
    std::vector<IomemPermission> merged;
    for (const auto &r : ranges) {
        if (!merged.empty() && r.mfn <= merged.back().mfn + merged.back().nr) {
            uint64_t end = std::max(merged.back().mfn + merged.back().nr, r.mfn + r.nr);
            merged.back().nr = end - merged.back().mfn;
        } else {
            merged.push_back(r);
        }
    }
    ranges = std::move(merged);
}

void MappingLedger::removeIomem(uint32_t domid, uint64_t mfn, uint64_t nr)
{
    auto it = domains_.find(domid);
    if (it == domains_.end() || !nr)
        return;
    std::vector<IomemPermission> kept;
    const uint64_t end = mfn + nr;
    for (const auto &r : it->second.iomem) {
        const uint64_t rend = r.mfn + r.nr;
        if (!rangesOverlap(r.mfn, r.nr, mfn, nr)) {
            kept.push_back(r);
            continue;
        }
        if (r.mfn < mfn)
            kept.push_back({r.mfn, mfn - r.mfn});
        if (rend > end)
            kept.push_back({end, rend - end});
    }
    it->second.iomem = std::move(kept);
    prune(domid);
}

bool MappingLedger::iomemCovers(uint32_t domid, uint64_t mfn, uint64_t nr) const
{
    auto it = domains_.find(domid);
    if (it == domains_.end())
        return nr == 0;
    // Ranges are merged, so one range must hold the whole request.
    for (const auto &r : it->second.iomem)
        if (r.mfn <= mfn && mfn + nr <= r.mfn + r.nr)
            return true;
    return nr == 0;
}

void MappingLedger::addMapping(uint32_t domid, const MemoryMapping &m)
{
    if (!m.nr)
        return;
    auto &list = domains_[domid].mappings;
    auto pos = std::lower_bound(list.begin(), list.end(), m,
                                [](const MemoryMapping &a, const MemoryMapping &b) { return a.gfn < b.gfn; });
    pos = list.insert(pos, m);
    // Merge with neighbours that continue both the guest and host ranges.
    if (pos + 1 != list.end() && pos->gfn + pos->nr == (pos + 1)->gfn &&
        pos->mfn + pos->nr == (pos + 1)->mfn) {
        pos->nr += (pos + 1)->nr;
        list.erase(pos + 1);
    }
    if (pos != list.begin() && (pos - 1)->gfn + (pos - 1)->nr == pos->gfn &&
        (pos - 1)->mfn + (pos - 1)->nr == pos->mfn) {
        (pos - 1)->nr += pos->nr;
        list.erase(pos);
    }
}

bool MappingLedger::removeMapping(uint32_t domid, const MemoryMapping &m)
{
    auto it = domains_.find(domid);
    if (it == domains_.end())
        return false;
    auto &list = it->second.mappings;
    for (size_t i = 0; i < list.size(); ++i) {
        const MemoryMapping r = list[i];
        if (!(r.gfn <= m.gfn && m.gfn + m.nr <= r.gfn + r.nr))
            continue;
        if (m.mfn - r.mfn != m.gfn - r.gfn || m.mfn < r.mfn)
            return false;
        std::vector<MemoryMapping> pieces;
        if (r.gfn < m.gfn)
            pieces.push_back({r.gfn, r.mfn, m.gfn - r.gfn});
        const uint64_t tail = (r.gfn + r.nr) - (m.gfn + m.nr);
        if (tail)
            pieces.push_back({m.gfn + m.nr, m.mfn + m.nr, tail});
        list.erase(list.begin() + static_cast<long>(i));
        list.insert(list.begin() + static_cast<long>(i), pieces.begin(), pieces.end());
        prune(domid);
        return true;
    }
    return false;
}

std::optional<std::pair<uint32_t, MemoryMapping>>
MappingLedger::findHostOverlap(uint64_t mfn, uint64_t nr) const
{
    for (const auto &[domid, rec] : domains_)
        for (const auto &m : rec.mappings)
            if (rangesOverlap(m.mfn, m.nr, mfn, nr))
                return std::make_pair(domid, m);
    return std::nullopt;
}

std::optional<MemoryMapping> MappingLedger::findGuestOverlap(uint32_t domid, uint64_t gfn, uint64_t nr) const
{
    auto it = domains_.find(domid);
    if (it == domains_.end())
        return std::nullopt;
    for (const auto &m : it->second.mappings)
        if (rangesOverlap(m.gfn, m.nr, gfn, nr))
            return m;
    return std::nullopt;
}

std::vector<IomemPermission> MappingLedger::iomem(uint32_t domid) const
{
    auto it = domains_.find(domid);
    return it == domains_.end() ? std::vector<IomemPermission>{} : it->second.iomem;
}

std::vector<MemoryMapping> MappingLedger::mappings(uint32_t domid) const
{
    auto it = domains_.find(domid);
    return it == domains_.end() ? std::vector<MemoryMapping>{} : it->second.mappings;
}

uint64_t MappingLedger::mappedFrames(uint32_t domid) const
{
    uint64_t frames = 0;
    for (const auto &m : mappings(domid))
        frames += m.nr;
    return frames;
}

void MappingLedger::dropEmptyRecords()
{
    std::erase_if(domains_, [](const auto &entry) {
        const DomainRecord &r = entry.second;
        return r.iomem.empty() && r.mappings.empty() && r.uuid.empty();
    });
}

void MappingLedger::prune(uint32_t domid)
{
    auto it = domains_.find(domid);
    if (it != domains_.end() && it->second.iomem.empty() && it->second.mappings.empty())
        domains_.erase(it);
}

nlohmann::json MappingLedger::toJson() const
{
    nlohmann::json out = nlohmann::json::object();
    for (const auto &[domid, rec] : domains_) {
        nlohmann::json d;
        d["uuid"] = rec.uuid;
        d["iomem"] = nlohmann::json::array();
        for (const auto &r : rec.iomem)
            d["iomem"].push_back({r.mfn, r.nr});
        d["mappings"] = nlohmann::json::array();
        for (const auto &m : rec.mappings)
            d["mappings"].push_back({m.gfn, m.mfn, m.nr});
        out[std::to_string(domid)] = std::move(d);
    }
    return out;
}

MappingLedger MappingLedger::fromJson(const nlohmann::json &j)
{
    MappingLedger ledger;
    if (!j.is_object())
        return ledger;
    for (const auto &[key, d] : j.items()) {
        const uint32_t domid = static_cast<uint32_t>(std::stoul(key));
        DomainRecord rec;
        rec.uuid = d.value("uuid", std::string());
        for (const auto &r : d.at("iomem"))
            rec.iomem.push_back({r.at(0).get<uint64_t>(), r.at(1).get<uint64_t>()});
        for (const auto &m : d.at("mappings"))
            rec.mappings.push_back({m.at(0).get<uint64_t>(), m.at(1).get<uint64_t>(), m.at(2).get<uint64_t>()});
        ledger.domains_[domid] = std::move(rec);
    }
    ledger.dropEmptyRecords();
    return ledger;
}

} // namespace xlnv::libxl
