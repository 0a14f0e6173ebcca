// All-or-nothing labeling. A transaction opens and locks every backing
// it will touch (in device/inode order, so two processes never lock the
// same pair in opposite orders), captures each one's FileState, and, if
// it is destroyed before commit(), puts every file back exactly as it
// was and runs the registered undo actions, newest first.
//
// The lock is an OFD write lock on byte 1 of the backing itself (the
// byte libvirt's security manager locks for the same purpose with a
// classic fcntl lock; byte 0 is virtlockd's), held until commit or
// rollback. Like libvirt we give up after about 10 s.
#pragma once

#include <sys/types.h>

#include <functional>
#include <string>
#include <vector>

#include "security/file_state.h"
#include "util/fd.h"
#include "util/filelock.h"

namespace xlnv::security {

class SecurityTransaction {
public:
    struct Backing {
        std::string path;
        dev_t dev = 0;
        ino_t ino = 0;
        UniqueFd held;      // the object as the caller gave it
        FileLock lock;
        FileState before;
        int fd() const { return lock.fd(); }
    };

    SecurityTransaction() = default;
    SecurityTransaction(const SecurityTransaction &) = delete;
    SecurityTransaction &operator=(const SecurityTransaction &) = delete;
    ~SecurityTransaction();

    // A backing the caller holds open (fd >= 0: the object it checked;
    // nothing is re-resolved), or only a path (fd -1: opened here with no
    // link in any component, type-checked through O_PATH first).
    struct Target {
        std::string path;
        int fd = -1;
    };
    // Lock and capture every target. Targets that are the same file are
    // merged. Throws (nothing locked then) when one cannot be opened.
    void lockBackings(const std::vector<Target> &targets);
    void lockBackings(const std::vector<std::string> &paths);
    // The backing for `target` (by its inode); nullptr if not locked.
    Backing *find(const Target &target);
    Backing *find(const std::string &path) { return find(Target{path, -1}); }

    void onRollback(std::function<void()> undo);
    // Keep the changes; release the locks.
    void commit();
    // Undo now (the destructor does it when commit() was not called).
    void rollback() noexcept;

private:
    std::vector<Backing> backings_;
    std::vector<std::function<void()>> undo_;
    bool done_ = false;
};

} // namespace xlnv::security
