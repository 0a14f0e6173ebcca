// Helpers shared by the host-pmem unit tests: a scratch directory on the
// machine's real filesystem, and small file helpers.
#pragma once

#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include <gtest/gtest.h>

namespace xlnv::test {

class ScratchDir {
public:
    ScratchDir()
    {
        const char *base = std::getenv("abs_builddir");
        std::string tmpl = std::string(base && *base ? base : "/tmp") + "/pmem-test-XXXXXX";
        if (!mkdtemp(tmpl.data()))
            throw std::runtime_error("mkdtemp failed");
        path_ = tmpl;
    }
    ~ScratchDir()
    {
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
    }
    const std::string &path() const { return path_; }
    std::string file(const std::string &name) const { return path_ + "/" + name; }

private:
    std::string path_;
};

inline void writeAt(int fd, uint64_t offset, const std::string &bytes)
{
    ASSERT_EQ(pwrite(fd, bytes.data(), bytes.size(), static_cast<off_t>(offset)),
              static_cast<ssize_t>(bytes.size()));
}

inline std::string readAt(int fd, uint64_t offset, size_t length)
{
    std::string out(length, '\0');
    ssize_t n = pread(fd, out.data(), length, static_cast<off_t>(offset));
    out.resize(n < 0 ? 0 : static_cast<size_t>(n));
    return out;
}

} // namespace xlnv::test
