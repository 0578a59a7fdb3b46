// Lua scripts and functions: EVAL/EVALSHA and their read-only forms, SCRIPT LOAD/EXISTS/FLUSH/
// KILL, FCALL/FCALL_RO and the FUNCTION subcommands.
#include "redpool/cmd/scripting.hpp"

#include "lib/commands/command_args.hpp"
#include "lib/commands/each_from.hpp"
#include "lib/commands/registry.hpp"

namespace redpool::cmd {
namespace {

using detail::args_builder;
using detail::as_span;
using string_list = std::initializer_list<std::string_view>;
using string_span = std::span<const std::string_view>;

// Whatever the script returned. An error it returned at the top level throws here too, so
// every executor reports it alike, not only those that check replies before reading them.
reply script_reply_from(reply&& r) {
    detail::any_from_reply(r);
    return std::move(r);
}

// NAME script-or-function numkeys key... arg...
command<reply> script_call(std::string_view name, std::string_view target, string_span keys, string_span args) {
    return args_builder(name)
        .add(target)
        .add_integer(static_cast<long long>(keys.size()))
        .add_all(keys)
        .add_all(args)
        .build<reply>(&script_reply_from);
}

command<void> flush_command(std::string_view name, flush_mode mode) {
    args_builder args(name);
    args.add("FLUSH");
    if (mode == flush_mode::async) args.add("ASYNC");
    if (mode == flush_mode::sync) args.add("SYNC");
    return args.build<void>(&detail::read_ok);
}

// ["name", n, "description", d-or-nil, "flags", [flag...]]
function_info function_info_from(reply&& r) {
    function_info out;
    detail::for_each_field(r, [&](std::string_view field, reply&& value) {
        if (field == "name") out.name = from_reply<std::string>(std::move(value));
        else if (field == "description") out.description = from_reply<std::optional<std::string>>(std::move(value));
        else if (field == "flags") out.flags = from_reply<std::vector<std::string>>(std::move(value));
    });
    return out;
}

// ["library_name", n, "engine", e, "functions", [function...], "library_code", c (WITHCODE)]
function_library function_library_from(reply&& r) {
    function_library out;
    detail::for_each_field(r, [&](std::string_view field, reply&& value) {
        if (field == "library_name") {
            out.library_name = from_reply<std::string>(std::move(value));
        } else if (field == "engine") {
            out.engine = from_reply<std::string>(std::move(value));
        } else if (field == "functions") {
            std::vector<reply>& functions = detail::array_from_reply(value);
            out.functions.reserve(functions.size());
            for (reply& f : functions) out.functions.push_back(function_info_from(std::move(f)));
        } else if (field == "library_code") {
            out.code = from_reply<std::string>(std::move(value));
        }
    });
    return out;
}

// ["name", n, "command", [arg...], "duration_ms", ms]
running_function running_function_from(reply&& r) {
    running_function out;
    detail::for_each_field(r, [&](std::string_view field, reply&& value) {
        if (field == "name") out.name = from_reply<std::string>(std::move(value));
        else if (field == "command") out.command_args = from_reply<std::vector<std::string>>(std::move(value));
        else if (field == "duration_ms") out.duration = from_reply<std::chrono::milliseconds>(std::move(value));
    });
    return out;
}

// [engine, ["libraries_count", n, "functions_count", n], ...]
std::vector<function_engine_stats> engines_from(reply&& r) {
    std::vector<reply>& e = detail::pairs_from_reply(r);
    std::vector<function_engine_stats> out;
    out.reserve(e.size() / 2);
    for (std::size_t i = 0; i < e.size(); i += 2) {
        function_engine_stats& engine = out.emplace_back();
        engine.name = from_reply<std::string>(std::move(e[i]));
        detail::for_each_field(e[i + 1], [&](std::string_view field, reply&& value) {
            if (field == "libraries_count") engine.libraries_count = from_reply<long long>(std::move(value));
            else if (field == "functions_count") engine.functions_count = from_reply<long long>(std::move(value));
        });
    }
    return out;
}

// ["running_script", running-or-nil, "engines", [...]]
function_stats_result function_stats_from(reply&& r) {
    function_stats_result out;
    detail::for_each_field(r, [&](std::string_view field, reply&& value) {
        if (field == "running_script") {
            if (!value.is_nil()) out.running_script = running_function_from(std::move(value));
        } else if (field == "engines") {
            out.engines = engines_from(std::move(value));
        }
    });
    return out;
}

std::string_view policy_name(function_restore_policy policy) {
    switch (policy) {
        case function_restore_policy::flush: return "FLUSH";
        case function_restore_policy::replace: return "REPLACE";
        case function_restore_policy::append: break;
    }
    return "APPEND";
}

}  // namespace

command<reply> eval(std::string_view script, string_span keys, string_span args) {
    return script_call("EVAL", script, keys, args);
}
command<reply> eval(std::string_view script, string_list keys, string_list args) {
    return eval(script, as_span(keys), as_span(args));
}
command<reply> evalsha(std::string_view sha1, string_span keys, string_span args) {
    return script_call("EVALSHA", sha1, keys, args);
}
command<reply> evalsha(std::string_view sha1, string_list keys, string_list args) {
    return evalsha(sha1, as_span(keys), as_span(args));
}
command<reply> eval_ro(std::string_view script, string_span keys, string_span args) {
    return script_call("EVAL_RO", script, keys, args);
}
command<reply> eval_ro(std::string_view script, string_list keys, string_list args) {
    return eval_ro(script, as_span(keys), as_span(args));
}
command<reply> evalsha_ro(std::string_view sha1, string_span keys, string_span args) {
    return script_call("EVALSHA_RO", sha1, keys, args);
}
command<reply> evalsha_ro(std::string_view sha1, string_list keys, string_list args) {
    return evalsha_ro(sha1, as_span(keys), as_span(args));
}

command<std::string> script_load(std::string_view script) { return {"SCRIPT", "LOAD", script}; }

command<std::vector<bool>> script_exists(string_span sha1s) {
    using result = std::vector<bool>;
    // SCRIPT EXISTS of no sha is a server error; there is nothing to look up.
    if (sha1s.empty()) return detail::answered_empty<result>();
    return args_builder("SCRIPT").add("EXISTS").add_all(sha1s).build<result>();
}
command<std::vector<bool>> script_exists(string_list sha1s) { return script_exists(as_span(sha1s)); }

command<void> script_flush(flush_mode mode) { return flush_command("SCRIPT", mode); }

command<void> script_kill() { return command<void>({"SCRIPT", "KILL"}, &detail::read_ok); }

command<reply> fcall(std::string_view function, string_span keys, string_span args) {
    return script_call("FCALL", function, keys, args);
}
command<reply> fcall(std::string_view function, string_list keys, string_list args) {
    return fcall(function, as_span(keys), as_span(args));
}
command<reply> fcall_ro(std::string_view function, string_span keys, string_span args) {
    return script_call("FCALL_RO", function, keys, args);
}
command<reply> fcall_ro(std::string_view function, string_list keys, string_list args) {
    return fcall_ro(function, as_span(keys), as_span(args));
}

command<std::string> function_load(std::string_view code, bool replace) {
    if (replace) return {"FUNCTION", "LOAD", "REPLACE", code};
    return {"FUNCTION", "LOAD", code};
}

command<std::vector<function_library>> function_list(const function_list_options& opts) {
    args_builder args("FUNCTION");
    args.add("LIST");
    if (!opts.library_name.empty()) args.add("LIBRARYNAME").add(opts.library_name);
    if (opts.with_code) args.add("WITHCODE");
    return args.build<std::vector<function_library>>(&detail::each_from<function_library, &function_library_from>);
}

command<void> function_delete(std::string_view library_name) {
    return command<void>({"FUNCTION", "DELETE", library_name}, &detail::read_ok);
}

command<std::string> function_dump() { return {"FUNCTION", "DUMP"}; }

command<void> function_restore(std::string_view payload, function_restore_policy policy) {
    return command<void>({"FUNCTION", "RESTORE", payload, policy_name(policy)}, &detail::read_ok);
}

command<void> function_flush(flush_mode mode) { return flush_command("FUNCTION", mode); }

command<function_stats_result> function_stats() {
    return command<function_stats_result>({"FUNCTION", "STATS"}, &function_stats_from);
}

command<void> function_kill() { return command<void>({"FUNCTION", "KILL"}, &detail::read_ok); }

}  // namespace redpool::cmd

namespace redpool::detail {

void register_scripting_commands(command_registry& r) {
    r.add(cmd::eval("return 1"));
    r.add(cmd::evalsha("sha"));
    r.add(cmd::eval_ro("return 1"));
    r.add(cmd::evalsha_ro("sha"));
    r.add(cmd::script_load("return 1"));
    r.add(cmd::script_exists({"sha"}));
    r.add(cmd::script_flush());
    r.add(cmd::script_kill());
    r.add(cmd::fcall("f"));
    r.add(cmd::fcall_ro("f"));
    r.add(cmd::function_load("#!lua name=lib"));
    r.add(cmd::function_list());
    r.add(cmd::function_delete("lib"));
    r.add(cmd::function_dump());
    r.add(cmd::function_restore("payload"));
    r.add(cmd::function_flush());
    r.add(cmd::function_stats());
    r.add(cmd::function_kill());
}

}  // namespace redpool::detail
