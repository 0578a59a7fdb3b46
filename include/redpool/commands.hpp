// redpool/commands.hpp — every typed command, for every executor.
//
// `commands<Executor>` gathers the command groups (one header per group under
// `redpool/cmd/`). An executor derives from it and provides `run(const command<T>&)`; it then
// has a method per typed command, each calling `run` on the command's one definition in
// `redpool::cmd`. `client::run` returns the `T`; a pipeline's returns a `deferred<T>`.
#pragma once

#include "redpool/cmd/bitmaps.hpp"
#include "redpool/cmd/geo.hpp"
#include "redpool/cmd/hashes.hpp"
#include "redpool/cmd/hyperloglog.hpp"
#include "redpool/cmd/keys.hpp"
#include "redpool/cmd/lists.hpp"
#include "redpool/cmd/pubsub.hpp"
#include "redpool/cmd/scripting.hpp"
#include "redpool/cmd/server.hpp"
#include "redpool/cmd/sets.hpp"
#include "redpool/cmd/sorted_sets.hpp"
#include "redpool/cmd/streams.hpp"
#include "redpool/cmd/strings.hpp"
#include "redpool/command.hpp"

namespace redpool {

/// Every command group's typed methods, for `Executor` (see the comment at the top).
template <class Executor>
class commands : public string_commands<Executor>,
                 public key_commands<Executor>,
                 public server_commands<Executor>,
                 public hash_commands<Executor>,
                 public hyperloglog_commands<Executor>,
                 public bitmap_commands<Executor>,
                 public list_commands<Executor>,
                 public set_commands<Executor>,
                 public sorted_set_commands<Executor>,
                 public stream_commands<Executor>,
                 public geo_commands<Executor>,
                 public scripting_commands<Executor>,
                 public pubsub_commands<Executor> {};

}  // namespace redpool
