#include "xenbed_client.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>

namespace fs = std::filesystem;

namespace xlnv::testbed {

namespace {

std::string slurp(const fs::path &path)
{
    std::ifstream in(path, std::ios::binary);
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
}

std::string tail(const std::string &text, std::size_t lines)
{
    std::size_t pos = text.size();
    for (std::size_t n = 0; n <= lines && pos > 0; ++n)
        pos = text.rfind('\n', pos - 1);
    return pos == std::string::npos ? text : text.substr(pos + 1);
}

}  // namespace

std::string sourceDir()
{
    if (const char *s = std::getenv("abs_top_srcdir"))
        return s;
    return PROJECT_SOURCE_DIR;
}

std::uint64_t guestMarker(std::uint32_t nonce, unsigned index)
{
    return (std::uint64_t{nonce} << 32) | (0x4e56u << 16) | (index & 0xffffu);
}

std::string hex(std::uint64_t v)
{
    char buf[32];
    std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(v));
    return buf;
}

std::optional<std::uint64_t> xenLogField(const std::string &line, const std::string &field)
{
    const auto at = line.find(" " + field + "=");
    if (at == std::string::npos)
        return std::nullopt;
    const std::string rest = line.substr(at + field.size() + 2);
    return parseNumber("0x" + rest.substr(0, rest.find(' ')));
}

std::optional<std::uint64_t> parseNumber(const std::string &text)
{
    if (text.empty())
        return std::nullopt;
    errno = 0;
    char *end = nullptr;
    const unsigned long long v = std::strtoull(text.c_str(), &end, 0);
    if (errno != 0 || end == text.c_str() || *end != '\0')
        return std::nullopt;
    return v;
}

int runProgram(const std::vector<std::string> &argv, const std::string &log_path)
{
    std::vector<char *> args;
    for (const auto &a : argv)
        args.push_back(const_cast<char *>(a.c_str()));
    args.push_back(nullptr);
    const pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        const int fd = open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd >= 0) {
            dup2(fd, STDOUT_FILENO);
            dup2(fd, STDERR_FILENO);
        }
        execvp(args[0], args.data());
        _exit(127);
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR)
            return -1;
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

XenBoot::XenBoot()
{
    std::random_device rd;
    nonce_ = static_cast<std::uint32_t>(rd());
    if (nonce_ == 0)
        nonce_ = 0x5a5a5a5a;
}

XenBoot::~XenBoot()
{
    const char *keep = std::getenv("XLNV_KEEP_BED");
    if (!dir_.empty() && !(keep && std::string(keep) == "1")) {
        std::error_code ec;
        fs::remove_all(dir_, ec);
    }
}

void XenBoot::prepare(std::vector<NvdimmBacking> nvdimms)
{
    const char *tmp = std::getenv("TMPDIR");
    std::string templ = std::string(tmp && *tmp ? tmp : "/tmp") + "/xlnv-xen-test-XXXXXX";
    if (!mkdtemp(templ.data()))
        throw std::runtime_error("mkdtemp: " + std::string(std::strerror(errno)));
    dir_ = templ;
    nvdimms_ = std::move(nvdimms);
    for (std::size_t i = 0; i < nvdimms_.size(); ++i) {
        auto &nv = nvdimms_[i];
        nv.path = dir_ + "/nvdimm" + std::to_string(i) + ".img";
        std::ofstream(nv.path).close();
        fs::resize_file(nv.path, nv.region_bytes + kLabelBytes);
    }
}

void XenBoot::writeBacking(std::size_t index, std::uint64_t offset, const std::string &bytes)
{
    std::fstream f(nvdimms_.at(index).path, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(offset));
    f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!f)
        throw std::runtime_error("cannot write " + nvdimms_.at(index).path);
}

std::string XenBoot::addFile(const std::string &name, const std::vector<std::uint8_t> &bytes,
                             const std::string &dest)
{
    const std::string path = dir_ + "/" + name;
    std::ofstream out(path, std::ios::binary);
    out.write(reinterpret_cast<const char *>(bytes.data()),
              static_cast<std::streamsize>(bytes.size()));
    out.close();
    extra_args_.push_back("--file");
    extra_args_.push_back(path + ":" + dest);
    return path;
}

void XenBoot::addBinary(const std::string &host_path, const std::string &dest)
{
    extra_args_.push_back("--bin");
    extra_args_.push_back(host_path + ":" + dest);
}

