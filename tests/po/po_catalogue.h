// A gettext catalogue (.po or .pot) read into memory: just what the
// catalogue tests compare (msgid, msgstr, flags, source locations).
#pragma once

#include <map>
#include <string>
#include <vector>

namespace xlnv::test {

struct PoEntry {
    std::string msgid;
    std::string msgstr;           // first form only; we use no plurals
    std::vector<std::string> locations;   // "file:line"
    bool fuzzy = false;
};

struct PoCatalogue {
    std::vector<PoEntry> entries;             // header ("" msgid) and obsolete entries left out
    std::map<std::string, size_t> byMsgid;

    const PoEntry *find(const std::string &msgid) const
    {
        auto it = byMsgid.find(msgid);
        return it == byMsgid.end() ? nullptr : &entries[it->second];
    }
};

// Parse PO text; throws std::runtime_error naming the line on bad syntax.
PoCatalogue parsePoText(const std::string &text, const std::string &name);
PoCatalogue readPoFile(const std::string &path);

// The message as written in C source (escapes put back), for error texts.
std::string quoteMsgid(const std::string &msgid);

} // namespace xlnv::test
