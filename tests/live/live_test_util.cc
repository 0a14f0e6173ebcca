#include "live_test_util.h"

#include "util/config.h"

#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "util/strutil.h"

namespace xlnv::test {

namespace fs = std::filesystem;

LiveHost::LiveHost(const std::string &uri, const std::string &extraConfig) : uri_(uri)
{
    std::string tmpl = "/tmp/xlnv-live-XXXXXX";
    if (!mkdtemp(tmpl.data()))
        throw std::runtime_error("mkdtemp failed");
    dir_ = tmpl;
    const std::string config = dir_ + "/test.conf";
    std::ofstream(config) << "[security]\ndevice_model_user = +" << kDmUid
                          << "\ndynamic_ownership = true\nremember_owner = true\nselinux = off\n"
                          << "[hypervisor]\neject_timeout_ms = 200\n"
                          << extraConfig;
    setenv("LIBXL_NVDIMM_CONFIG", config.c_str(), 1);
    setenv("LIBXL_NVDIMM_STATE_DIR", dir_.c_str(), 1);
    reopen();
}

LiveHost::~LiveHost()
{
    driver_.reset();
    conn_.reset();
    removeTree(dir_);
}

void LiveHost::reopen()
{
    driver_.reset();
    conn_ = libxl::Connection::open(uri_, dir_);
    // The options of the configuration written above (eject timeout 200 ms).
    driver_ = std::make_unique<libxl::NvdimmDriver>(*conn_, libxl::driverOptionsFromConfig(Config::load()));
}

std::string devdaxXml(const std::string &size, const std::string &unit, bool readonly)
{
    return "<memory model='nvdimm'><source><path>/dev/dax0.0</path></source><target><size unit='" +
           unit + "'>" + size + "</size>" + (readonly ? "<readonly/>" : "") + "</target></memory>";
}

std::string fileXml(const std::string &path, unsigned sizeMiB, bool readonly)
{
    return "<memory model='nvdimm'><source><path>" + path +
           "</path></source><target><size unit='MiB'>" + std::to_string(sizeMiB) + "</size>" +
           (readonly ? "<readonly/>" : "") + "</target></memory>";
}

namespace {

std::string describeFile(const fs::path &p)
{
    struct stat st;
    if (lstat(p.c_str(), &st) < 0)
        return "missing";
    std::ostringstream out;
    out << "size=" << st.st_size << " mode=" << std::oct << (st.st_mode & 07777) << std::dec
        << " owner=" << st.st_uid << ":" << st.st_gid;
    int fd = open(p.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
    if (fd >= 0) {
        int flags = 0;
        if (ioctl(fd, FS_IOC_GETFLAGS, &flags) == 0)
            out << " immutable=" << ((flags & FS_IMMUTABLE_FL) ? 1 : 0);
        if (S_ISREG(st.st_mode) && st.st_size <= (1 << 20)) {
            std::string content(static_cast<size_t>(st.st_size), '\0');
            ssize_t n = pread(fd, content.data(), content.size(), 0);
            out << " content=" << std::hash<std::string>{}(content.substr(0, n < 0 ? 0 : n));
        }
        close(fd);
    }
    char names[4096];
    ssize_t len = llistxattr(p.c_str(), names, sizeof names);
    std::vector<std::string> keys;
    for (ssize_t i = 0; i < len;) {
        keys.emplace_back(names + i);
        i += static_cast<ssize_t>(keys.back().size()) + 1;
    }
    std::sort(keys.begin(), keys.end());
    for (const auto &k : keys) {
        char value[1024];
        ssize_t vl = lgetxattr(p.c_str(), k.c_str(), value, sizeof value);
        std::string v = vl > 0 ? std::string(value, static_cast<size_t>(vl)) : "";
        // The boot-time stamp is a fact of the host, not of the labels.
        out << " xattr:" << k << "=" << v;
    }
    return out.str();
}

} // namespace

Snapshot snapshotHost(const std::string &stateDir)
{
    Snapshot snap;
    std::ifstream in(stateDir + "/host.json");
    std::stringstream text;
    text << in.rdbuf();
    auto j = nlohmann::json::parse(text.str(), nullptr, false);
    if (j.is_object()) {
        j.erase("counters");
        j.erase("next_domid");
        // A shut-off domain with or without a runtime record is the same.
        if (j.contains("domains")) {
            for (auto it = j["domains"].begin(); it != j["domains"].end();) {
                if (it.value().value("state", "") == "shutoff" && !it.value().contains("id"))
                    it = j["domains"].erase(it);
                else
                    ++it;
            }
        }
        // The sim forgets where a removed file was lazily; a stale
        // placement is not something the engine left behind.
        if (j.contains("allocations"))
            for (auto &[ns, files] : j["allocations"].items()) {
                nlohmann::json kept = nlohmann::json::object();
                for (auto &[rel, a] : files.items()) {
                    bool present = false;
                    std::error_code ec2;
                    for (const auto &m : fs::directory_iterator(stateDir + "/mnt", ec2)) {
                        struct stat st;
                        if (stat((m.path() / rel).c_str(), &st) == 0 &&
                            static_cast<uint64_t>(st.st_ino) == a.value("ino", 0ULL))
                            present = true;
                    }
                    if (present)
                        kept[rel] = a;
                }
                files = kept;
            }
        if (j.contains("allocations")) {
            for (auto it = j["allocations"].begin(); it != j["allocations"].end();) {
                if (it.value().empty())
                    it = j["allocations"].erase(it);
                else
                    ++it;
            }
        }
        snap["host.json"] = j.dump(1);
    }
    std::error_code ec;
    for (auto it = fs::recursive_directory_iterator(stateDir, ec); it != fs::recursive_directory_iterator();
         it.increment(ec)) {
        if (ec)
            break;
        const fs::path p = it->path();
        const std::string rel = p.string().substr(stateDir.size() + 1);
        if (it->is_directory() && !it->is_symlink())
            continue;
        const std::string name = p.filename().string();
        if (rel == "host.json" || rel == "test.conf" || endsWith(name, ".lock") ||
            rel == "events.log" || startsWith(rel, "locks/"))
            continue;
        snap[rel] = describeFile(p);
    }
    return snap;
}

std::string diffSnapshots(const Snapshot &before, const Snapshot &after)
{
    std::string out;
    for (const auto &[k, v] : before) {
        auto it = after.find(k);
        if (it == after.end())
            out += "  gone:    " + k + " (" + v + ")\n";
        else if (it->second != v)
            out += "  changed: " + k + "\n    before: " + v + "\n    after:  " + it->second + "\n";
    }
    for (const auto &[k, v] : after)
        if (!before.count(k))
            out += "  new:     " + k + " (" + v + ")\n";
    return out;
}

} // namespace xlnv::test
