// TLS with OpenSSL: one context per distinct set of files (loading a trust store costs
// milliseconds, a handshake should not), reloaded when a file changes on disk so that rotated
// certificates reach new connections; and a session per connection whose socket BIO is our own,
// so each call can choose to block (bounded by the socket's timeouts) or not, as plain
// send/recv calls do.
#include "lib/net/tls.hpp"

#include <arpa/inet.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <map>
#include <mutex>

#include <fmt/format.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "redpool/error.hpp"

namespace redpool::detail {
namespace {

using context_ptr = std::shared_ptr<SSL_CTX>;

// --- the socket BIO ---------------------------------------------------------------------------

tls_session::socket_state& state_of(BIO* bio) { return *static_cast<tls_session::socket_state*>(BIO_get_data(bio)); }

bool should_retry(int e) { return e == EAGAIN || e == EWOULDBLOCK || e == EINTR; }

int bio_read(BIO* bio, char* out, int size) {
    auto& s = state_of(bio);
    BIO_clear_retry_flags(bio);
    const ssize_t n = ::recv(s.fd, out, static_cast<std::size_t>(size), s.flags);
    if (n >= 0) return static_cast<int>(n);  // 0: the server closed the socket
    s.last_errno = errno;
    if (should_retry(errno)) BIO_set_retry_read(bio);
    return -1;
}

int bio_write(BIO* bio, const char* data, int size) {
    auto& s = state_of(bio);
    BIO_clear_retry_flags(bio);
    const ssize_t n = ::send(s.fd, data, static_cast<std::size_t>(size), MSG_NOSIGNAL | s.flags);
    if (n >= 0) return static_cast<int>(n);
    s.last_errno = errno;
    if (should_retry(errno)) BIO_set_retry_write(bio);
    return -1;
}

long bio_ctrl(BIO*, int command, long, void*) {
    // Writes go straight to the socket: there is nothing to flush. Nothing else is supported.
    return command == BIO_CTRL_FLUSH ? 1 : 0;
}

int bio_create(BIO* bio) {
    BIO_set_init(bio, 1);
    return 1;
}

const BIO_METHOD* socket_method() {
    static BIO_METHOD* const method = [] {
        BIO_METHOD* m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "redpool socket");
        if (m == nullptr) return m;
        BIO_meth_set_read(m, bio_read);
        BIO_meth_set_write(m, bio_write);
        BIO_meth_set_ctrl(m, bio_ctrl);
        BIO_meth_set_create(m, bio_create);
        return m;
    }();
    return method;
}

// --- errors -----------------------------------------------------------------------------------

// OpenSSL's queued reasons, oldest (the root cause) first, emptying the queue.
std::string openssl_reasons() {
    std::string text;
    while (const unsigned long code = ERR_get_error()) {
        const char* reason = ERR_reason_error_string(code);
        std::string part = ERR_SYSTEM_ERROR(code) ? std::strerror(static_cast<int>(ERR_GET_REASON(code)))
                           : reason != nullptr    ? reason
                                                  : fmt::format("error {:#x}", code);
        if (text.find(part) != std::string::npos) continue;
        if (!text.empty()) text += ": ";
        text += part;
    }
    return text.empty() ? "unknown reason" : text;
}

template <typename... Args>
[[noreturn]] void bad_file(fmt::format_string<Args...> format, Args&&... args) {
    std::string what = fmt::format(format, std::forward<Args>(args)...);
    throw error(errc::invalid_argument, fmt::format("TLS: {}: {}", what, openssl_reasons()));
}

// --- contexts ---------------------------------------------------------------------------------

// What identifies a file's content cheaply: a rewritten or replaced file changes it.
std::string file_stamp(const std::string& path) {
    if (path.empty()) return "-";
    struct stat st{};
    if (::stat(path.c_str(), &st) != 0) return "missing";
    return fmt::format("{}:{}:{}.{}", st.st_ino, st.st_size, st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
}

// Which files (and whether they are checked at all): one context each.
std::string context_identity(const options& o) {
    return fmt::format("{}\n{}\n{}\n{}", o.tls_insecure_skip_verify, o.tls_ca_file, o.tls_cert_file, o.tls_key_file);
}

// What the files held when their context was made.
std::string files_stamp(const options& o) {
    return fmt::format("{}\n{}\n{}", file_stamp(o.tls_ca_file), file_stamp(o.tls_cert_file), file_stamp(o.tls_key_file));
}

context_ptr make_context(const options& o) {
    ERR_clear_error();
    context_ptr ctx(SSL_CTX_new(TLS_client_method()), SSL_CTX_free);
    if (!ctx) bad_file("cannot create a context");
    SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION);
    // A server closing without close_notify (Redis does) is an end of stream, not an error.
    SSL_CTX_set_options(ctx.get(), SSL_OP_IGNORE_UNEXPECTED_EOF);
    // Partial writes: send() reports what went out, as a socket does. Release buffers: an
    // idle pooled connection keeps no record buffers (B5, memory per idle connection).
    SSL_CTX_set_mode(ctx.get(), SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
                                    SSL_MODE_RELEASE_BUFFERS);
    // Read ahead: one recv() takes a whole record (and more), not its header and then its body.
    SSL_CTX_set_read_ahead(ctx.get(), 1);
    if (!o.tls_insecure_skip_verify) {
        SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, nullptr);
        if (!o.tls_ca_file.empty()) {
            if (SSL_CTX_load_verify_locations(ctx.get(), o.tls_ca_file.c_str(), nullptr) != 1) {
                bad_file("tls_ca_file {:?}", o.tls_ca_file);
            }
        } else if (SSL_CTX_set_default_verify_paths(ctx.get()) != 1) {
            bad_file("the system's trust store");
        }
    }
    if (!o.tls_cert_file.empty()) {
        if (SSL_CTX_use_certificate_chain_file(ctx.get(), o.tls_cert_file.c_str()) != 1) {
            bad_file("tls_cert_file {:?}", o.tls_cert_file);
        }
        if (SSL_CTX_use_PrivateKey_file(ctx.get(), o.tls_key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
            bad_file("tls_key_file {:?}", o.tls_key_file);
        }
        if (SSL_CTX_check_private_key(ctx.get()) != 1) {
            bad_file("tls_key_file {:?} does not match tls_cert_file {:?}", o.tls_key_file, o.tls_cert_file);
        }
    }
    return ctx;
}

// Every client with the same files shares one context; a changed file makes a new one, which
// replaces it (the old one lives on in the sessions that use it).
context_ptr context_for(const options& o) {
    struct cached {
        std::string stamp;
        context_ptr ctx;
    };
    static std::mutex mutex;
    static auto* const contexts = new std::map<std::string, cached>;  // never destroyed: dials may outlive main
    const std::string identity = context_identity(o);
    const std::string stamp = files_stamp(o);
    {
        std::lock_guard lock(mutex);
        auto found = contexts->find(identity);
        if (found != contexts->end() && found->second.stamp == stamp) return found->second.ctx;
    }
    context_ptr ctx = make_context(o);  // outside the lock: it reads files
    std::lock_guard lock(mutex);
    (*contexts)[identity] = cached{stamp, ctx};
    return ctx;
}

bool is_ip_address(const std::string& host) {
    unsigned char buffer[sizeof(in6_addr)];
    return ::inet_pton(AF_INET, host.c_str(), buffer) == 1 || ::inet_pton(AF_INET6, host.c_str(), buffer) == 1;
}

}  // namespace

