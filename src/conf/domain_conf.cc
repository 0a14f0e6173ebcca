#include "conf/domain_conf.h"

#include <libxml/parser.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "conf/xml_doc.h"
#include "conf/xml_layout.h"
#include "util/error.h"
#include "util/i18n.h"
#include "util/strutil.h"
#include "util/units.h"

namespace xlnv::conf {

namespace {

// libvirt's order inside <devices>: memory devices follow <shmem> and
// precede these.
constexpr const char *kAfterMemoryDevices[] = {"iommu", "vsock", "crypto"};

std::optional<uint64_t> scaledElement(xmlNodePtr parent, const char *name, const char *what)
{
    xmlNodePtr el = xmlChildElement(parent, name);
    if (!el)
        return std::nullopt;
    const std::string text = xmlText(el);
    const std::string unit = xmlAttr(el, "unit").value_or("");
    return units::parseScaledKiB(std::string_view(text), unit, what, false);
}

// Path of child indexes from the document to `node`, to find the same
// node in a copy of the document.
std::vector<size_t> nodePath(xmlNodePtr node)
{
    std::vector<size_t> path;
    for (xmlNodePtr cur = node; cur && cur->parent; cur = cur->parent) {
        size_t index = 0;
        for (xmlNodePtr sib = cur->parent->children; sib && sib != cur; sib = sib->next)
            index++;
        path.push_back(index);
        if (cur->parent->type == XML_DOCUMENT_NODE)
            break;
    }
    std::reverse(path.begin(), path.end());
    return path;
}

xmlNodePtr followPath(xmlDocPtr doc, const std::vector<size_t> &path)
{
    xmlNodePtr cur = reinterpret_cast<xmlNodePtr>(doc);
    for (size_t index : path) {
        cur = cur->children;
        for (size_t i = 0; cur && i < index; i++)
            cur = cur->next;
        if (!cur)
            raise(ErrorCode::Internal, "%s", _("document copy does not match its original"));
    }
    return cur;
}

// Build a detached element for `def`, owned by `doc`.
xmlNodePtr buildDeviceNode(xmlDocPtr doc, const NvdimmDef &def, unsigned flags)
{
    const std::string text = formatNvdimm(def, flags, 0);
    XmlDocUPtr tmp = parseXmlDocument(text, "(nvdimm)");
    xmlNodePtr copy = xmlDocCopyNode(xmlDocGetRootElement(tmp.get()), doc, 1);
    if (!copy)
        throw std::bad_alloc();
    return copy;
}

std::string indentation(int column)
{
    return std::string(static_cast<size_t>(column < 0 ? 0 : column), ' ');
}

// formatNvdimm() output shaped to sit at a position whose line already
// carries `column` spaces: no pad on the first line, no final newline.
std::string spliceText(const NvdimmDef &def, unsigned flags, int column)
{
    std::string text = formatNvdimm(def, flags, column < 0 ? 0 : column);
    text.erase(0, static_cast<size_t>(column < 0 ? 0 : column));
    if (!text.empty() && text.back() == '\n')
        text.pop_back();
    return text;
}

} // namespace

struct DomainXml::Impl {
    std::string text;       // the document as given
    std::string name;       // for messages
    unsigned flags = 0;
    XmlDocUPtr doc;

    std::vector<DevicesSpan> layout;
    std::vector<ElementSpan> memorySpans;   // original <memory> elements in <devices>

    struct Device {
        NvdimmDef def;
        xmlNodePtr node = nullptr;
        long original = -1;   // index into memorySpans, -1 when added
        // `node` holds the device's place in the tree but not yet `def`:
        // built on the next doc() (format() splices text and needs no
        // node, and an attach changes a new device three times).
        bool stale = false;
    };
    std::vector<Device> devices;
    std::vector<NvdimmDef> defs;   // mirror of devices[].def for nvdimms()

    std::vector<NumaCell> cells;
    uint64_t memory_kib = 0;
    std::optional<uint64_t> current_kib;
    std::optional<uint64_t> max_kib;
    unsigned slots = 0;
    unsigned vcpus = 1;

