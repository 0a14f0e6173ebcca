#include "security/mcs_allocator.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <random>
#include <set>
#include <sstream>

#include <glib.h>
#include <nlohmann/json.hpp>

#include "security/fault_injection.h"
#include "util/error.h"
#include "util/state_dir.h"
#include "util/filelock.h"
#include "util/i18n.h"
#include "util/json_error.h"
#include "util/strutil.h"

namespace xlnv::security {

namespace {

using Table = std::map<std::string, std::string>;

void ensureParentDir(const std::string &file)
{
    gchar *dir = g_path_get_dirname(file.c_str());
    std::string d(dir);
    g_free(dir);
    libxl::makeDirectories(d);
}

Table readTable(const std::string &file)
{
    Table table;
    std::ifstream in(file);
    if (!in) {
        if (errno == ENOENT)
            return table;
        raiseSystem(errno, _("Failed to open file '%s'"), file.c_str());
    }
    std::stringstream buf;
    buf << in.rdbuf();
    try {
        auto doc = nlohmann::json::parse(buf.str());
        for (auto &[key, value] : doc.at("domains").items())
            table[key] = value.get<std::string>();
    } catch (const nlohmann::json::exception &e) {
        raise(ErrorCode::OperationFailed,
              _("malformed MCS allocation file '%s': %s. Repair it, or remove it while no domain with a "
                "dynamic SELinux label runs"),
              file.c_str(), describeJsonError(e).c_str());
    }
    return table;
}

void writeTable(const std::string &file, const Table &table)
{
    nlohmann::json doc;
    doc["domains"] = nlohmann::json::object();
    for (const auto &[key, value] : table)
        doc["domains"][key] = value;
    libxl::writeFileAtomic(file, doc.dump(2) + "\n");
}

FileLock lockTable(const std::string &file)
{
    ensureParentDir(file);
    return FileLock::acquire(file + ".lock", O_RDWR | O_CREAT | O_NOFOLLOW, 0, 0);
}

bool parsePair(const std::string &pair, unsigned &a, unsigned &b)
{
    auto parts = split(pair, ',');
    return parts.size() == 2 && parts[0].size() > 1 && parts[1].size() > 1 &&
           parts[0][0] == 'c' && parts[1][0] == 'c' && parseUInt(parts[0].substr(1), a) &&
           parseUInt(parts[1].substr(1), b);
}

} // namespace

McsAllocator::McsAllocator(std::string stateFile, unsigned categoryMax)
    : stateFile_(std::move(stateFile)), categoryMax_(categoryMax)
{
}

std::string McsAllocator::acquire(const std::string &domainKey, bool &created) const
{
    created = false;
    FileLock lock = lockTable(stateFile_);
    Table table = readTable(stateFile_);
    if (auto it = table.find(domainKey); it != table.end())
        return it->second;

    std::set<std::pair<unsigned, unsigned>> used;
    for (const auto &[key, pair] : table) {
        unsigned a = 0, b = 0;
        if (parsePair(pair, a, b))
            used.insert({a, b});
    }
    const uint64_t space = static_cast<uint64_t>(categoryMax_) * (categoryMax_ + 1) / 2;
    if (categoryMax_ < 1 || used.size() >= space)
        raise(ErrorCode::OperationFailed,
              _("no free SELinux MCS category pair left in c0..c%u (%zu in use)"),
              categoryMax_, used.size());

    std::random_device rd;
    std::mt19937 gen(rd());
    std::uniform_int_distribution<unsigned> dist(0, categoryMax_);
    std::pair<unsigned, unsigned> pick;
    for (;;) {
        unsigned a = dist(gen), b = dist(gen);
        if (a == b)
            continue;
        pick = a < b ? std::make_pair(a, b) : std::make_pair(b, a);
        if (!used.count(pick))
            break;
    }
    std::string pair = strprintf("c%u,c%u", pick.first, pick.second);
    faultPoint("selinux.mcs-allocate");
    table[domainKey] = pair;
    writeTable(stateFile_, table);
    created = true;
    return pair;
}

bool McsAllocator::release(const std::string &domainKey) const
{
    FileLock lock = lockTable(stateFile_);
    Table table = readTable(stateFile_);
    if (!table.erase(domainKey))
        return false;
    writeTable(stateFile_, table);
    return true;
}

std::map<std::string, std::string> McsAllocator::allocations() const
{
    FileLock lock = lockTable(stateFile_);
    return readTable(stateFile_);
}

} // namespace xlnv::security
