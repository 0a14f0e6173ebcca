// The test-only switches of util/fault_injection.h as a command sees
// them: LIBXL_NVDIMM_FAULT (domains, :kill) and LIBXL_NVDIMM_FAULT_REPORT.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "util/error.h"
#include "util/fault_injection.h"

using namespace xlnv;

namespace {

// Runs `body` in a child with the given environment; returns its wait status.
int inChild(const char *fault, const char *report, const std::function<void()> &body)
{
    pid_t pid = fork();
    if (pid == 0) {
        if (fault)
            setenv("LIBXL_NVDIMM_FAULT", fault, 1);
        else
            unsetenv("LIBXL_NVDIMM_FAULT");
        if (report)
            setenv("LIBXL_NVDIMM_FAULT_REPORT", report, 1);
        fault::armFromEnvironment();
        int rc = 0;
        try {
            body();
        } catch (const Error &) {
            rc = 3;
        }
        std::exit(rc);   // exit(), not _exit(): the report is written at exit
    }
    int status = 0;
    waitpid(pid, &status, 0);
    return status;
}

} // namespace

TEST(FaultEnvironment, ArmsEachDomainOnItsOwn)
{
    const int status = inChild("security:5,live:2", nullptr, [] {
        fault::point(fault::Domain::Sim, "s1");
        fault::point(fault::Domain::Live, "l1");
        fault::point(fault::Domain::Live, "l2");   // throws
    });
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 3);
}

TEST(FaultEnvironment, KillRaisesSigkillAtThatPoint)
{
    const int status = inChild("sim:2:kill", nullptr, [] {
        fault::point(fault::Domain::Sim, "s1");
        fault::point(fault::Domain::Sim, "s2");
    });
    ASSERT_TRUE(WIFSIGNALED(status));
    EXPECT_EQ(WTERMSIG(status), SIGKILL);
}

TEST(FaultEnvironment, ReportCountsThePointsOfEachDomain)
{
    char path[] = "/tmp/xlnv-fault-report-XXXXXX";
    int fd = mkstemp(path);
    ASSERT_GE(fd, 0);
    close(fd);
    const int status = inChild(nullptr, path, [] {
        for (int i = 0; i < 3; i++)
            fault::point(fault::Domain::Live, "l");
        fault::point(fault::Domain::Sim, "s");
    });
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 0);
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    EXPECT_EQ(text.str(), "live=3 sim=1 security=0\n");
    unlink(path);
}

TEST(FaultEnvironment, InjectedErrorNamesStepAndPoint)
{
    fault::setFaultAt(fault::Domain::Live, 2);
    fault::point(fault::Domain::Live, "first");
    try {
        fault::point(fault::Domain::Live, "attach: map range");
        FAIL() << "no fault";
    } catch (const Error &e) {
        EXPECT_EQ(e.code(), ErrorCode::OperationFailed);
        EXPECT_EQ(e.detail(), "injected fault at live step 2 (attach: map range)");
    }
    // One shot: the rollback passes freely.
    EXPECT_NO_THROW(fault::point(fault::Domain::Live, "undo"));
    fault::setFaultAt(fault::Domain::Live, 0);
}
