// DEVICE_ADDED / DEVICE_REMOVED events and the append-only file that
// carries them between processes (<state dir>/events.log, one JSON object
// a line: {"seq","time","event","domain","uuid","alias"[,"guest_notified"]}). Writers append
// under an flock so lines never interleave; readers follow the file from
// an offset (`event --loop`).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace xlnv::libxl {

enum class DeviceEventKind { Added, Removed };
// virsh's words: "device-added", "device-removed".
const char *deviceEventName(DeviceEventKind kind);
// Inverse; InvalidArg naming the word for anything else.
DeviceEventKind deviceEventFromName(const std::string &name);

struct DeviceEvent {
    uint64_t seq = 0;          // 1-based, assigned by EventLog::append
    int64_t time_us = 0;       // CLOCK_REALTIME, microseconds
    DeviceEventKind kind = DeviceEventKind::Added;
    std::string domain;
    std::string uuid;
    std::string alias;
    // device-added by a live attach: whether the running guest's OS was
    // notified (FIT page + hotplug interrupt); unset for other events.
    std::optional<bool> guest_notified;
};

// virsh's line: "event 'device-added' for domain 'demo': nvdimm0".
std::string formatDeviceEvent(const DeviceEvent &event);

class EventLog {
public:
    explicit EventLog(const std::string &stateDir);

    // Assigns seq and time, appends (not fsynced: events are news for this boot).
    void append(DeviceEvent &event);
    // Events starting at byte `offset`; moves `offset` past the last
    // complete line read. A torn last line is left for the next call.
    std::vector<DeviceEvent> readFrom(uint64_t &offset) const;
    // Current end of the file (where a new follower starts).
    uint64_t endOffset() const;
    const std::string &path() const { return path_; }

private:
    std::string path_;
    std::string lockPath_;
};

} // namespace xlnv::libxl
