#include "libxl/domain_status.h"

#include <dirent.h>
#include <unistd.h>

#include <algorithm>

#include <nlohmann/json.hpp>

#include "util/state_dir.h"
#include "util/error.h"
#include "util/json_writer.h"
#include "util/i18n.h"
#include "util/json_error.h"
#include "util/strutil.h"

namespace xlnv::libxl {

DeviceStatus *DomainStatus::find(const std::string &alias)
{
    for (auto &d : devices)
        if (d.alias == alias)
            return &d;
    return nullptr;
}

DeviceStatus DeviceStatus::fromPlaced(const PlacedNvdimm &placed, std::string alias, std::string path,
                                      std::string hostObject)
{
    DeviceStatus ds;
    ds.alias = std::move(alias);
    ds.slot = placed.slot;
    ds.base = placed.base;
    ds.size = placed.size;
    ds.node = placed.node;
    ds.readonly = placed.readonly;
    ds.path = std::move(path);
    ds.host_object = std::move(hostObject);
    ds.ranges = placed.ranges;
    return ds;
}

PlacedNvdimm DeviceStatus::toPlaced() const
{
    PlacedNvdimm p;
    p.name = alias;
    p.slot = slot;
    p.base = base;
    p.size = size;
    p.node = node;
    p.readonly = readonly;
    p.ranges = ranges;
    p.backing.path = path;
    return p;
}

GuestLayout DomainStatus::guestLayout() const
{
    GuestLayout layout;
    layout.kind = kind;
    layout.window_base = window_base;
    layout.has_vnuma = has_vnuma;
    layout.memory_slots = memory_slots;
    layout.hotplug_irq = hotplug_irq;
    for (const auto &d : devices) {
        if (d.in_guest)
            layout.devices.push_back(d.toPlaced());
    }
    std::sort(layout.devices.begin(), layout.devices.end(),
              [](const PlacedNvdimm &a, const PlacedNvdimm &b) { return a.slot < b.slot; });
    return layout;
}

// Keys in sorted order, as nlohmann::json (a std::map) printed them: the
// file reads the same as before the writer streamed it.
std::string domainStatusText(const DomainStatus &s)
{
    JsonWriter w;
    w.beginObject();
    w.field("acpi_firmware", s.acpi_firmware);
    w.key("devices").beginArray();
    for (const auto &d : s.devices) {
        w.beginObject();
        w.field("alias", d.alias).field("base", d.base).field("created_file", d.created_file);
        w.field("host_file", d.host_file).field("host_object", d.host_object);
        if (d.inode.known()) {
            w.key("inode").beginObject();
            w.field("dev", d.inode.dev).field("handle", d.inode.handle);
            w.field("handle_type", d.inode.handle_type).field("ino", d.inode.ino);
            w.endObject();
        }
        if (d.node)
            w.field("node", *d.node);
        w.field("notified", d.notified).field("path", d.path);
        w.key("ranges").beginArray();
        for (const auto &r : d.ranges) {
            w.beginObject();
            w.field("gfn", r.gfn).field("mfn", r.mfn).field("nr", r.nr).field("superpage", r.superpage);
            w.endObject();
        }
        w.endArray();
        w.field("readonly", d.readonly);
        if (!d.relabel_dac)
            w.field("relabel_dac", false);
        if (!d.relabel_selinux)
            w.field("relabel_selinux", false);
        w.field("size", d.size).field("slot", d.slot);
        w.key("steps").beginObject();
        w.field("granted", d.granted).field("in_guest", d.in_guest).field("labeled", d.labeled);
        w.field("mapped", d.mapped).field("pinned", d.pinned);
        w.endObject();
        w.endObject();
    }
    w.endArray();
    if (s.domid)
        w.field("domid", *s.domid);
    if (s.fit_known)
        w.field("fit", bytesToHex(s.fit)).field("fit_generation", s.fit_generation);
    w.field("fit_page", s.fit_page).field("has_vnuma", s.has_vnuma).field("hotplug_irq", s.hotplug_irq);
    w.field("kind", s.kind == GuestKind::Pvh ? "pvh" : "hvm").field("label_domid", s.label_domid);
    w.field("memory_slots", s.memory_slots).field("name", s.name);
    w.key("occupied").beginArray();
    for (const auto &o : s.occupied) {
        w.beginObject();
        w.field("base", o.base).field("mfn", o.mfn).field("nr", o.nr).field("size", o.size).field("slot", o.slot);
        w.endObject();
    }
    w.endArray();
    w.key("pending");
    if (s.pending) {
        const auto &p = *s.pending;
        w.beginObject();
        w.field("alias", p.alias).field("config", p.config).field("config_done", p.config_done);
        w.key("may_create").beginArray();
        for (const auto &f : p.may_create)
            w.value(f);
        w.endArray();
        w.field("op", p.op).field("started", p.started);
        w.endObject();
    } else {
        w.null();
    }
    w.field("state", s.state).field("uuid", s.uuid).field("version", 1).field("window_base", s.window_base);
    if (!s.xml.empty())
        w.field("xml", s.xml);
    w.endObject();
    return w.text();
}

namespace {

// What the status file is for decides the repair: it alone knows which
// backings the domain pinned and labeled.
[[noreturn]] void raiseCorruptStatus(const std::string &path, const std::string &what)
{
    raise(ErrorCode::OperationFailed,
          _("corrupt NVDIMM status '%s': %s. Repair the file, or move it aside and undo by hand what "
            "it recorded (the backings it names stay pinned and labeled; see \"Journal and recovery\" "
            "in docs/live.rst)"),
          path.c_str(), what.c_str());
}

} // namespace

DomainStatus domainStatusFromJson(const nlohmann::json &j, const std::string &origin)
{
    try {
        DomainStatus s;
        s.name = j.at("name").get<std::string>();
        s.uuid = j.value("uuid", std::string());
        s.state = j.value("state", std::string("prepared"));
        if (j.contains("domid") && !j.at("domid").is_null())
            s.domid = j.at("domid").get<uint32_t>();
        s.label_domid = j.value("label_domid", 0u);
        s.kind = j.value("kind", std::string("hvm")) == "pvh" ? GuestKind::Pvh : GuestKind::Hvm;
        s.window_base = j.value("window_base", 0ULL);
        s.has_vnuma = j.value("has_vnuma", false);
        s.acpi_firmware = j.value("acpi_firmware", std::string());
        s.xml = j.value("xml", std::string());
        s.memory_slots = j.value("memory_slots", 0u);
        s.hotplug_irq = j.value("hotplug_irq", 13u);
        s.fit_page = j.value("fit_page", 0ULL);
        if (j.contains("fit")) {
            if (!hexToBytes(j.at("fit").get<std::string>(), s.fit))
                throw nlohmann::json::other_error::create(501, "fit is not lower-case hex", nullptr);
            s.fit_known = true;
            s.fit_generation = j.value("fit_generation", 0u);
        }
        if (j.contains("occupied"))
            for (const auto &o : j.at("occupied"))
                s.occupied.push_back({o.at("slot").get<unsigned>(), o.at("base").get<uint64_t>(),
                                      o.at("size").get<uint64_t>(), o.value("mfn", 0ULL), o.value("nr", 0ULL)});
        for (const auto &dj : j.at("devices")) {
            DeviceStatus d;
            d.alias = dj.at("alias").get<std::string>();
            d.slot = dj.at("slot").get<unsigned>();
            d.base = dj.at("base").get<uint64_t>();
            d.size = dj.at("size").get<uint64_t>();
            d.readonly = dj.value("readonly", false);
            d.path = dj.at("path").get<std::string>();
            d.host_object = dj.value("host_object", d.path);
            if (dj.contains("node"))
                d.node = dj.at("node").get<unsigned>();
            if (dj.contains("inode")) {
                const auto &ij = dj.at("inode");
                d.inode.dev = ij.value("dev", 0ULL);
                d.inode.ino = ij.value("ino", 0ULL);
                d.inode.handle_type = ij.value("handle_type", 0);
                d.inode.handle = ij.value("handle", std::string());
            }
            const auto &st = dj.at("steps");
            d.labeled = st.value("labeled", false);
            d.pinned = st.value("pinned", false);
            d.granted = st.value("granted", false);
            d.mapped = st.value("mapped", false);
            d.in_guest = st.value("in_guest", false);
            d.notified = dj.value("notified", false);
            d.created_file = dj.value("created_file", false);
            d.host_file = dj.value("host_file", true);
            d.relabel_dac = dj.value("relabel_dac", true);
            d.relabel_selinux = dj.value("relabel_selinux", true);
            for (const auto &r : dj.at("ranges"))
                d.ranges.push_back({r.at("mfn").get<uint64_t>(), r.at("nr").get<uint64_t>(),
                                    r.at("gfn").get<uint64_t>(), r.value("superpage", false)});
            s.devices.push_back(std::move(d));
        }
        if (j.contains("pending") && !j.at("pending").is_null()) {
            const auto &pj = j.at("pending");
            PendingOperation p;
            p.op = pj.at("op").get<std::string>();
            p.alias = pj.value("alias", std::string());
            p.config = pj.value("config", false);
            p.config_done = pj.value("config_done", false);
            p.may_create = pj.value("may_create", std::vector<std::string>{});
            p.started = pj.value("started", false);
            s.pending = std::move(p);
        }
        return s;
    } catch (const nlohmann::json::exception &e) {
        raiseCorruptStatus(origin, describeJsonError(e));
    }
}

StatusStore::StatusStore(std::string stateDir) : dir_(std::move(stateDir) + "/domains") {}

std::string StatusStore::domainDir(const std::string &name) const
{
    validateDomainName(name);   // before it becomes a path
    return dir_ + "/" + name;
}

std::string StatusStore::acpiPath(const std::string &name) const
{
    return domainDir(name) + "/nvdimm-acpi.bin";
}

std::string StatusStore::combinedAcpiPath(const std::string &name) const
{
    return domainDir(name) + "/acpi-firmware.bin";
}

std::optional<DomainStatus> StatusStore::load(const std::string &name) const
{
    const std::string path = domainDir(name) + "/status.json";
    auto text = readFileIfExists(path);
    // Empty: a record written without fsync (it named device nodes and
    // mappings only) whose data a host crash lost; the domain it
    // described is gone with that crash.
    if (!text || text->empty())
        return std::nullopt;
    auto j = nlohmann::json::parse(*text, nullptr, false);
    if (j.is_discarded() || !j.is_object())
        raiseCorruptStatus(path, j.is_discarded() ? _("it is not valid JSON") : _("it is not a JSON object"));
    return domainStatusFromJson(j, path);
}

bool outlivesHostCrash(const DomainStatus &status)
{
    if (status.pending && (status.pending->config || !status.pending->may_create.empty()))
        return true;
    for (const auto &d : status.devices)
        if (d.host_file)
            return true;
    return false;
}

void StatusStore::save(const DomainStatus &status) const
{
    makeDirectories(domainDir(status.name));
    writeFileAtomic(domainDir(status.name) + "/status.json", domainStatusText(status) + "\n",
                    0600, outlivesHostCrash(status) ? Durability::Durable : Durability::Volatile);
}

void StatusStore::remove(const std::string &name) const
{
    unlink(acpiPath(name).c_str());
    unlink(combinedAcpiPath(name).c_str());
    unlink((domainDir(name) + "/status.json").c_str());
    rmdir(domainDir(name).c_str());
}

std::vector<std::string> StatusStore::names() const
{
    std::vector<std::string> out;
    DIR *d = opendir(dir_.c_str());
    if (!d)
        return out;
    while (struct dirent *e = readdir(d)) {
        const std::string n = e->d_name;
        if (n == "." || n == "..")
            continue;
        if (access((dir_ + "/" + n + "/status.json").c_str(), F_OK) == 0)
            out.push_back(n);
    }
    closedir(d);
    std::sort(out.begin(), out.end());
    return out;
}

} // namespace xlnv::libxl
