#include "conf/xml_doc.h"

#include <libxml/parser.h>
#include <libxml/xmlerror.h>

#include <cctype>
#include <climits>

#include "util/error.h"
#include "util/i18n.h"
#include "util/strutil.h"

namespace xlnv::conf {

namespace {

struct ParserCtxtFree {
    void operator()(xmlParserCtxt *ctxt) const noexcept { xmlFreeParserCtxt(ctxt); }
};

// libxml2 messages end with a newline; keep one clean line.
std::string oneLine(const char *message)
{
    std::string text = message ? message : "";
    for (char &c : text) {
        if (c == '\n' || c == '\r')
            c = ' ';
    }
    return trim(text);
}

// Attributes of the busiest element and its line. libxml2 checks each
// attribute against all before it (quadratic): 100k attributes would
// hold the domain lock for a minute, so they are counted first, cheaply.
void checkAttributeCount(std::string_view text, const std::string &name)
{
    size_t line = 1, tagLine = 1, count = 0;
    bool inTag = false;
    char quote = 0;
    for (size_t i = 0; i < text.size(); i++) {
        const char c = text[i];
        if (c == '\n')
            line++;
        if (!inTag) {
            if (c == '<' && i + 1 < text.size() && std::isalpha(static_cast<unsigned char>(text[i + 1]))) {
                inTag = true;
                count = 0;
                tagLine = line;
            }
        } else if (quote) {
            if (c == quote)
                quote = 0;
        } else if (c == '"' || c == '\'') {
            quote = c;
        } else if (c == '=') {
            if (++count > kMaxXmlAttributes)
                raise(ErrorCode::XmlError,
                      _("document '%s' has an element with more than %zu attributes (line %zu)"),
                      name.c_str(), kMaxXmlAttributes, tagLine);
        } else if (c == '>') {
            inTag = false;
        }
    }
}

} // namespace

XmlDocUPtr parseXmlDocument(std::string_view text, const std::string &name)
{
    // libvirt's own tools read at most 10 MiB of XML.
    if (text.size() > kMaxXmlDocumentBytes)
        raise(ErrorCode::XmlError, _("document '%s' has %zu bytes, more than the limit of %zu"),
              name.c_str(), text.size(), kMaxXmlDocumentBytes);
    // libxml2 would stop at a NUL and ignore the rest silently.
    if (const size_t nul = text.find('\0'); nul != std::string_view::npos)
        raise(ErrorCode::XmlError, _("document '%s' contains a NUL byte at offset %zu"), name.c_str(), nul);
    checkAttributeCount(text, name);

    std::unique_ptr<xmlParserCtxt, ParserCtxtFree> ctxt(xmlNewParserCtxt());
    if (!ctxt)
        throw std::bad_alloc();

    // No network, no entity substitution, no DTD loading; errors are
    // recorded in the context rather than printed.
    const int options = XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING;
    XmlDocUPtr doc(xmlCtxtReadMemory(ctxt.get(), text.data(), static_cast<int>(text.size()),
                                     name.c_str(), nullptr, options));
    const xmlError *err = xmlCtxtGetLastError(ctxt.get());
    if (!doc || !ctxt->wellFormed || (err && err->level >= XML_ERR_ERROR)) {
        if (err && err->message)
            raise(ErrorCode::XmlDetail, "%s:%d: %s", name.c_str(), err->line,
                  oneLine(err->message).c_str());
        raise(ErrorCode::XmlError, _("failed to parse XML document '%s'"), name.c_str());
    }
    if (doc->intSubset || doc->extSubset)
        raise(ErrorCode::XmlError, _("document '%s' has a DOCTYPE declaration, which is not allowed"),
              name.c_str());
    if (!xmlDocGetRootElement(doc.get()))
        raise(ErrorCode::XmlError, _("document '%s' has no root element"), name.c_str());
    return doc;
}

std::optional<std::string> xmlAttr(xmlNodePtr node, const char *name)
{
    if (!node || !xmlHasProp(node, BAD_CAST name))
        return std::nullopt;
    xmlChar *value = xmlGetProp(node, BAD_CAST name);
    std::string out = value ? reinterpret_cast<const char *>(value) : "";
    xmlFree(value);
    return out;
}

xmlNodePtr xmlChildElement(xmlNodePtr node, const char *name)
{
    if (!node)
        return nullptr;
    for (xmlNodePtr cur = node->children; cur; cur = cur->next) {
        if (cur->type == XML_ELEMENT_NODE && xmlStrEqual(cur->name, BAD_CAST name))
            return cur;
    }
    return nullptr;
}

std::string xmlText(xmlNodePtr node)
{
    if (!node)
        return {};
    xmlChar *content = xmlNodeGetContent(node);
    std::string out = content ? reinterpret_cast<const char *>(content) : "";
    xmlFree(content);
    return out;
}

std::string xmlName(xmlNodePtr node)
{
    return node && node->name ? reinterpret_cast<const char *>(node->name) : "";
}

} // namespace xlnv::conf