void tls_session::check_files(const options& opts) { (void)context_for(opts); }

tls_session::tls_session(int fd, const options& opts) : socket_{fd} {
    const context_ptr ctx = context_for(opts);
    ERR_clear_error();
    ssl_ = SSL_new(ctx.get());  // holds its own reference to the context
    BIO* bio = socket_method() != nullptr ? BIO_new(socket_method()) : nullptr;
    if (ssl_ == nullptr || bio == nullptr) {
        BIO_free(bio);
        SSL_free(ssl_);
        throw error(errc::tls_error, fmt::format("TLS: cannot create a session: {}", openssl_reasons()));
    }
    BIO_set_data(bio, &socket_);
    SSL_set_bio(ssl_, bio, bio);  // the session owns the BIO now
    const std::string& name = opts.tls_server_name.empty() ? opts.host : opts.tls_server_name;
    const bool ip = is_ip_address(name);
    // SNI carries host names only (RFC 6066); the certificate is checked against either.
    if (!ip && !name.empty()) SSL_set_tlsext_host_name(ssl_, name.c_str());
    if (!opts.tls_insecure_skip_verify && !name.empty()) {
        const int ok = ip ? X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl_), name.c_str())
                          : SSL_set1_host(ssl_, name.c_str());
        if (ok != 1) {
            SSL_free(ssl_);
            throw error(errc::invalid_argument, fmt::format("TLS: cannot verify the name {:?}: {}", name, openssl_reasons()));
        }
    }
}

tls_session::~tls_session() { SSL_free(ssl_); }

