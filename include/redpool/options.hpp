// redpool/options.hpp — everything a client can be told: where the server is, how to log in,
// the pool's size and timeouts, and the limits that protect it from a broken server.
//
// Every knob is a plain field with go-redis's default, so `options{}` works against a local
// server. `options::from_url` reads the same fields from a URL.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "redpool/hooks.hpp"

namespace redpool {

class conn;

/// How much a message to `options::logger` matters.
enum class log_level { debug, info, warning, error };

/// A user name and password for `AUTH`, as a credentials provider hands them out.
struct credentials {
    std::string username;  ///< empty: the default user
    std::string password;  ///< empty with an empty username: no AUTH
};

/// Client configuration. A plain value: copy it, change fields, pass it to `client`.
struct options {
    /// Durations are milliseconds; `std::chrono::seconds` and `milliseconds` convert to it.
    using duration = std::chrono::milliseconds;

    // --- where the server is -----------------------------------------------------------------

    /// Host name or IP address (IPv4 or IPv6) of a TCP server.
    std::string host = "127.0.0.1";
    /// TCP port.
    int port = 6379;
    /// Path of a unix-domain socket; when non-empty it is used instead of host and port.
    std::string path;

    // --- Sentinel: the master's address from the sentinels that watch it ----------------------

    /// Name of a master the sentinels monitor (`sentinel monitor <name> ...`). When set, `host`,
    /// `port` and `path` are not used: every new connection asks the sentinels (in turn, the
    /// last one that answered first) where the master is, with SENTINEL GET-MASTER-ADDR-BY-NAME,
    /// and checks with ROLE that the server it reached is one. The client also listens to every
    /// sentinel for `+switch-master`, and on a failover closes each pooled connection to the
    /// old master at once (idle ones now, leased ones when they come back), since the old
    /// master may accept writes for seconds before it is demoted. Unreachable sentinels are
    /// skipped; none reachable fails the dial with `errc::io_error` (retried as a dial is), a
    /// master name no reachable sentinel knows with `errc::invalid_argument`.
    std::string sentinel_master;
    /// The sentinels, as `host:port` (an IPv6 host in brackets). Required with sentinel_master.
    std::vector<std::string> sentinel_addrs;
    /// ACL user name and password for the sentinels themselves (`AUTH`), when they have their
    /// own; the master is logged in to with `username` and `password`. Never printed.
    std::string sentinel_username;
    std::string sentinel_password;
    /// Connect to one of the master's replicas instead (chosen at random among those the
    /// sentinels report healthy; ROLE must say `slave`): a client for reads that may lag, as
    /// go-redis's ReplicaOnly. A failover closes its connections too.
    bool sentinel_replica_only = false;

    // --- TLS (OpenSSL): for a managed Redis, or a server started with --tls-port --------------

    /// Speak TLS to the server (`rediss://` URLs set it). With Sentinel, to the sentinels too;
    /// with a cluster, to every node. The handshake counts against `dial_timeout`.
    bool tls = false;
    /// PEM file of the CAs trusted to sign the server's certificate; empty: the system's trust
    /// store (Debian's ca-certificates), as for a managed Redis.
    std::string tls_ca_file;
    /// PEM files of a client certificate (with its chain) and its private key, for servers that
    /// require one (mutual TLS, `tls-auth-clients yes`). Both or neither.
    std::string tls_cert_file;
    std::string tls_key_file;
    /// The name sent as SNI and checked against the server's certificate; empty: `host` (or
    /// each node's host). An IP address is checked against the certificate's IP SANs.
    std::string tls_server_name;
    /// Accept any certificate: encryption without authentication, for tests only. Default
    /// false: the certificate chain and the name are verified.
    bool tls_insecure_skip_verify = false;

    // --- the handshake on every new connection -----------------------------------------------

    /// ACL user name for `AUTH user password`; empty means the default user.
    std::string username;
    /// Password; empty means no `AUTH`. Never printed: messages and `to_url()` redact it.
    std::string password;
    /// Asked for the user name and password on every new connection (and every session reset),
    /// instead of `username` and `password`, so credentials rotated while the client runs reach
    /// the connections made from then on (go-redis's CredentialsProvider). Called on the
    /// dialing thread, possibly several at once. An exception from it fails the dial and is
    /// passed on. Not part of `to_url()`.
    std::function<credentials()> credentials_provider;
    /// Database selected with `SELECT` when non-zero.
    int db = 0;
    /// Name set with `CLIENT SETNAME` when non-empty (no spaces allowed).
    std::string client_name;
    /// Called on every new connection after AUTH/SELECT/SETNAME, before the pool uses it, to run
    /// set-up commands (`conn::exec`). An exception from it fails the dial and is passed on.
    std::function<void(conn&)> on_connect;

