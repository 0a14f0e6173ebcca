// Per-domain SELinux MCS category pairs (s0:cA,cB with A < B), unique
// among running domains on the host, like libvirt's dynamic labels.
// Allocations live in one JSON file in the state directory
// ({"domains": {"<domain key>": "c12,c345"}}), written atomically
// (temp file + rename) under an OFD lock on "<file>.lock".
#pragma once

#include <map>
#include <string>

namespace xlnv::security {

class McsAllocator {
public:
    // Categories are drawn from c0..c<categoryMax>.
    McsAllocator(std::string stateFile, unsigned categoryMax);

    // The domain's pair ("c12,c345"), allocating one when it has none;
    // `created` says which. Throws OperationFailed when the space is full.
    std::string acquire(const std::string &domainKey, bool &created) const;
    // Forget the domain's pair; false when it had none.
    bool release(const std::string &domainKey) const;
    std::map<std::string, std::string> allocations() const;

    const std::string &stateFile() const { return stateFile_; }

private:
    std::string stateFile_;
    unsigned categoryMax_;
};

} // namespace xlnv::security
