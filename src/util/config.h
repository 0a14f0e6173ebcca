// The project's one configuration file: an INI/keyfile read with GLib's
// GKeyFile. Default path SYSCONFDIR "/libxl-nvdimm/libxl-nvdimm.conf",
// overridden by $LIBXL_NVDIMM_CONFIG. Every key is optional: callers ask
// for a typed value with their default, so a missing file or key means
// "stock behaviour". Each layer owns a [section] (security, ...); see
// examples/libxl-nvdimm.conf for the documented keys.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace xlnv {

class Config {
public:
    // The file named by $LIBXL_NVDIMM_CONFIG, else the default path.
    // A missing default file is an empty configuration; a missing file
    // named in the environment is an error (the user asked for it).
    static Config load();
    static Config loadFile(const std::string &path);
    // `origin` names the text in error messages.
    static Config fromString(const std::string &text, const std::string &origin = "<string>");
    static std::string defaultPath();

    Config();
    Config(Config &&) noexcept;
    Config &operator=(Config &&) noexcept;
    ~Config();

    // Where the values came from ("" when nothing was read).
    const std::string &origin() const;

    bool has(const std::string &section, const std::string &key) const;
    // Typed getters: the default when the key is absent; xlnv::Error
    // (ConfigUnsupported, naming file, section and key) when present but
    // malformed.
    std::string getString(const std::string &section, const std::string &key,
                          const std::string &def) const;
    bool getBool(const std::string &section, const std::string &key, bool def) const;
    int64_t getInt(const std::string &section, const std::string &key, int64_t def) const;
    uint64_t getUInt(const std::string &section, const std::string &key, uint64_t def) const;
    // A ':'-separated list (like PATH and the environment), items trimmed.
    std::vector<std::string> getList(const std::string &section, const std::string &key,
                                     const std::vector<std::string> &def) const;

private:
    // Warns (once per process) about sections and keys no layer reads.
    void warnUnknown() const;
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

} // namespace xlnv
