#include "hypervisor/domain_definitions.h"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "hypervisor/domain_xml.h"
#include "util/state_dir.h"
#include "util/error.h"
#include "util/i18n.h"
#include "util/strutil.h"

namespace xlnv::libxl {

DefinitionStore::DefinitionStore(std::string directory, Durability durability)
    : dir_(std::move(directory)), durability_(durability)
{
    makeDirectories(dir_);
}

std::string DefinitionStore::pathFor(const std::string &name) const
{
    validateDomainName(name);   // a name becomes a file name
    return dir_ + "/" + name + ".xml";
}

std::vector<std::string> DefinitionStore::names() const
{
    std::vector<std::string> out;
    DIR *d = opendir(dir_.c_str());
    if (!d)
        raiseSystem(errno, _("cannot read directory '%s'"), dir_.c_str());
    while (struct dirent *e = readdir(d)) {
        std::string file = e->d_name;
        if (file[0] != '.' && endsWith(file, ".xml"))
            out.push_back(file.substr(0, file.size() - 4));
    }
    closedir(d);
    std::sort(out.begin(), out.end());
    return out;
}

std::optional<std::string> DefinitionStore::get(const std::string &name) const
{
    return readFileIfExists(pathFor(name));
}

bool DefinitionStore::has(const std::string &name) const
{
    if (!isValidDomainName(name))
        return false;
    struct stat st;
    return lstat(pathFor(name).c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

void DefinitionStore::define(const std::string &name, const std::string &xml)
{
    define(name, xml, summarizeDefinition(xml));
}

void DefinitionStore::define(const std::string &name, const std::string &xml, const DefinitionSummary &s)
{
    if (s.name != name)
        raise(ErrorCode::InvalidArg, _("domain definition names '%s', expected '%s'"),
              s.name.c_str(), name.c_str());
    writeFileAtomic(pathFor(name), xml, 0600, durability_);
}

void DefinitionStore::undefine(const std::string &name)
{
    if (unlink(pathFor(name).c_str()) < 0) {
        if (errno == ENOENT)
            raise(ErrorCode::NoDomain, _("no domain with matching name '%s'"), name.c_str());
        raiseSystem(errno, _("cannot remove the definition of domain '%s'"), name.c_str());
    }
}

} // namespace xlnv::libxl
