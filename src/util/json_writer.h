// JSON text written as it goes, for records saved at every step of an
// operation (the domain status): building an nlohmann::json tree only to
// dump it costs several times the text. The output is what
// nlohmann::json::dump(1) prints for the same document when keys are
// written in sorted order (std::map's); strings are escaped by nlohmann,
// so a string that is not UTF-8 is refused the same way.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace xlnv {

class JsonWriter {
public:
    JsonWriter &beginObject();
    JsonWriter &endObject();
    JsonWriter &beginArray();
    JsonWriter &endArray();
    // The key of the next value in the object being written.
    JsonWriter &key(std::string_view name);

    JsonWriter &value(std::string_view text);
    JsonWriter &value(const char *text) { return value(std::string_view(text)); }
    JsonWriter &value(const std::string &text) { return value(std::string_view(text)); }
    JsonWriter &value(bool b);
    JsonWriter &null();
    template <typename T>
        requires(std::is_integral_v<T> && !std::is_same_v<T, bool>)
    JsonWriter &value(T n)
    {
        return number(std::is_signed_v<T> ? static_cast<int64_t>(n) : 0,
                      std::is_signed_v<T> ? 0 : static_cast<uint64_t>(n), std::is_signed_v<T>);
    }

    // key(name) then value(v).
    template <typename T>
    JsonWriter &field(std::string_view name, const T &v)
    {
        key(name);
        return value(v);
    }

    // The text so far (complete once every container is closed).
    const std::string &text() const { return out_; }

private:
    JsonWriter &number(int64_t s, uint64_t u, bool isSigned);
    void beforeValue();
    JsonWriter &close(char bracket);

    std::string out_;
    std::vector<bool> empty_;   // per open container: nothing in it yet
    bool afterKey_ = false;
};

} // namespace xlnv