    void syncDefs()
    {
        defs.clear();
        for (const auto &d : devices)
            defs.push_back(d.def);
    }

    xmlNodePtr root() const { return xmlDocGetRootElement(doc.get()); }

    void parse();
    void parseMemory();
    void parseCells();
    void parseDevices();
    size_t checkIndex(size_t index) const;
    void insertNode(xmlNodePtr node);
    void refreshNodes();
};

void DomainXml::Impl::refreshNodes()
{
    for (auto &d : devices) {
        if (!d.stale)
            continue;
        xmlNodePtr fresh = buildDeviceNode(doc.get(), d.def, flags);
        XmlNodeUPtr old(xmlReplaceNode(d.node, fresh));
        d.node = fresh;
        d.stale = false;
    }
}

void DomainXml::Impl::parse()
{
    doc = parseXmlDocument(text, name);
    if (!xmlStrEqual(root()->name, BAD_CAST "domain"))
        raise(ErrorCode::XmlError, _("unexpected root element <%s>, expecting <%s>"),
              xmlName(root()).c_str(), "domain");
    parseMemory();
    parseCells();
    parseDevices();
}

void DomainXml::Impl::parseMemory()
{
    xmlNodePtr dom = root();
    memory_kib = scaledElement(dom, "memory", "./memory[1]").value_or(0);
    current_kib = scaledElement(dom, "currentMemory", "./currentMemory[1]");
    max_kib = scaledElement(dom, "maxMemory", "./maxMemory[1]");
    if (xmlNodePtr maxNode = xmlChildElement(dom, "maxMemory")) {
        if (auto slotsText = xmlAttr(maxNode, "slots")) {
            uint64_t value = 0;
            if (slotsText->find('-') != std::string::npos ||
                !units::parseUnsigned(*slotsText, value) || value > UINT32_MAX)
                raise(ErrorCode::XmlError, "%s", _("Failed to parse memory slot count"));
            slots = static_cast<unsigned>(value);
        }
    }
    if (xmlNodePtr vcpu = xmlChildElement(dom, "vcpu")) {
        uint64_t value = 0;
        const std::string text = xmlText(vcpu);
        if (text.find('-') != std::string::npos || !units::parseUnsigned(text, value) ||
            value > UINT32_MAX)
            raise(ErrorCode::XmlError, "%s", _("maximum vcpus count must be an integer"));
        vcpus = static_cast<unsigned>(value);
    }
}

void DomainXml::Impl::parseCells()
{
    xmlNodePtr numa = xmlChildElement(xmlChildElement(root(), "cpu"), "numa");
    if (!numa)
        return;
    unsigned index = 0;
    for (xmlNodePtr cell = numa->children; cell; cell = cell->next) {
        if (cell->type != XML_ELEMENT_NODE || !xmlStrEqual(cell->name, BAD_CAST "cell"))
            continue;
        NumaCell out;
        out.id = index;
        if (auto id = xmlAttr(cell, "id")) {
            uint64_t value = 0;
            if (id->find('-') != std::string::npos || !units::parseUnsigned(*id, value) ||
                value > UINT32_MAX)
                raise(ErrorCode::XmlError, _("Invalid 'id' attribute in NUMA cell: '%s'"), id->c_str());
            out.id = static_cast<unsigned>(value);
        }
        out.cpus = xmlAttr(cell, "cpus").value_or("");
        const auto memory = xmlAttr(cell, "memory");
        const std::string unit = xmlAttr(cell, "unit").value_or("");
        std::optional<std::string_view> view;
        if (memory)
            view = *memory;
        out.memory_kib = *units::parseScaledKiB(view, unit, "./@memory", true);
        cells.push_back(out);
        index++;
    }
}

void DomainXml::Impl::parseDevices()
{
    layout = scanDevices(text);
    for (const auto &span : layout) {
        for (const auto &child : span.children) {
            if (child.name == "memory")
                memorySpans.push_back(child);
        }
    }

    std::vector<xmlNodePtr> nodes;
    for (xmlNodePtr devs = root()->children; devs; devs = devs->next) {
        if (devs->type != XML_ELEMENT_NODE || !xmlStrEqual(devs->name, BAD_CAST "devices"))
            continue;
        for (xmlNodePtr cur = devs->children; cur; cur = cur->next) {
            if (cur->type == XML_ELEMENT_NODE && xmlStrEqual(cur->name, BAD_CAST "memory"))
                nodes.push_back(cur);
        }
    }
    if (nodes.size() != memorySpans.size())
        raise(ErrorCode::Internal, "%s", _("cannot locate the <memory> devices in the XML text"));

    for (size_t i = 0; i < nodes.size(); i++) {
        Device dev;
        dev.def = parseNvdimm(nodes[i], flags);
        dev.node = nodes[i];
        dev.original = static_cast<long>(i);
        devices.push_back(std::move(dev));
    }
    syncDefs();
}

size_t DomainXml::Impl::checkIndex(size_t index) const
{
    if (index >= devices.size())
        raise(ErrorCode::InvalidArg, _("no NVDIMM device at index %zu (the domain has %zu)"),
              index, devices.size());
    return index;
}

// Put a new device node where libvirt keeps memory devices.
void DomainXml::Impl::insertNode(xmlNodePtr node)
{
    xmlNodePtr last = nullptr;
    for (const auto &d : devices) {
        if (d.node)
            last = d.node;
    }
    if (last) {
        xmlAddNextSibling(last, node);
        return;
    }
    xmlNodePtr devs = xmlChildElement(root(), "devices");
    if (!devs)
        devs = xmlNewChild(root(), nullptr, BAD_CAST "devices", nullptr);
    for (xmlNodePtr cur = devs->children; cur; cur = cur->next) {
        if (cur->type != XML_ELEMENT_NODE)
            continue;
        for (const char *after : kAfterMemoryDevices) {
            if (xmlStrEqual(cur->name, BAD_CAST after)) {
                xmlAddPrevSibling(cur, node);
                return;
            }
        }
    }
    xmlAddChild(devs, node);
}

DomainXml::DomainXml(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
DomainXml::DomainXml(DomainXml &&) noexcept = default;
DomainXml &DomainXml::operator=(DomainXml &&) noexcept = default;
DomainXml::~DomainXml() = default;

DomainXml DomainXml::parseString(std::string_view xml, unsigned flags)
{
    return parseNamed(xml, flags, "(domain_definition)");
}

DomainXml DomainXml::parseNamed(std::string_view xml, unsigned flags, const std::string &name)
{
    auto impl = std::make_unique<Impl>();
    impl->text = std::string(xml);
    impl->name = name;
    impl->flags = flags;
    impl->parse();
    return DomainXml(std::move(impl));
}

DomainXml DomainXml::parseFile(const std::string &path, unsigned flags)
{
    std::ifstream in(path, std::ios::binary);
    if (!in)
        raiseSystem(errno, _("Failed to open file '%s'"), path.c_str());
    std::ostringstream buf;
    buf << in.rdbuf();
    if (in.bad())
        raiseSystem(errno, _("Failed to read file '%s'"), path.c_str());
    return parseNamed(buf.str(), flags, path);
}

DomainXml DomainXml::clone() const
{
    impl_->refreshNodes();
    auto impl = std::make_unique<Impl>();
    impl->text = impl_->text;
    impl->name = impl_->name;
    impl->flags = impl_->flags;
    impl->doc.reset(xmlCopyDoc(impl_->doc.get(), 1));
    if (!impl->doc)
        throw std::bad_alloc();
    impl->layout = impl_->layout;
    impl->memorySpans = impl_->memorySpans;
    impl->devices = impl_->devices;
    for (auto &d : impl->devices)
        d.node = followPath(impl->doc.get(), nodePath(d.node));
    impl->defs = impl_->defs;
    impl->cells = impl_->cells;
    impl->memory_kib = impl_->memory_kib;
    impl->current_kib = impl_->current_kib;
    impl->max_kib = impl_->max_kib;
    impl->slots = impl_->slots;
    impl->vcpus = impl_->vcpus;
    return DomainXml(std::move(impl));
}

std::string DomainXml::name() const
{
    return trim(xmlText(xmlChildElement(impl_->root(), "name")));
}

std::string DomainXml::uuid() const
{
    return trim(xmlText(xmlChildElement(impl_->root(), "uuid")));
}

std::string DomainXml::type() const
{
    return xmlAttr(impl_->root(), "type").value_or("");
}

std::string DomainXml::osType() const
{
    return trim(xmlText(xmlChildElement(xmlChildElement(impl_->root(), "os"), "type")));
}

std::string DomainXml::arch() const
{
    return xmlAttr(xmlChildElement(xmlChildElement(impl_->root(), "os"), "type"), "arch")
        .value_or("");
}

uint64_t DomainXml::memoryKiB() const { return impl_->memory_kib; }
std::optional<uint64_t> DomainXml::currentMemoryKiB() const { return impl_->current_kib; }
std::optional<uint64_t> DomainXml::maxMemoryKiB() const { return impl_->max_kib; }
unsigned DomainXml::maxMemorySlots() const { return impl_->slots; }
unsigned DomainXml::vcpus() const { return impl_->vcpus; }
const std::vector<NumaCell> &DomainXml::numaCells() const { return impl_->cells; }

uint64_t DomainXml::devicesMemoryKiB() const
{
    uint64_t sum = 0;
    for (const auto &d : impl_->devices)
        sum += d.def.size_kib;
    return sum;
}

uint64_t DomainXml::totalMemoryKiB() const
{
    if (impl_->cells.empty())
        return impl_->memory_kib;
    uint64_t sum = devicesMemoryKiB();
    for (const auto &cell : impl_->cells)
        sum += cell.memory_kib;
    return sum;
}

const std::vector<NvdimmDef> &DomainXml::nvdimms() const { return impl_->defs; }

void DomainXml::addNvdimm(const NvdimmDef &def)
{
    if (impl_->layout.empty())
        raise(ErrorCode::ConfigUnsupported, "%s",
              _("the domain has no <devices> element to add the NVDIMM device to"));
    checkNvdimmParse(def);
    Impl::Device dev;
    dev.def = def;
    dev.node = xmlNewDocNode(impl_->doc.get(), nullptr, BAD_CAST "memory", nullptr);
    if (!dev.node)
        throw std::bad_alloc();
    dev.stale = true;
    impl_->insertNode(dev.node);
    impl_->devices.push_back(std::move(dev));
    impl_->syncDefs();
}

void DomainXml::removeNvdimm(size_t index)
{
    auto &devices = impl_->devices;
    xmlNodePtr node = devices[impl_->checkIndex(index)].node;
    // Drop the indentation before the element with it.
    xmlNodePtr prev = node->prev;
    if (prev && prev->type == XML_TEXT_NODE && xmlIsBlankNode(prev)) {
        xmlUnlinkNode(prev);
        xmlFreeNode(prev);
    }
    xmlUnlinkNode(node);
    xmlFreeNode(node);
    devices.erase(devices.begin() + static_cast<long>(index));
    impl_->syncDefs();
}

void DomainXml::replaceNvdimm(size_t index, const NvdimmDef &def)
{
    auto &dev = impl_->devices[impl_->checkIndex(index)];
    checkNvdimmParse(def);
    dev.def = def;
    dev.stale = true;
    impl_->syncDefs();
}

void DomainXml::setNvdimmAlias(size_t index, const std::string &alias)
{
    NvdimmDef def = impl_->devices[impl_->checkIndex(index)].def;
    def.alias = alias;
    replaceNvdimm(index, def);
}

void DomainXml::setNvdimmAddress(size_t index, const DimmAddress &address)
{
    NvdimmDef def = impl_->devices[impl_->checkIndex(index)].def;
    def.address = address;
    replaceNvdimm(index, def);
}

long DomainXml::findNvdimmByAlias(const std::string &alias) const
{
    for (size_t i = 0; i < impl_->devices.size(); i++) {
        if (!alias.empty() && impl_->devices[i].def.alias == alias)
            return static_cast<long>(i);
    }
    return -1;
}

std::string DomainXml::format() const
{
    const Impl &im = *impl_;
    const std::string_view text = im.text;

    // Where devices added in code go, and how they are indented.
    size_t anchor = std::string::npos;
    bool anchorAfterElement = false;  // true: insert after an element end
    int column = -1;
    bool expandSelfClosing = false;
    if (!im.memorySpans.empty()) {
        anchor = im.memorySpans.back().end;
        anchorAfterElement = true;
        column = columnOf(text, im.memorySpans.back().start);
    } else if (!im.layout.empty()) {
        const DevicesSpan &devs = im.layout.front();
        if (!devs.children.empty())
            column = columnOf(text, devs.children.front().start);
        else if (columnOf(text, devs.element.start) >= 0)
            column = columnOf(text, devs.element.start) + 2;
        for (const auto &child : devs.children) {
            const bool later = std::any_of(std::begin(kAfterMemoryDevices), std::end(kAfterMemoryDevices),
                                           [&](const char *n) { return child.name == n; });
            if (later) {
                anchor = child.start;
                break;
            }
        }
        if (anchor == std::string::npos) {
            if (devs.self_closing) {
                expandSelfClosing = true;
                anchor = devs.element.start;
            } else if (!devs.children.empty()) {
                anchor = devs.children.back().end;
            } else {
                anchor = devs.content_start;
            }
            anchorAfterElement = true;
        }
    }

    std::string added;
    const std::string pad = column >= 0 ? indentation(column) : std::string();
    const bool multiline = column >= 0;
    for (const auto &d : im.devices) {
        if (d.original >= 0)
            continue;
        if (anchorAfterElement || !multiline)
            added += (multiline ? "\n" + pad : std::string()) + spliceText(d.def, im.flags, column);
        else
            added += spliceText(d.def, im.flags, column) + (multiline ? "\n" + pad : std::string());
    }

    std::string out;
    out.reserve(text.size() + added.size() + 256);
    size_t pos = 0;
    auto copyUpTo = [&](size_t until) {
        if (until > pos) {
            out.append(text.substr(pos, until - pos));
            pos = until;
        }
    };
    auto emitAdded = [&]() {
        if (added.empty())
            return;
        if (expandSelfClosing) {
            const DevicesSpan &devs = im.layout.front();
            const int devColumn = columnOf(text, devs.element.start);
            out += "<devices>" + added +
                   (multiline ? "\n" + indentation(devColumn) : std::string()) + "</devices>";
            pos = devs.element.end;
        } else {
            out += added;
        }
    };

    for (size_t i = 0; i < im.memorySpans.size(); i++) {
        const ElementSpan &span = im.memorySpans[i];
        const auto it = std::find_if(im.devices.begin(), im.devices.end(),
                                     [&](const Impl::Device &d) { return d.original == static_cast<long>(i); });
        if (it != im.devices.end()) {
            copyUpTo(span.start);
            out += spliceText(it->def, im.flags, columnOf(text, span.start));
            pos = span.end;
        } else {
            // Removed: take its line with it when it had one of its own.
            size_t start = span.start;
            if (columnOf(text, span.start) >= 0) {
                const size_t nl = text.rfind('\n', span.start == 0 ? 0 : span.start - 1);
                if (nl != std::string::npos && nl >= pos)
                    start = nl;
            }
            copyUpTo(start);
            pos = span.end;
        }
        if (anchor == span.end && i + 1 == im.memorySpans.size())
            emitAdded();
    }
    if (im.memorySpans.empty() && anchor != std::string::npos) {
        copyUpTo(anchor);
        emitAdded();
    }
    copyUpTo(text.size());
    return out;
}

xmlDocPtr DomainXml::doc() const
{
    impl_->refreshNodes();
    return impl_->doc.get();
}

} // namespace xlnv::conf
