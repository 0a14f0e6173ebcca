// Ctrl-C and SIGTERM as a request, not a kill: the handler only records
// it; long loops and every step of a live operation ask, and the first
// question after the signal throws, so the operation's own rollback runs
// (a half-filled file is removed, a pending journal undone) before the
// program exits. Checks during that rollback pass.
#pragma once

namespace xlnv {

// SIGINT and SIGTERM set the request (programs that want it: the CLI).
void installInterruptHandlers();
bool interruptRequested() noexcept;
// Throws xlnv::Error (OperationFailed, "operation interrupted") the
// first time it is called after a request; later calls return.
void checkInterrupted();

} // namespace xlnv
