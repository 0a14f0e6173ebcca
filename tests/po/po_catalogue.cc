#include "po_catalogue.h"

#include <fstream>
#include <sstream>
#include <stdexcept>

namespace xlnv::test {

namespace {

// One "..." PO string with C escapes -> its bytes.
std::string unquote(const std::string &line, size_t from, const std::string &where)
{
    const size_t open = line.find('"', from);
    const size_t close = line.rfind('"');
    if (open == std::string::npos || close <= open)
        throw std::runtime_error(where + ": expected a quoted string");
    std::string out;
    for (size_t i = open + 1; i < close; ++i) {
        char c = line[i];
        if (c != '\\' || i + 1 >= close) {
            out += c;
            continue;
        }
        switch (char e = line[++i]) {
        case 'n': out += '\n'; break;
        case 't': out += '\t'; break;
        case 'r': out += '\r'; break;
        case 'a': out += '\a'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'v': out += '\v'; break;
        default: out += e; break;   // \" \\ and the like
        }
    }
    return out;
}

} // namespace

PoCatalogue parsePoText(const std::string &text, const std::string &name)
{
    PoCatalogue cat;
    PoEntry cur;
    std::string *field = nullptr;
    bool inEntry = false;
    auto finish = [&] {
        if (inEntry && !cur.msgid.empty()) {
            cat.byMsgid.emplace(cur.msgid, cat.entries.size());
            cat.entries.push_back(cur);
        }
        cur = PoEntry{};
        field = nullptr;
        inEntry = false;
    };
    std::istringstream in(text);
    std::string line;
    for (int lineno = 1; std::getline(in, line); ++lineno) {
        const std::string where = name + ":" + std::to_string(lineno);
        if (line.empty()) {
            finish();
        } else if (line.rfind("#~", 0) == 0) {
            continue;   // obsolete entry: not part of the catalogue
        } else if (line.rfind("#:", 0) == 0) {
            if (inEntry)
                finish();
            std::istringstream refs(line.substr(2));
            for (std::string ref; refs >> ref;)
                cur.locations.push_back(ref);
        } else if (line.rfind("#,", 0) == 0) {
            if (inEntry)
                finish();
            cur.fuzzy = cur.fuzzy || line.find("fuzzy") != std::string::npos;
        } else if (line[0] == '#') {
            continue;
        } else if (line.rfind("msgctxt ", 0) == 0) {
            throw std::runtime_error(where + ": msgctxt is not used by this project");
        } else if (line.rfind("msgid_plural ", 0) == 0) {
            field = nullptr;   // plural form text: not compared
        } else if (line.rfind("msgid ", 0) == 0) {
            if (inEntry)
                finish();
            inEntry = true;
            cur.msgid = unquote(line, 6, where);
            field = &cur.msgid;
        } else if (line.rfind("msgstr ", 0) == 0 || line.rfind("msgstr[0] ", 0) == 0) {
            cur.msgstr = unquote(line, line.find(' '), where);
            field = &cur.msgstr;
        } else if (line.rfind("msgstr[", 0) == 0) {
            field = nullptr;
        } else if (line[0] == '"') {
            if (field)
                *field += unquote(line, 0, where);
        } else {
            throw std::runtime_error(where + ": unexpected line '" + line + "'");
        }
    }
    finish();
    return cat;
}

PoCatalogue readPoFile(const std::string &path)
{
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw std::runtime_error("cannot read " + path);
    std::ostringstream buf;
    buf << in.rdbuf();
    return parsePoText(buf.str(), path);
}

std::string quoteMsgid(const std::string &msgid)
{
    std::string out = "\"";
    for (char c : msgid) {
        switch (c) {
        case '\n': out += "\\n"; break;
        case '\t': out += "\\t"; break;
        case '\r': out += "\\r"; break;
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        default: out += c; break;
        }
    }
    return out + "\"";
}

} // namespace xlnv::test
