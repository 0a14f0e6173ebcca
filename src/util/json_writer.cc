#include "util/json_writer.h"

#include <charconv>

#include <nlohmann/json.hpp>

namespace xlnv {

void JsonWriter::beforeValue()
{
    if (afterKey_) {
        afterKey_ = false;
        return;
    }
    if (empty_.empty())
        return;
    if (!empty_.back())
        out_ += ',';
    empty_.back() = false;
    out_ += '\n';
    out_.append(empty_.size(), ' ');
}

JsonWriter &JsonWriter::beginObject()
{
    beforeValue();
    out_ += '{';
    empty_.push_back(true);
    return *this;
}

JsonWriter &JsonWriter::beginArray()
{
    beforeValue();
    out_ += '[';
    empty_.push_back(true);
    return *this;
}

JsonWriter &JsonWriter::close(char bracket)
{
    const bool wasEmpty = empty_.back();
    empty_.pop_back();
    if (!wasEmpty) {
        out_ += '\n';
        out_.append(empty_.size(), ' ');
    }
    out_ += bracket;
    return *this;
}

JsonWriter &JsonWriter::endObject()
{
    return close('}');
}

JsonWriter &JsonWriter::endArray()
{
    return close(']');
}

JsonWriter &JsonWriter::key(std::string_view name)
{
    beforeValue();
    out_ += nlohmann::json(name).dump();
    out_ += ": ";
    afterKey_ = true;
    return *this;
}

JsonWriter &JsonWriter::value(std::string_view text)
{
    beforeValue();
    out_ += nlohmann::json(text).dump();
    return *this;
}

JsonWriter &JsonWriter::value(bool b)
{
    beforeValue();
    out_ += b ? "true" : "false";
    return *this;
}

JsonWriter &JsonWriter::null()
{
    beforeValue();
    out_ += "null";
    return *this;
}

JsonWriter &JsonWriter::number(int64_t s, uint64_t u, bool isSigned)
{
    beforeValue();
    char buf[24];
    const auto r = isSigned ? std::to_chars(buf, buf + sizeof(buf), s) : std::to_chars(buf, buf + sizeof(buf), u);
    out_.append(buf, r.ptr);
    return *this;
}

} // namespace xlnv
