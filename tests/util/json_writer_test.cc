// JsonWriter prints what nlohmann::json::dump(1) prints for the same
// document, and refuses what nlohmann refuses.
#include <cstdint>
#include <limits>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "util/json_writer.h"

using namespace xlnv;

TEST(JsonWriter, PrintsWhatNlohmannPrintsWithIndentOne)
{
    JsonWriter w;
    w.beginObject();
    w.key("a").beginArray();
    w.beginObject().field("x", 1).field("y", "two").endObject();
    w.beginObject().endObject();
    w.value(-3).value(std::numeric_limits<uint64_t>::max()).value(true).null();
    w.endArray();
    w.key("b").beginArray().endArray();
    w.key("c").beginObject().key("d").beginArray().value("q\"uote\\\n\t\x01").endArray().endObject();
    w.field("e", false).field("f", std::numeric_limits<int64_t>::min()).field("g", "caf\xc3\xa9");
    w.endObject();

    const nlohmann::json expected = {
        {"a", {{{"x", 1}, {"y", "two"}}, nlohmann::json::object(), -3,
               std::numeric_limits<uint64_t>::max(), true, nullptr}},
        {"b", nlohmann::json::array()},
        {"c", {{"d", {"q\"uote\\\n\t\x01"}}}},
        {"e", false},
        {"f", std::numeric_limits<int64_t>::min()},
        {"g", "caf\xc3\xa9"},
    };
    EXPECT_EQ(w.text(), expected.dump(1));
    EXPECT_EQ(nlohmann::json::parse(w.text()), expected);
}

TEST(JsonWriter, ATopLevelScalarOrEmptyContainerIsOneToken)
{
    EXPECT_EQ(JsonWriter().value(7u).text(), "7");
    EXPECT_EQ(JsonWriter().beginObject().endObject().text(), "{}");
    EXPECT_EQ(JsonWriter().beginArray().endArray().text(), "[]");
}

TEST(JsonWriter, RefusesAStringThatIsNotUtf8AsNlohmannDoes)
{
    JsonWriter w;
    w.beginObject();
    EXPECT_THROW(w.field("path", std::string("/dev/\xff")), nlohmann::json::type_error);
}
