// Helpers shared by the hypervisor tests: a temporary state directory and
// running the CLI.
#pragma once

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace xlnv::test {

class TempDir {
public:
    TempDir()
    {
        std::string tmpl = (std::filesystem::temp_directory_path() / "xlnv-hyp-XXXXXX").string();
        if (!mkdtemp(tmpl.data()))
            std::abort();
        path_ = tmpl;
    }
    ~TempDir() { std::filesystem::remove_all(path_); }
    const std::string &path() const { return path_; }
    std::string operator/(const std::string &rel) const { return path_ + "/" + rel; }

private:
    std::string path_;
};

struct CommandResult {
    int status = -1;
    std::string out;
    std::string err;
};

inline std::string slurp(const std::string &path)
{
    std::ifstream in(path);
    std::ostringstream buf;
    buf << in.rdbuf();
    return buf.str();
}

inline void writeText(const std::string &path, const std::string &text)
{
    std::ofstream(path) << text;
}

// Runs `virt-xen-nvdimm ARGS` with extra environment assignments.
inline CommandResult runCli(const std::string &args, const std::string &env = "")
{
    TempDir scratch;
    const char *bin = std::getenv("VIRT_XEN_NVDIMM");
    const std::string cmd = env + " '" + std::string(bin ? bin : "virt-xen-nvdimm") + "' " + args +
                            " >'" + scratch / "out" + "' 2>'" + scratch / "err" + "'";
    CommandResult r;
    const int rc = std::system(cmd.c_str());
    r.status = WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
    r.out = slurp(scratch / "out");
    r.err = slurp(scratch / "err");
    return r;
}

} // namespace xlnv::test