    // --- timeouts (zero means no limit; any length fits, `duration::max()` included) ----------

    /// Time allowed to resolve, connect and complete the handshake (a slow host-name lookup
    /// included).
    duration dial_timeout = std::chrono::seconds(5);
    /// Time allowed for a reply to arrive (blocking commands add their own block time).
    duration read_timeout = std::chrono::seconds(3);
    /// Time allowed to write a request.
    duration write_timeout = std::chrono::seconds(3);

    // --- TCP keep-alive, so a silently dead peer is noticed even on an idle connection -------

    /// Idle time before the first keep-alive probe, and the interval between probes; zero
    /// disables keep-alive.
    duration tcp_keepalive = std::chrono::seconds(13);
    /// Unanswered probes before the kernel drops the connection.
    int tcp_keepalive_count = 3;
    /// How long written data may stay unacknowledged before the kernel drops the connection
    /// (TCP_USER_TIMEOUT); zero leaves the system default.
    duration tcp_user_timeout = std::chrono::seconds(52);

    // --- the pool ----------------------------------------------------------------------------

    /// Most connections in use at once (tokens). Default: 10 per hardware thread.
    int pool_size = default_pool_size();
    /// Idle connections the pool keeps ready, dialed in the background: at most pool_size, and
    /// at most a non-zero max_idle_conns (min idle counts as the smaller of them).
    int min_idle_conns = 0;
    /// Most idle connections kept; extra ones are closed when returned. Zero means no limit.
    int max_idle_conns = 0;
    /// Time a call may wait for a free connection when all `pool_size` are in use, over all its
    /// retries. Zero fails at once; `duration::max()` waits for ever. Default 4 s: go-redis's
    /// read_timeout + 1 s.
    duration pool_timeout = std::chrono::seconds(4);
    /// Idle connections older than this are closed. Zero keeps them forever. Keep it below the
    /// server's `timeout` setting so the pool closes idle connections before the server does.
    duration conn_max_idle_time = std::chrono::minutes(30);
    /// Connections older than this are closed when next returned or found idle. Zero: no limit.
    duration conn_max_lifetime = duration::zero();
    /// Spreads lifetimes uniformly over conn_max_lifetime ± this, so connections dialed
    /// together do not all expire together. Must not exceed a non-zero conn_max_lifetime.
    duration conn_max_lifetime_jitter = duration::zero();
    /// An idle connection returned less than this long ago is handed out without the liveness
    /// check (a non-blocking peek for EOF or stray bytes); zero checks every time. The check
    /// costs ~0.4 us of CPU here, ~3 % of a whole GET; under load a connection comes back within
    /// one round trip, so nearly every check is skipped, while what kills idle sockets behind
    /// the pool's back (a restart takes ~70 ms, the server's idle timeout a second or more)
    /// leaves them idle far longer than 10 ms. A connection that fails a request is never
    /// reused, checked or not.
    duration liveness_check_after = std::chrono::milliseconds(10);
    /// Hand out the least recently used idle connection (FIFO) instead of the most recent (LIFO).
    bool pool_fifo = false;
    /// How often the background reaper closes stale idle connections. Zero disables it.
    duration reaper_interval = std::chrono::minutes(1);

    // --- automatic pipelining (async_client always; client when `multiplex` is set) ----------

    /// Send `client`'s commands through the multiplexer that `async_client` uses: requests of
    /// concurrent callers share a few pooled connections, coalesced into one write per turn
    /// and answered in order, instead of each caller borrowing a connection of its own for one
    /// round trip. Blocking commands, commands that change their connection's session and
    /// subscribers still get a connection of their own. Off by default (go-redis's model).
    bool multiplex = false;
    /// Most requests one multiplexed connection carries at once, written and awaiting their
    /// replies. A second connection is added when the first is this full (up to half the pool,
    /// and four); when all are and no other may be added, new requests wait (at most
    /// `pool_timeout`, then `errc::pool_timeout`) rather than queue without bound. Default 32:
    /// with 64 callers that makes two connections, and while the server works on one batch the
    /// client reads the other's replies; on one connection client and server take turns.
    /// Measured with 64 coroutines (redis-bench --mode client -c 64 -t get,set): 128 (one
    /// connection) 560-650k ops/s, 32 (two) 770-960k, 24 (three) 740-810k, 16 (four) 590k.
    int max_in_flight = 32;

