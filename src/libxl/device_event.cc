#include "libxl/device_event.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <ctime>
#include <optional>

#include <nlohmann/json.hpp>

#include "util/state_dir.h"
#include "util/error.h"
#include "util/fd.h"
#include "util/i18n.h"
#include "util/strutil.h"

namespace xlnv::libxl {

namespace {

int64_t nowMicroseconds()
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return static_cast<int64_t>(ts.tv_sec) * 1000000 + ts.tv_nsec / 1000;
}

std::optional<DeviceEvent> parseLine(const std::string &line)
{
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (!j.is_object())
        return std::nullopt;
    try {
        DeviceEvent e;
        e.seq = j.at("seq").get<uint64_t>();
        e.time_us = j.at("time").get<int64_t>();
        e.kind = deviceEventFromName(j.at("event").get<std::string>());
        e.domain = j.at("domain").get<std::string>();
        e.uuid = j.value("uuid", std::string());
        e.alias = j.at("alias").get<std::string>();
        if (j.contains("guest_notified"))
            e.guest_notified = j.at("guest_notified").get<bool>();
        return e;
    } catch (const nlohmann::json::exception &) {
        return std::nullopt;
    } catch (const Error &) {
        return std::nullopt;
    }
}

// Bytes [from, end of file) of an open file.
std::string readTail(int fd, uint64_t from)
{
    std::string out;
    char buf[65536];
    uint64_t off = from;
    for (;;) {
        ssize_t n = pread(fd, buf, sizeof buf, static_cast<off_t>(off));
        if (n < 0) {
            if (errno == EINTR)
                continue;
            raiseSystem(errno, _("cannot read events file"));
        }
        if (n == 0)
            break;
        out.append(buf, static_cast<size_t>(n));
        off += static_cast<uint64_t>(n);
    }
    return out;
}

} // namespace

const char *deviceEventName(DeviceEventKind kind)
{
    return kind == DeviceEventKind::Added ? "device-added" : "device-removed";
}

DeviceEventKind deviceEventFromName(const std::string &name)
{
    if (name == "device-added")
        return DeviceEventKind::Added;
    if (name == "device-removed")
        return DeviceEventKind::Removed;
    raise(ErrorCode::InvalidArg, _("unknown event '%s', expected device-added or device-removed"),
          name.c_str());
}

std::string formatDeviceEvent(const DeviceEvent &event)
{
    return strprintf("event '%s' for domain '%s': %s", deviceEventName(event.kind),
                     event.domain.c_str(), event.alias.c_str());
}

EventLog::EventLog(const std::string &stateDir)
    : path_(stateDir + "/events.log"), lockPath_(stateDir + "/events.lock")
{
}

void EventLog::append(DeviceEvent &event)
{
    const std::string dir = path_.substr(0, path_.rfind('/'));
    makeDirectories(dir);
    StateLock lock(lockPath_, StateLock::Mode::Exclusive);
    UniqueFd fd(open(path_.c_str(), O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0644));
    if (!fd)
        raiseSystem(errno, _("cannot open events file '%s'"), path_.c_str());
    struct stat st;
    if (fstat(fd.get(), &st) < 0)
        raiseSystem(errno, _("cannot examine events file '%s'"), path_.c_str());

    // The last sequence number is on the last complete line; a writer
    // killed mid-line left a fragment, which is closed off first.
    uint64_t lastSeq = 0;
    std::string prefix;
    if (st.st_size > 0) {
        const uint64_t from = st.st_size > 4096 ? static_cast<uint64_t>(st.st_size) - 4096 : 0;
        const std::string tail = readTail(fd.get(), from);
        if (!tail.empty() && tail.back() != '\n')
            prefix = "\n";
        size_t end = tail.rfind('\n');
        while (end != std::string::npos && end > 0) {
            size_t start = tail.rfind('\n', end - 1);
            const std::string line = tail.substr(start == std::string::npos ? 0 : start + 1,
                                                 end - (start == std::string::npos ? 0 : start + 1));
            if (auto e = parseLine(line)) {
                lastSeq = e->seq;
                break;
            }
            if (start == std::string::npos)
                break;
            end = start;
        }
    }
    event.seq = lastSeq + 1;
    event.time_us = nowMicroseconds();
    nlohmann::json j = {{"seq", event.seq},        {"time", event.time_us},
                        {"event", deviceEventName(event.kind)},
                        {"domain", event.domain}, {"uuid", event.uuid},
                        {"alias", event.alias}};
    if (event.guest_notified)
        j["guest_notified"] = *event.guest_notified;
    const std::string line = prefix + j.dump() + "\n";
    size_t done = 0;
    while (done < line.size()) {
        ssize_t n = write(fd.get(), line.data() + done, line.size() - done);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            raiseSystem(errno, _("cannot write events file '%s'"), path_.c_str());
        }
        done += static_cast<size_t>(n);
    }
    // No fsync: an event is news for the listeners of this boot, as
    // libvirt's; after a host crash nobody is left to act on it.
}

std::vector<DeviceEvent> EventLog::readFrom(uint64_t &offset) const
{
    std::vector<DeviceEvent> out;
    UniqueFd fd(open(path_.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) {
        if (errno == ENOENT)
            return out;
        raiseSystem(errno, _("cannot open events file '%s'"), path_.c_str());
    }
    const std::string text = readTail(fd.get(), offset);
    size_t pos = 0;
    for (;;) {
        size_t nl = text.find('\n', pos);
        if (nl == std::string::npos)
            break;   // torn or still being written: next call
        if (auto e = parseLine(text.substr(pos, nl - pos)))
            out.push_back(std::move(*e));
        pos = nl + 1;
    }
    offset += pos;
    return out;
}

uint64_t EventLog::endOffset() const
{
    struct stat st;
    if (stat(path_.c_str(), &st) < 0) {
        if (errno == ENOENT)
            return 0;
        raiseSystem(errno, _("cannot examine events file '%s'"), path_.c_str());
    }
    return static_cast<uint64_t>(st.st_size);
}

} // namespace xlnv::libxl
