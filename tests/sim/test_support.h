// Helpers shared by the hypervisor tests: running the CLI.
#pragma once

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "../support/test_files.h"

namespace xlnv::test {

struct CommandResult {
    int status = -1;
    std::string out;
    std::string err;
};

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
    r.out = readFile(scratch / "out");
    r.err = readFile(scratch / "err");
    return r;
}

} // namespace xlnv::test
