// Safe libxml2 parsing and small tree helpers for the conf layer.
// Documents are parsed without network access, without entity
// substitution and without DTDs; libxml2's own messages are captured
// into one xlnv::Error instead of being printed.
#pragma once

#include <libxml/tree.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace xlnv::conf {

struct XmlDocFree {
    void operator()(xmlDoc *doc) const noexcept { xmlFreeDoc(doc); }
};
using XmlDocUPtr = std::unique_ptr<xmlDoc, XmlDocFree>;

struct XmlNodeFree {
    void operator()(xmlNode *node) const noexcept { xmlFreeNode(node); }
};
using XmlNodeUPtr = std::unique_ptr<xmlNode, XmlNodeFree>;

// Input limits of parseXmlDocument: a bigger document, an element with
// more attributes, or a NUL byte anywhere is refused with a clear error.
inline constexpr size_t kMaxXmlDocumentBytes = 10u << 20;
inline constexpr size_t kMaxXmlAttributes = 256;

// Parse `text`; `name` (file name or "(stdin)") prefixes syntax errors:
// "NAME:LINE: message" (ErrorCode::XmlDetail). Never returns null.
XmlDocUPtr parseXmlDocument(std::string_view text, const std::string &name);

// The attribute value, or nullopt when absent.
std::optional<std::string> xmlAttr(xmlNodePtr node, const char *name);
// First child element with this name, or null.
xmlNodePtr xmlChildElement(xmlNodePtr node, const char *name);
// Text content of the node and its descendants (XPath string()).
std::string xmlText(xmlNodePtr node);
// Element name as std::string ("" for null).
std::string xmlName(xmlNodePtr node);

} // namespace xlnv::conf