void tls_session::handshake(clock::time_point deadline, const std::string& address, options::duration dial_timeout) {
    socket_.flags = MSG_DONTWAIT;
    for (;;) {
        ERR_clear_error();
        socket_.last_errno = 0;
        const int rc = SSL_connect(ssl_);
        if (rc == 1) return;
        const int e = SSL_get_error(ssl_, rc);
        short events = 0;
        if (e == SSL_ERROR_WANT_READ) events = POLLIN;
        else if (e == SSL_ERROR_WANT_WRITE) events = POLLOUT;
        else if (e == SSL_ERROR_SYSCALL && socket_.last_errno != 0) {
            throw error(errc::io_error, fmt::format("TLS handshake with {} failed: {}", address,
                                                    std::strerror(socket_.last_errno)));
        } else {
            throw error(errc::tls_error, fmt::format("TLS handshake with {} failed: {}", address, describe_failure(e)));
        }
        int wait_ms = -1;
        if (deadline != clock::time_point::max()) {
            const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - clock::now());
            if (left.count() <= 0) {
                throw error(errc::connect_timeout, fmt::format("dial {}: the TLS handshake did not finish within {}ms",
                                                               address, dial_timeout.count()));
            }
            wait_ms = static_cast<int>(std::min<long long>(left.count(), INT_MAX));
        }
        pollfd p{socket_.fd, events, 0};
        (void)::poll(&p, 1, wait_ms);  // errors and hang-ups show in the next SSL_connect
    }
}

ssize_t tls_session::send(const char* data, std::size_t size, int flags) {
    socket_.flags = flags;
    socket_.last_errno = 0;
    ERR_clear_error();
    const int rc = SSL_write(ssl_, data, static_cast<int>(std::min<std::size_t>(size, INT_MAX)));
    return rc > 0 ? rc : failed(rc);
}

ssize_t tls_session::recv(char* data, std::size_t size, int flags) {
    socket_.flags = flags;
    socket_.last_errno = 0;
    ERR_clear_error();
    const int rc = SSL_read(ssl_, data, static_cast<int>(std::min<std::size_t>(size, INT_MAX)));
    return rc > 0 ? rc : failed(rc);
}

// Turns a failed SSL_read/SSL_write into what the socket call would have returned.
ssize_t tls_session::failed(int rc) {
    const int e = SSL_get_error(ssl_, rc);
    switch (e) {
        case SSL_ERROR_ZERO_RETURN:
            return 0;
        case SSL_ERROR_WANT_READ:
        case SSL_ERROR_WANT_WRITE:
            // Timed out (SO_RCVTIMEO), would block, or interrupted: as the socket said.
            errno = socket_.last_errno != 0 ? socket_.last_errno : EAGAIN;
            return -1;
        case SSL_ERROR_SYSCALL:
            if (socket_.last_errno == 0) return 0;  // the socket reached its end
            errno = socket_.last_errno;
            return -1;
        default:
            last_error_ = describe_failure(e);
            errno = EPROTO;
            return -1;
    }
}

const char* tls_session::check_idle() {
    char byte;
    const ssize_t n = [&] {
        socket_.flags = MSG_DONTWAIT;
        socket_.last_errno = 0;
        ERR_clear_error();
        const int rc = SSL_peek(ssl_, &byte, 1);
        return rc > 0 ? static_cast<ssize_t>(rc) : failed(rc);
    }();
    if (n > 0) return "unexpected data";
    if (n == 0) return "closed by server";
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return nullptr;
    return errno == EPROTO ? "TLS failure" : "socket error";
}

bool tls_session::has_buffered() const noexcept { return SSL_has_pending(ssl_) == 1; }

bool tls_session::has_unread() const noexcept { return SSL_pending(ssl_) > 0; }

std::string tls_session::describe_failure(int ssl_error) {
    if (ssl_error == SSL_ERROR_SYSCALL) {
        // The peer closed the socket in the middle of the handshake: a plaintext server, most
        // likely, that read our greeting as a command and hung up.
        return "the server closed the connection (does this port speak TLS?)";
    }
    const unsigned long last = ERR_peek_last_error();
    std::string what = openssl_reasons();
    const long verify = SSL_get_verify_result(ssl_);
    if (verify != X509_V_OK) what += fmt::format(" ({})", X509_verify_cert_error_string(verify));
    if (ERR_GET_LIB(last) == ERR_LIB_SSL) {
        const int reason = ERR_GET_REASON(last);
        if (reason == SSL_R_WRONG_VERSION_NUMBER || reason == SSL_R_PACKET_LENGTH_TOO_LONG) {
            what += " (does this port speak TLS?)";
        } else if (reason == SSL_R_TLSV13_ALERT_CERTIFICATE_REQUIRED || reason == SSL_R_SSLV3_ALERT_HANDSHAKE_FAILURE) {
            what += " (does the server require a client certificate? set tls_cert_file and tls_key_file)";
        }
    }
    return what;
}

}  // namespace redpool::detail
