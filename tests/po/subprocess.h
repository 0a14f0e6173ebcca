// Run a program and capture what it prints (tests of the installed and
// built artefacts: xgettext, msgfmt, the CLI, bash, man, meson).
#pragma once

#include <glib.h>
#include <sys/wait.h>

#include <map>
#include <string>
#include <vector>

namespace xlnv::test {

struct ProcessResult {
    int status = -1;            // exit status, or -1 when it did not exit normally
    std::string out;
    std::string err;
    std::string spawnError;     // set when the program could not be started
};

// argv[0] is looked up in PATH; `env` entries override the inherited
// environment (an empty value unsets the variable). Standard input is
// /dev/null.
inline ProcessResult runProcess(const std::vector<std::string> &argv,
                                const std::map<std::string, std::string> &env = {})
{
    ProcessResult result;
    std::vector<char *> args;
    for (const auto &a : argv)
        args.push_back(const_cast<char *>(a.c_str()));
    args.push_back(nullptr);

    g_auto(GStrv) envp = g_get_environ();
    for (const auto &[name, value] : env)
        envp = value.empty() ? g_environ_unsetenv(envp, name.c_str())
                             : g_environ_setenv(envp, name.c_str(), value.c_str(), TRUE);

    g_autofree gchar *out = nullptr;
    g_autofree gchar *err = nullptr;
    gint waitStatus = 0;
    GError *error = nullptr;
    if (g_spawn_sync(nullptr, args.data(), envp,
                     G_SPAWN_SEARCH_PATH, nullptr, nullptr, &out, &err, &waitStatus, &error)) {
        result.out = out ? out : "";
        result.err = err ? err : "";
        if (WIFEXITED(waitStatus))
            result.status = WEXITSTATUS(waitStatus);
    } else {
        result.spawnError = error ? error->message : "spawn failed";
        g_clear_error(&error);
    }
    return result;
}

inline std::string envOr(const char *name, const std::string &fallback = {})
{
    const char *value = g_getenv(name);
    return value && *value ? value : fallback;
}

} // namespace xlnv::test
