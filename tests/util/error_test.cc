#include <gtest/gtest.h>

#include <cerrno>

#include "util/error.h"

using namespace xlnv;

TEST(Error, PrefixesLikeLibvirt)
{
    Error xml(ErrorCode::XmlError, "missing <target> element for <memory> device");
    EXPECT_EQ(xml.message(), "XML error: missing <target> element for <memory> device");
    Error cfg(ErrorCode::ConfigUnsupported, "discard is not supported for nvdimms");
    EXPECT_EQ(cfg.message(), "unsupported configuration: discard is not supported for nvdimms");
    Error nodom(ErrorCode::NoDomain, "no domain with matching name 'x'");
    EXPECT_EQ(nodom.message(), "Domain not found: no domain with matching name 'x'");
}

TEST(Error, SystemErrorAppendsStrerror)
{
    try {
        raiseSystem(ENOENT, "Failed to open file '%s'", "/nope");
        FAIL() << "raiseSystem returned";
    } catch (const Error &e) {
        EXPECT_EQ(e.code(), ErrorCode::SystemError);
        EXPECT_EQ(e.errnum(), ENOENT);
        EXPECT_EQ(e.message(), "Failed to open file '/nope': No such file or directory");
    }
}

TEST(Error, CodesHaveStableNames)
{
    EXPECT_STREQ(errorCodeName(ErrorCode::ConfigUnsupported), "CONFIG_UNSUPPORTED");
    EXPECT_NE(errorCodeNumber(ErrorCode::XmlError), errorCodeNumber(ErrorCode::Internal));
}
