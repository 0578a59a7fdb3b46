// redpool/cmd/scripting.hpp — Lua scripts and functions: EVAL/EVALSHA (and their read-only
// forms), SCRIPT LOAD/EXISTS/FLUSH/KILL, FCALL/FCALL_RO and the FUNCTION subcommands.
//
// A script may return anything, so EVAL, EVALSHA, FCALL and their read-only forms return the
// `reply` as it is. For a typed result read it with `from_reply<T>`:
//
//     long long n = redpool::from_reply<long long>(redis.eval("return #KEYS", {"a", "b"}));
//
// An error the script returns (`redis.error_reply`) or raises throws `reply_error`, like any
// server error; errors nested inside an array the script returns stay data in the reply.
// SCRIPT DEBUG is not offered: it takes the connection over, which a pooled connection must
// never be.
//
// Each command is a factory in `redpool::cmd` (the one place it is written), and
// `scripting_commands<Executor>` gives every executor the method of the same name: `client`
// returns the result type shown, pipelines and transactions a `deferred` of it.
#pragma once

#include <chrono>
#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "redpool/command.hpp"
#include "redpool/reply.hpp"

namespace redpool {

/// How SCRIPT FLUSH and FUNCTION FLUSH free memory.
enum class flush_mode {
    server_default,  ///< neither ASYNC nor SYNC: as the server's `lazyfree-lazy-user-flush` says
    async,           ///< ASYNC: in the background, after replying
    sync,            ///< SYNC: before replying
};

/// What FUNCTION RESTORE does with the libraries already loaded.
enum class function_restore_policy {
    append,   ///< APPEND (the default): keep them; a restored library whose name is taken fails
    flush,    ///< FLUSH: delete them all first
    replace,  ///< REPLACE: keep them, but restored libraries replace those of the same name
};

/// Filters for `function_list`.
struct function_list_options {
    /// LIBRARYNAME pattern (glob-style); empty lists every library.
    std::string library_name;
    /// WITHCODE: include each library's source in `function_library::code`.
    bool with_code = false;
};

/// A function of a library, as FUNCTION LIST describes it.
struct function_info {
    /// The name FCALL calls it by.
    std::string name;
    /// Set by the library's `register_function{..., description = ...}`; nullopt if it gave none.
    std::optional<std::string> description;
    /// Its flags: "no-writes", "allow-oom", "allow-stale", "no-cluster", ...
    std::vector<std::string> flags;
};

/// A library of functions, as FUNCTION LIST describes it.
struct function_library {
    /// The name from the code's `#!lua name=<library>` line, for `function_delete`.
    std::string library_name;
    /// The engine that runs it: "LUA".
    std::string engine;
    /// The functions it registers (in no particular order).
    std::vector<function_info> functions;
    /// The library's source, with `function_list_options::with_code`.
    std::optional<std::string> code;
};

/// The function running now, as FUNCTION STATS describes it. The server answers no other
/// client while a function runs, until it has run longer than `busy-reply-threshold`; only then
/// can FUNCTION STATS report it (or FUNCTION KILL stop it).
struct running_function {
    /// The function's name.
    std::string name;
    /// The command that called it, every argument (FCALL, name, numkeys, keys..., args...).
    std::vector<std::string> command_args;
    /// How long it has been running, in milliseconds.
    std::chrono::milliseconds duration{0};
};

/// One scripting engine's counts, as FUNCTION STATS describes it.
struct function_engine_stats {
    /// The engine's name: "LUA".
    std::string name;
    /// How many libraries it has loaded (0 if none).
    long long libraries_count = 0;
    /// How many functions those libraries register in all (0 if none).
    long long functions_count = 0;
};

/// What FUNCTION STATS reports.
struct function_stats_result {
    /// The function running now, if one is.
    std::optional<running_function> running_script;
    /// Each scripting engine the server has (in Redis 7.0, LUA alone), with its counts.
    std::vector<function_engine_stats> engines;
};

namespace cmd {

/// EVAL: runs a Lua `script` with KEYS = `keys` and ARGV = `args`; its reply as it is (for a
/// typed result: `redpool::from_reply<T>(redis.eval(...))`).
command<reply> eval(std::string_view script, std::span<const std::string_view> keys,
                    std::span<const std::string_view> args = {});
command<reply> eval(std::string_view script, std::initializer_list<std::string_view> keys = {},
                    std::initializer_list<std::string_view> args = {});
/// EVALSHA: runs the script loaded under `sha1` (hex, from `script_load`); an unknown sha
/// throws `reply_error` with prefix "NOSCRIPT".
command<reply> evalsha(std::string_view sha1, std::span<const std::string_view> keys,
                       std::span<const std::string_view> args = {});
command<reply> evalsha(std::string_view sha1, std::initializer_list<std::string_view> keys = {},
                       std::initializer_list<std::string_view> args = {});
/// EVAL_RO: like EVAL, for a script that only reads (a write throws `reply_error`); it may run
/// on a replica.
command<reply> eval_ro(std::string_view script, std::span<const std::string_view> keys,
                       std::span<const std::string_view> args = {});
command<reply> eval_ro(std::string_view script, std::initializer_list<std::string_view> keys = {},
                       std::initializer_list<std::string_view> args = {});
/// EVALSHA_RO: like EVALSHA, for a script that only reads.
command<reply> evalsha_ro(std::string_view sha1, std::span<const std::string_view> keys,
                          std::span<const std::string_view> args = {});
command<reply> evalsha_ro(std::string_view sha1, std::initializer_list<std::string_view> keys = {},
                          std::initializer_list<std::string_view> args = {});
/// SCRIPT LOAD: caches `script` without running it; returns its SHA1 (40 lower-case hex
/// digits) for `evalsha`.
command<std::string> script_load(std::string_view script);
/// SCRIPT EXISTS: for each sha, in order, whether the script is cached (no shas: an empty
/// result, nothing sent).
command<std::vector<bool>> script_exists(std::span<const std::string_view> sha1s);
command<std::vector<bool>> script_exists(std::initializer_list<std::string_view> sha1s);
/// SCRIPT FLUSH: empties the script cache.
command<void> script_flush(flush_mode mode = flush_mode::server_default);
/// SCRIPT KILL: stops the EVAL script running now, if it has not written; throws
/// `reply_error` "NOTBUSY" when none runs, "UNKILLABLE" when it has written.
command<void> script_kill();

/// FCALL: calls the loaded function `function` with KEYS = `keys` and ARGV = `args`; its reply
/// as it is.
command<reply> fcall(std::string_view function, std::span<const std::string_view> keys,
                     std::span<const std::string_view> args = {});
command<reply> fcall(std::string_view function, std::initializer_list<std::string_view> keys = {},
                     std::initializer_list<std::string_view> args = {});
/// FCALL_RO: like FCALL, for a function flagged "no-writes" (others throw `reply_error`).
command<reply> fcall_ro(std::string_view function, std::span<const std::string_view> keys,
                        std::span<const std::string_view> args = {});
command<reply> fcall_ro(std::string_view function, std::initializer_list<std::string_view> keys = {},
                        std::initializer_list<std::string_view> args = {});
/// FUNCTION LOAD: loads a library (its `code` starts `#!lua name=<library>`) and returns the
/// library's name. A library of that name already loaded throws `reply_error` unless
/// `replace` (REPLACE); so does code that does not compile.
command<std::string> function_load(std::string_view code, bool replace = false);
/// FUNCTION LIST: the loaded libraries and their functions.
command<std::vector<function_library>> function_list(const function_list_options& opts = {});
/// FUNCTION DELETE: deletes a library and its functions; a library not loaded throws
/// `reply_error`.
command<void> function_delete(std::string_view library_name);
/// FUNCTION DUMP: every loaded library as an opaque binary payload for `function_restore`.
command<std::string> function_dump();
/// FUNCTION RESTORE: loads the libraries of a `function_dump` payload.
command<void> function_restore(std::string_view payload,
                               function_restore_policy policy = function_restore_policy::append);
/// FUNCTION FLUSH: deletes every library.
command<void> function_flush(flush_mode mode = flush_mode::server_default);
/// FUNCTION STATS: the function running now, and each engine's counts. While an EVAL script
/// runs past `busy-reply-threshold` the server refuses it (`reply_error` "BUSY").
command<function_stats_result> function_stats();
/// FUNCTION KILL: stops the function running now, if it has not written; throws
/// `reply_error` "NOTBUSY" when none runs.
command<void> function_kill();

}  // namespace cmd

/// The scripting and function commands of an executor; see `redpool::cmd` for each one.
template <class Executor>
class scripting_commands {
public:
    auto eval(std::string_view script, std::span<const std::string_view> keys,
              std::span<const std::string_view> args = {}) {
        return run(cmd::eval(script, keys, args));
    }
    auto eval(std::string_view script, std::initializer_list<std::string_view> keys = {},
              std::initializer_list<std::string_view> args = {}) {
        return run(cmd::eval(script, keys, args));
    }
    auto evalsha(std::string_view sha1, std::span<const std::string_view> keys,
                 std::span<const std::string_view> args = {}) {
        return run(cmd::evalsha(sha1, keys, args));
    }
    auto evalsha(std::string_view sha1, std::initializer_list<std::string_view> keys = {},
                 std::initializer_list<std::string_view> args = {}) {
        return run(cmd::evalsha(sha1, keys, args));
    }
    auto eval_ro(std::string_view script, std::span<const std::string_view> keys,
                 std::span<const std::string_view> args = {}) {
        return run(cmd::eval_ro(script, keys, args));
    }
    auto eval_ro(std::string_view script, std::initializer_list<std::string_view> keys = {},
                 std::initializer_list<std::string_view> args = {}) {
        return run(cmd::eval_ro(script, keys, args));
    }
    auto evalsha_ro(std::string_view sha1, std::span<const std::string_view> keys,
                    std::span<const std::string_view> args = {}) {
        return run(cmd::evalsha_ro(sha1, keys, args));
    }
    auto evalsha_ro(std::string_view sha1, std::initializer_list<std::string_view> keys = {},
                    std::initializer_list<std::string_view> args = {}) {
        return run(cmd::evalsha_ro(sha1, keys, args));
    }
    auto script_load(std::string_view script) { return run(cmd::script_load(script)); }
    auto script_exists(std::span<const std::string_view> sha1s) { return run(cmd::script_exists(sha1s)); }
    auto script_exists(std::initializer_list<std::string_view> sha1s) { return run(cmd::script_exists(sha1s)); }
    auto script_flush(flush_mode mode = flush_mode::server_default) { return run(cmd::script_flush(mode)); }
    auto script_kill() { return run(cmd::script_kill()); }
    auto fcall(std::string_view function, std::span<const std::string_view> keys,
               std::span<const std::string_view> args = {}) {
        return run(cmd::fcall(function, keys, args));
    }
    auto fcall(std::string_view function, std::initializer_list<std::string_view> keys = {},
               std::initializer_list<std::string_view> args = {}) {
        return run(cmd::fcall(function, keys, args));
    }
    auto fcall_ro(std::string_view function, std::span<const std::string_view> keys,
                  std::span<const std::string_view> args = {}) {
        return run(cmd::fcall_ro(function, keys, args));
    }
    auto fcall_ro(std::string_view function, std::initializer_list<std::string_view> keys = {},
                  std::initializer_list<std::string_view> args = {}) {
        return run(cmd::fcall_ro(function, keys, args));
    }
    auto function_load(std::string_view code, bool replace = false) {
        return run(cmd::function_load(code, replace));
    }
    auto function_list(const function_list_options& opts = {}) { return run(cmd::function_list(opts)); }
    auto function_delete(std::string_view library_name) { return run(cmd::function_delete(library_name)); }
    auto function_dump() { return run(cmd::function_dump()); }
    auto function_restore(std::string_view payload,
                          function_restore_policy policy = function_restore_policy::append) {
        return run(cmd::function_restore(payload, policy));
    }
    auto function_flush(flush_mode mode = flush_mode::server_default) { return run(cmd::function_flush(mode)); }
    auto function_stats() { return run(cmd::function_stats()); }
    auto function_kill() { return run(cmd::function_kill()); }

private:
    template <class T>
    [[gnu::always_inline]] auto run(const command<T>& c) {  // a forwarder: no call of its own
        return static_cast<Executor&>(*this).run(c);
    }
};

}  // namespace redpool
