// The host's boot time as libvirt's security drivers record it in
// trusted.libvirt.security.timestamp_*: seconds since the epoch, in
// decimal. Facts from libvirt (virHostGetBootTime): the utmp BOOT_TIME
// record's ut_tv.tv_sec when there is one, else now - /proc/uptime,
// rounded to the nearest second; computed once per process.
#pragma once

#include <cstdint>
#include <string>

namespace xlnv::security {

uint64_t hostBootTime();
std::string hostBootTimeString();

// True when a recorded timestamp belongs to this boot. The /proc/uptime
// fallback comes from two clock reads, so two processes (or libvirt and
// us) may differ by one second on the same boot: accept +-1 s.
bool isCurrentBoot(const std::string &recorded);

} // namespace xlnv::security
