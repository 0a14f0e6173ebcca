// Where the elements of a domain document's <devices> sit in its text.
// libxml2 keeps no byte offsets, and re-serializing a tree rewrites
// quotes, entities and declarations; to leave every untouched byte of a
// user's document as it was, DomainXml splices edits into the original
// text at these offsets.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace xlnv::conf {

struct ElementSpan {
    std::string name;
    size_t start = 0;   // offset of '<'
    size_t end = 0;     // offset just past the element's last '>'
};

struct DevicesSpan {
    ElementSpan element;         // the <devices> element itself
    bool self_closing = false;   // <devices/>
    size_t content_start = 0;    // just past the start tag
    size_t content_end = 0;      // offset of "</devices>"
    std::vector<ElementSpan> children;  // direct child elements, in order
};

// Scan a well-formed document (already checked by libxml2) for the
// <devices> elements directly under the root, in document order.
std::vector<DevicesSpan> scanDevices(std::string_view text);

// Column of `offset`: spaces/tabs between the previous newline and it,
// or -1 when something else precedes it on its line.
int columnOf(std::string_view text, size_t offset);

} // namespace xlnv::conf