void XenBoot::addHostFile(const std::string &host_path, const std::string &dest)
{
    extra_args_.push_back("--file");
    extra_args_.push_back(host_path + ":" + dest);
}

void XenBoot::addTree(const std::string &tree, const std::vector<std::string> &paths)
{
    std::string spec = tree + ":";
    for (std::size_t i = 0; i < paths.size(); ++i)
        spec += (i ? "," : "") + paths[i];
    extra_args_.push_back("--tree");
    extra_args_.push_back(spec);
}

void XenBoot::setParams(std::vector<std::pair<std::string, std::string>> params)
{
    params_ = std::move(params);
}

bool XenBoot::run(const std::string &scenario, unsigned timeout_s)
{
    const std::string bed = sourceDir() + "/tests/xen";
    std::vector<std::string> argv = {"python3", bed + "/xenbed.py",
                                     "--out-dir", dir_ + "/out",
                                     "--script", bed + "/scenarios/" + scenario + ".sh",
                                     "--timeout", std::to_string(timeout_s)};
    char nonce_arg[32];
    std::snprintf(nonce_arg, sizeof nonce_arg, "nonce=0x%08x", nonce_);
    argv.insert(argv.end(), {"--dom0-arg", nonce_arg});
    {
        // Deterministic content, so the cached dom0 image is reused.
        const std::string params = dir_ + "/params.sh";
        std::ofstream out(params);
        for (const auto &[k, v] : params_)
            out << k << "=" << v << "\n";
        argv.insert(argv.end(), {"--params", params});
    }
    for (const auto &nv : nvdimms_)
        argv.insert(argv.end(), {"--nvdimm", nv.path + ":" +
                                 std::to_string(nv.region_bytes + kLabelBytes)});
    if (hvm_)
        argv.push_back("--hvm");
    if (!project_bin_.empty())
        argv.insert(argv.end(), {"--project-bin", project_bin_});
    argv.insert(argv.end(), extra_args_.begin(), extra_args_.end());
    fs::create_directories(dir_ + "/out");
    const int rc = runProgram(argv, dir_ + "/out/harness.log");
    try {
        report_ = nlohmann::json::parse(slurp(dir_ + "/out/result.json"));
    } catch (const std::exception &e) {
        report_ = {{"ok", false},
                   {"error", "no result.json (harness exit " + std::to_string(rc) + "): " +
                             tail(slurp(dir_ + "/out/harness.log"), 20)}};
    }
    return rc == 0 || rc == 1;
}

bool XenBoot::ok() const
{
    return report_.value("ok", false) && report_.value("dom0_exit", nlohmann::json()) == 0;
}

std::string XenBoot::failure() const
{
    std::string why = report_.value("error", std::string());
    if (why.empty() && !ok())
        why = "dom0 script exit status " + report_.value("dom0_exit", nlohmann::json()).dump();
    return why + "\n--- console tail (" + dir_ + "/out/console.log) ---\n" +
           tail(slurp(dir_ + "/out/console.log"), 40);
}

std::optional<std::string> XenBoot::result(const std::string &source,
                                           const std::string &key) const
{
    const auto results = report_.find("results");
    if (results == report_.end() || !results->contains(source))
        return std::nullopt;
    const auto &src = (*results)[source];
    if (!src.contains(key))
        return std::nullopt;
    return src[key].get<std::string>();
}

std::string XenBoot::log(const std::string &name) const
{
    return slurp(dir_ + "/out/" + (name == "dom0" ? std::string("dom0.log")
                                                  : "guest-" + name + ".log"));
}

std::string XenBoot::readBacking(std::size_t index, std::uint64_t offset,
                                 std::size_t length) const
{
    std::ifstream in(nvdimms_.at(index).path, std::ios::binary);
    in.seekg(static_cast<std::streamoff>(offset));
    std::string out(length, '\0');
    in.read(out.data(), static_cast<std::streamsize>(length));
    out.resize(static_cast<std::size_t>(in.gcount()));
    return out;
}

std::uint64_t XenBoot::readBacking64(std::size_t index, std::uint64_t offset) const
{
    const std::string bytes = readBacking(index, offset, 8);
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < bytes.size(); ++i)
        v |= std::uint64_t{static_cast<unsigned char>(bytes[i])} << (8 * i);
    return v;
}

}  // namespace xlnv::testbed
