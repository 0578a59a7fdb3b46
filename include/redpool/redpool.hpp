// redpool/redpool.hpp — the umbrella header: everything a user of redpool needs.
#pragma once

#include "redpool/async_client.hpp"
#include "redpool/async_subscriber.hpp"
#include "redpool/client.hpp"
#include "redpool/cluster_client.hpp"
#include "redpool/command.hpp"
#include "redpool/commands.hpp"
#include "redpool/conn.hpp"
#include "redpool/error.hpp"
#include "redpool/options.hpp"
#include "redpool/pool.hpp"
#include "redpool/reply.hpp"
#include "redpool/scan_range.hpp"
