// redpool::script and run_script on a client or a pinned connection: EVALSHA first, so a cached
// script costs 40 bytes instead of its source; EVAL only when the server answers NOSCRIPT (its
// cache was flushed, or it restarted), which also caches the script again for the next call.
//
// Pinned's run_script lives here rather than in pinned.cpp so the fallback is written once.
#include "redpool/script.hpp"

#include <span>
#include <string_view>
#include <utility>

#include "lib/base/sha1.hpp"
#include "lib/commands/command_args.hpp"
#include "redpool/client.hpp"
#include "redpool/cmd/scripting.hpp"
#include "redpool/error.hpp"
#include "redpool/pinned.hpp"

namespace redpool {
namespace {

using views_span = std::span<const std::string_view>;

// The fallback asks nothing else of `executor` than `run(command<reply>)`, which throws
// reply_error for an error reply. A NOSCRIPT from EVALSHA means nothing ran, so sending EVAL is
// safe; EVAL's own errors (a compile error, the script's) pass to the caller, so there are at
// most two round trips. Trap: a script that itself returns redis.error_reply('NOSCRIPT ...')
// would run twice; as go-redis does, the prefix is trusted (the server's wording may change).
template <class Executor>
reply run_with_fallback(Executor& executor, const script& s, views_span keys, views_span args) {
    try {
        return executor.run(cmd::evalsha(s.sha1(), keys, args));
    } catch (const reply_error& e) {
        if (e.prefix() != "NOSCRIPT") throw;
    }
    return executor.run(cmd::eval(s.source(), keys, args));
}

}  // namespace

script::script(std::string source) : source_(std::move(source)), sha1_(detail::sha1_hex(source_)) {}

reply client::run_script(const script& s, std::initializer_list<std::string_view> keys,
                         std::initializer_list<std::string_view> args) {
    return run_with_fallback(*this, s, detail::as_span(keys), detail::as_span(args));
}

reply client::run_script(const script& s, views_span keys, views_span args) {
    return run_with_fallback(*this, s, keys, args);
}

reply pinned::run_script(const script& s, std::initializer_list<std::string_view> keys,
                         std::initializer_list<std::string_view> args) {
    return run_with_fallback(*this, s, detail::as_span(keys), detail::as_span(args));
}

reply pinned::run_script(const script& s, views_span keys, views_span args) {
    return run_with_fallback(*this, s, keys, args);
}

}  // namespace redpool