    // --- retries (only where the command cannot have run twice) ------------------------------

    /// Retries after a failure that cannot have executed the command. Zero disables retries.
    int max_retries = 3;
    /// Backoff before the first retry; doubles up to `max_retry_backoff`, with jitter.
    duration min_retry_backoff = std::chrono::milliseconds(8);
    /// Upper bound of the retry backoff.
    duration max_retry_backoff = std::chrono::milliseconds(512);

    // --- pub/sub ------------------------------------------------------------------------------

    /// How long a subscriber's connection may stay silent while it waits for messages before
    /// it is checked with PING; a PING unanswered within `read_timeout` means the connection is
    /// dead, and the subscriber dials again. Zero disables the check (then only TCP keep-alive
    /// notices a silently dead peer, after about a minute). Default 3 s, go-redis's: a silent
    /// death is noticed within 3 s + read_timeout, for one PING per 3 s of silence.
    duration health_check_interval = std::chrono::seconds(3);

    // --- what no call returns ------------------------------------------------------------------

    /// Receives what the library would otherwise keep to itself, as no call returns it: a
    /// background dial that failed (min idle, the dial breaker's probe), a sentinel that cannot
    /// be reached or whose subscription broke. Called from background threads, possibly several
    /// at once; it should be quick, and what it throws is dropped. Messages name the server and
    /// the cause, never a password. Unset: nothing is reported.
    std::function<void(log_level level, std::string_view message)> logger;
    /// Leak detection: a pinned connection (`client::pin`) or subscriber held longer than this
    /// is reported once, as a warning through `logger` (standard error without one), with the
    /// file and line where it was taken, as HikariCP's leakDetectionThreshold. Zero (the
    /// default) turns it off. It only reports: the connection is not taken back.
    duration lease_warning_after = duration::zero();
    /// Callbacks for metrics and tracing (redpool/hooks.hpp): each dial, each command or
    /// pipeline of `client` (not yet `async_client`'s commands; its dials, waits and closed
    /// connections are reported), each wait for a pooled connection, each connection closed
    /// and why. Unset hooks cost nothing. Not part of `to_url()`.
    redpool::hooks hooks;

    // --- limits against a broken or hostile server (exceeding one drops the connection) -------

    /// Largest bulk string accepted, in bytes (Redis's own proto-max-bulk-len: 512 MiB).
    std::size_t max_bulk_length = 512u * 1024 * 1024;
    /// Most elements in one array reply. Memory is only ever allocated for elements received.
    std::size_t max_array_elements = std::size_t{1} << 28;
    /// Deepest nesting of arrays in a reply, 1 to 8 (8 is the most the RESP parser supports;
    /// COMMAND's reply needs all 8).
    int max_reply_depth = 8;

    /// Reads options from a URL:
    ///   `redis://[[user]:password@]host[:port][/db][?field=value&...]`
    ///   `rediss://...` the same with `tls` set (`tls_ca_file=...` and the other TLS fields as keys)
    ///   `unix://[[user]:password@]/path/to/socket[?db=N&field=value&...]`
    /// Query keys are the field names above (`sentinel_addr=host:port` once per sentinel);
    /// durations are written `250ms`, `3s`, `1m`, `1h`,
    /// or bare (possibly fractional) seconds; booleans `true/false/1/0`. User and password may
    /// be percent-encoded. Throws `redpool::error` (`errc::invalid_argument`) naming the bad
    /// part; the password is never included.
    static options from_url(std::string_view url);

    /// The options as a URL with the password replaced by `***`; fields left at their default
    /// are omitted. Safe to log.
    std::string to_url() const;

    /// The server address for messages: `host:port`, `unix:path`, or `sentinel:<master>`.
    std::string address() const;

    /// Throws `redpool::error` (`errc::invalid_argument`) if a field is out of range.
    void validate() const;

    /// 10 connections per hardware thread (go-redis's default), at least 10.
    static int default_pool_size() noexcept;
};

}  // namespace redpool
