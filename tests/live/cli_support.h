// Helpers of the CLI end-to-end tests: a fresh simulated host per test
// (its own --state-dir under a temporary directory) and the real
// virt-xen-nvdimm binary ($VIRT_XEN_NVDIMM) run as a child process,
// in the foreground or in the background, with extra environment.
#pragma once

#include <fcntl.h>
#include <algorithm>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "../support/test_files.h"

// Test specs are built with designated initializers that name only what
// differs from the defaults; GCC 12 warns about every member left out.
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

namespace xlnv::test {

struct CliResult {
    int status = -1;    // exit status; -1 when killed by a signal
    int signal = 0;     // the signal that ended it, 0 when it exited
    std::string out;
    std::string err;
    bool ok() const { return status == 0; }
};

inline std::string cliPath()
{
    const char *bin = std::getenv("VIRT_XEN_NVDIMM");
    return bin && *bin ? bin : "virt-xen-nvdimm";
}

// In a forked child: set `env` (an empty value unsets a variable) and run
// argv[0]; exit status 127 when it cannot be run.
[[noreturn]] inline void execWithEnv(std::vector<std::string> argv,
                                     const std::map<std::string, std::string> &env)
{
    for (const auto &[k, v] : env) {
        if (v.empty())
            unsetenv(k.c_str());
        else
            setenv(k.c_str(), v.c_str(), 1);
    }
    std::vector<char *> cargv;
    for (auto &a : argv)
        cargv.push_back(a.data());
    cargv.push_back(nullptr);
    execv(cargv[0], cargv.data());
    _exit(127);
}

// A running virt-xen-nvdimm; wait() collects it.
class CliProcess {
public:
    CliProcess(const std::vector<std::string> &args, const std::map<std::string, std::string> &env,
               const std::string &scratchDir)
    {
        static int serial = 0;
        const std::string tag = std::to_string(getpid()) + "-" + std::to_string(serial++);
        outPath_ = scratchDir + "/out-" + tag;
        errPath_ = scratchDir + "/err-" + tag;
        std::vector<std::string> argv = {cliPath()};
        argv.insert(argv.end(), args.begin(), args.end());
        pid_ = fork();
        if (pid_ < 0)
            throw std::runtime_error("fork failed");
        if (pid_ == 0) {
            const int in = open("/dev/null", O_RDONLY);
            const int out = open(outPath_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
            const int err = open(errPath_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
            if (in < 0 || out < 0 || err < 0)
                _exit(126);
            dup2(in, 0);
            dup2(out, 1);
            dup2(err, 2);
            execWithEnv(argv, env);
        }
    }
    ~CliProcess()
    {
        if (pid_ > 0) {
            kill(pid_, SIGKILL);
            waitpid(pid_, nullptr, 0);
        }
    }
    CliProcess(const CliProcess &) = delete;
    CliProcess &operator=(const CliProcess &) = delete;

    pid_t pid() const { return pid_; }

    // Waits (up to 20 s) until the process has printed `lines` lines.
    bool waitForLines(size_t lines) const
    {
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
        while (std::chrono::steady_clock::now() < deadline) {
            const std::string out = readFile(outPath_);
            if (static_cast<size_t>(std::count(out.begin(), out.end(), '\n')) >= lines)
                return true;
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        return false;
    }

    // Waits (up to `limit`) until the process sleeps in poll(2): for
    // `event`, that it has taken the events file's end and follows it.
    bool waitUntilPolling(std::chrono::milliseconds limit = std::chrono::seconds(20)) const
    {
        const auto deadline = std::chrono::steady_clock::now() + limit;
        const std::string wchan = "/proc/" + std::to_string(pid_) + "/wchan";
        while (std::chrono::steady_clock::now() < deadline) {
            if (readFile(wchan).find("poll") != std::string::npos)
                return true;
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        return false;
    }
    void signal(int sig) const { kill(pid_, sig); }

    CliResult wait()
    {
        CliResult r;
        int st = 0;
        while (waitpid(pid_, &st, 0) < 0 && errno == EINTR) {
        }
        pid_ = -1;
        if (WIFEXITED(st))
            r.status = WEXITSTATUS(st);
        else if (WIFSIGNALED(st))
            r.signal = WTERMSIG(st);
        r.out = readFile(outPath_);
        r.err = readFile(errPath_);
        std::filesystem::remove(outPath_);
        std::filesystem::remove(errPath_);
        return r;
    }

private:
    pid_t pid_ = -1;
    std::string outPath_;
    std::string errPath_;
};

// One simulated host (sim:///default or a host file) in a fresh state
// directory; cli() runs a command against it.
class SimHostDir {
public:
    explicit SimHostDir(std::string uri = "sim:///default") : uri_(std::move(uri))
    {
        std::filesystem::create_directory(dir_ / "state");
        std::filesystem::create_directory(dir_ / "scratch");
        // A config file of our own: nothing from the machine leaks in.
        config_ = dir_ / "libxl-nvdimm.conf";
        writeFile(config_, "[hypervisor]\neject_timeout_ms=2000\n");
    }

    const std::string &uri() const { return uri_; }
    std::string stateDir() const { return dir_ / "state"; }
    std::string path(const std::string &rel) const { return dir_ / rel; }
    std::string scratch() const { return dir_ / "scratch"; }
    void setConfig(const std::string &text) { writeFile(config_, text); }

    std::vector<std::string> argv(const std::vector<std::string> &args) const
    {
        std::vector<std::string> all = {"-c", uri_, "--state-dir", stateDir()};
        all.insert(all.end(), args.begin(), args.end());
        return all;
    }
    std::map<std::string, std::string> env(std::map<std::string, std::string> extra = {}) const
    {
        extra.emplace("LIBXL_NVDIMM_CONFIG", config_);
        extra.emplace("LC_ALL", "C");
        extra.emplace("LANGUAGE", "C");
        return extra;
    }

    CliResult cli(const std::vector<std::string> &args,
                  const std::map<std::string, std::string> &extraEnv = {}) const
    {
        CliProcess p(argv(args), env(extraEnv), scratch());
        return p.wait();
    }
    std::unique_ptr<CliProcess> spawn(const std::vector<std::string> &args,
                                      const std::map<std::string, std::string> &extraEnv = {}) const
    {
        return std::make_unique<CliProcess>(argv(args), env(extraEnv), scratch());
    }

    // A file in the test directory holding `text` (device XML and such).
    std::string file(const std::string &name, const std::string &text) const
    {
        const std::string p = dir_ / name;
        writeFile(p, text);
        return p;
    }

    nlohmann::json stats() const
    {
        const CliResult r = cli({"sim-stats", "--json"});
        if (!r.ok())
            throw std::runtime_error("sim-stats failed: " + r.err);
        return nlohmann::json::parse(r.out);
    }
    // The fsdax namespace's DAX mount, from `pmem-list --json`.
    std::string fsdaxMount() const
    {
        const CliResult r = cli({"pmem-list", "--json"});
        if (!r.ok())
            throw std::runtime_error("pmem-list failed: " + r.err);
        for (const auto &ns : nlohmann::json::parse(r.out))
            if (ns.value("mode", "") == "fsdax" && !ns.value("mount", "").empty())
                return ns["mount"];
        throw std::runtime_error("no fsdax namespace with a mount in: " + r.out);
    }

private:
    TempDir dir_;
    std::string uri_;
    std::string config_;
};

// <memory model='nvdimm'> device XML.
struct NvdimmSpec {
    std::string path = "/dev/dax0.0";
    uint64_t size_mib = 1024;
    bool readonly = false;
    std::string alias;          // "" = let the driver assign one
    uint64_t label_kib = 0;     // 0 = no label area
};

inline std::string nvdimmXml(const NvdimmSpec &s)
{
    std::string xml = "<memory model='nvdimm' access='shared'>\n"
                      "  <source>\n    <path>" + s.path + "</path>\n  </source>\n"
                      "  <target>\n    <size unit='MiB'>" + std::to_string(s.size_mib) + "</size>\n";
    if (s.label_kib)
        xml += "    <label>\n      <size unit='KiB'>" + std::to_string(s.label_kib) + "</size>\n    </label>\n";
    if (s.readonly)
        xml += "    <readonly/>\n";
    xml += "  </target>\n";
    if (!s.alias.empty())
        xml += "  <alias name='" + s.alias + "'/>\n";
    xml += "</memory>\n";
    return xml;
}

// The <memory model='nvdimm'> elements of a domain XML, in order.
inline std::vector<std::string> nvdimmElements(const std::string &domainXml)
{
    std::vector<std::string> out;
    size_t pos = 0;
    while ((pos = domainXml.find("<memory model='nvdimm'", pos)) != std::string::npos) {
        const size_t end = domainXml.find("</memory>", pos);
        if (end == std::string::npos)
            break;
        out.push_back(domainXml.substr(pos, end + 9 - pos));
        pos = end;
    }
    return out;
}

inline bool contains(const std::string &text, const std::string &what)
{
    return text.find(what) != std::string::npos;
}

} // namespace xlnv::test

namespace xlnv::test {

// A simulated host like sim:///default (a 1 TiB devdax namespace at the
// same SPA, a 64 GiB fsdax one with a mount, a running `demo`, a shut
// off `demo2`), with knobs: demo's maxMemory, its guest's answer to an
// eject request, and the devdax namespace's offset in its region (not
// 2 MiB aligned = only 4 KiB mappings).
struct SimHostSpec {
    uint64_t demo_max_memory_kib = 2147483648ull;   // 2 TiB
    std::string eject = "ack";                      // ack | refuse | ignore
    std::string devdax_offset = "2MiB";
    std::string devdax_size = "1TiB";
    std::string devdax_align = "2MiB";
    std::string demo_phys_bits;                     // <guest phys_bits> of demo; empty: none
    std::string host_phys_bits;                     // <simhost phys_bits>; empty: none
};

inline std::string simGuestXml(const std::string &state, const std::string &name, const std::string &uuid,
                               uint64_t maxKib, uint64_t memKib, const std::string &extra)
{
    const std::string mem = std::to_string(memKib);
    return "    <guest state='" + state + "'" + extra + ">\n"
           "      <domain type='xen'>\n"
           "        <name>" + name + "</name>\n"
           "        <uuid>" + uuid + "</uuid>\n"
           "        <maxMemory slots='16' unit='KiB'>" + std::to_string(maxKib) + "</maxMemory>\n"
           "        <memory unit='KiB'>" + mem + "</memory>\n"
           "        <currentMemory unit='KiB'>" + mem + "</currentMemory>\n"
           "        <vcpu placement='static'>1</vcpu>\n"
           "        <os><type arch='x86_64' machine='xenfv'>hvm</type></os>\n"
           "        <features><acpi/><apic/><pae/></features>\n"
           "        <cpu><numa><cell id='0' cpus='0' memory='" + mem + "' unit='KiB'/></numa></cpu>\n"
           "        <devices/>\n"
           "      </domain>\n"
           "    </guest>\n";
}

inline std::string simHostXml(const SimHostSpec &spec)
{
    return "<simhost name='test'" +
           (spec.host_phys_bits.empty() ? std::string() : " phys_bits='" + spec.host_phys_bits + "'") + ">\n"
           "  <pmem>\n"
           "    <region dev='region0' spa='0x10000000000' size='0x10000200000' align='" +
           spec.devdax_align + "' node='0'>\n"
           "      <namespace dev='namespace0.0' mode='devdax' chardev='dax0.0' offset='" +
           spec.devdax_offset + "' size='" + spec.devdax_size + "' align='" + spec.devdax_align + "'/>\n"
           "    </region>\n"
           "    <region dev='region1' spa='0x30000000000' size='64GiB' align='2MiB' node='0'>\n"
           "      <namespace dev='namespace1.0' mode='fsdax' blockdev='pmem1' offset='2MiB'"
           " size='0xFFFE00000' align='2MiB' mount='pmem1'/>\n"
           "    </region>\n"
           "  </pmem>\n"
           "  <guests>\n" +
           simGuestXml("running", "demo", "4dea22b3-1d52-d8f3-2516-782e98ab3fa0", spec.demo_max_memory_kib,
                       4194304, " id='1' eject='" + spec.eject + "'" +
                           (spec.demo_phys_bits.empty() ? "" : " phys_bits='" + spec.demo_phys_bits + "'")) +
           simGuestXml("shutoff", "demo2", "8a3c6f0e-5b1d-4c2a-9e7f-0d1b2c3d4e5f", 1073741824, 2097152, "") +
           "  </guests>\n"
           "</simhost>\n";
}

// A SimHostDir on sim:///PATH.xml with the host written into `dir`.
class CustomSimHost {
public:
    explicit CustomSimHost(const SimHostSpec &spec)
    {
        writeFile(dir_ / "host.xml", simHostXml(spec));
        host_ = std::make_unique<SimHostDir>("sim://" + (dir_ / "host.xml"));
    }
    SimHostDir &operator*() { return *host_; }
    SimHostDir *operator->() { return host_.get(); }

private:
    TempDir dir_{"xlnv-cli-host"};
    std::unique_ptr<SimHostDir> host_;
};

} // namespace xlnv::test
