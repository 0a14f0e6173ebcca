#include "conf/xml_layout.h"

#include "util/error.h"
#include "util/i18n.h"

namespace xlnv::conf {

namespace {

bool isNameChar(char c)
{
    return !(c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '/' || c == '>' || c == '=');
}

[[noreturn]] void scanFailed()
{
    raise(ErrorCode::Internal, "%s", _("cannot locate elements in the XML text"));
}

size_t skipPast(std::string_view text, size_t pos, std::string_view terminator)
{
    const size_t found = text.find(terminator, pos);
    if (found == std::string_view::npos)
        scanFailed();
    return found + terminator.size();
}

// Skip "<!DOCTYPE ...>" including an internal subset in brackets.
size_t skipDoctype(std::string_view text, size_t pos)
{
    int brackets = 0;
    char quote = 0;
    for (; pos < text.size(); pos++) {
        const char c = text[pos];
        if (quote) {
            if (c == quote)
                quote = 0;
        } else if (c == '"' || c == '\'') {
            quote = c;
        } else if (c == '[') {
            brackets++;
        } else if (c == ']') {
            brackets--;
        } else if (c == '>' && brackets <= 0) {
            return pos + 1;
        }
    }
    scanFailed();
}

} // namespace

std::vector<DevicesSpan> scanDevices(std::string_view text)
{
    std::vector<DevicesSpan> result;
    struct Open {
        std::string name;
        size_t start;
    };
    std::vector<Open> stack;
    size_t pos = 0;

    while ((pos = text.find('<', pos)) != std::string_view::npos) {
        const std::string_view rest = text.substr(pos);
        if (rest.starts_with("<!--")) {
            pos = skipPast(text, pos + 4, "-->");
            continue;
        }
        if (rest.starts_with("<![CDATA[")) {
            pos = skipPast(text, pos + 9, "]]>");
            continue;
        }
        if (rest.starts_with("<?")) {
            pos = skipPast(text, pos + 2, "?>");
            continue;
        }
        if (rest.starts_with("<!")) {
            pos = skipDoctype(text, pos + 2);
            continue;
        }

        const bool closing = rest.starts_with("</");
        size_t cur = pos + (closing ? 2 : 1);
        const size_t nameStart = cur;
        while (cur < text.size() && isNameChar(text[cur]))
            cur++;
        const std::string name(text.substr(nameStart, cur - nameStart));

        // Find the end of the tag, stepping over quoted attribute values.
        char quote = 0;
        bool selfClosing = false;
        for (; cur < text.size(); cur++) {
            const char c = text[cur];
            if (quote) {
                if (c == quote)
                    quote = 0;
            } else if (c == '"' || c == '\'') {
                quote = c;
            } else if (c == '>') {
                selfClosing = !closing && text[cur - 1] == '/';
                break;
            }
        }
        if (cur >= text.size())
            scanFailed();
        const size_t tagEnd = cur + 1;

        if (closing) {
            if (stack.empty() || stack.back().name != name)
                scanFailed();
            const Open open = stack.back();
            stack.pop_back();
            // stack now holds the parents of the element just closed.
            if (stack.size() == 2 && stack[1].name == "devices" && !result.empty())
                result.back().children.push_back({name, open.start, tagEnd});
            if (stack.size() == 1 && name == "devices" && !result.empty()) {
                result.back().element.end = tagEnd;
                result.back().content_end = pos;
            }
        } else if (selfClosing) {
            if (stack.size() == 2 && stack[1].name == "devices" && !result.empty())
                result.back().children.push_back({name, pos, tagEnd});
            if (stack.size() == 1 && name == "devices") {
                DevicesSpan span;
                span.element = {name, pos, tagEnd};
                span.self_closing = true;
                span.content_start = span.content_end = tagEnd;
                result.push_back(span);
            }
        } else {
            if (stack.size() == 1 && name == "devices") {
                DevicesSpan span;
                span.element = {name, pos, 0};
                span.content_start = tagEnd;
                result.push_back(span);
            }
            stack.push_back({name, pos});
        }
        pos = tagEnd;
    }
    return result;
}

int columnOf(std::string_view text, size_t offset)
{
    int column = 0;
    while (offset > 0) {
        const char c = text[offset - 1];
        if (c == '\n')
            return column;
        if (c != ' ' && c != '\t')
            return -1;
        column++;
        offset--;
    }
    return column;
}

} // namespace xlnv::conf
