// The scripted server: see fake_server.hpp.
#include "fake_server.hpp"

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <stdexcept>
#include <vector>

namespace redpool::test {

fake_server::fake_server(script s) : script_(std::move(s)) {
    listener_ = ::socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    ::setsockopt(listener_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(listener_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::listen(listener_, 16) != 0 || ::pipe(stop_pipe_) != 0) {
        throw std::runtime_error("fake_server: cannot listen");
    }
    socklen_t len = sizeof addr;
    ::getsockname(listener_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { serve(); });
}

fake_server::~fake_server() {
    char byte = 1;
    // One byte into an empty pipe cannot fail; assigned, since a (void) cast does not silence
    // glibc's warn_unused_result under _FORTIFY_SOURCE.
    [[maybe_unused]] const ssize_t written = ::write(stop_pipe_[1], &byte, 1);
    thread_.join();
    ::close(listener_);
    ::close(stop_pipe_[0]);
    ::close(stop_pipe_[1]);
}

// Waits up to timeout_ms (-1: forever) for the stop signal.
bool fake_server::stopping(int timeout_ms) const {
    pollfd p{stop_pipe_[0], POLLIN, 0};
    return ::poll(&p, 1, timeout_ms) > 0;
}

void fake_server::serve() {
    std::vector<int> clients;
    for (;;) {
        pollfd p[2] = {{listener_, POLLIN, 0}, {stop_pipe_[0], POLLIN, 0}};
        if (::poll(p, 2, -1) < 0) continue;
        if (p[1].revents != 0) break;
        int client = ::accept(listener_, nullptr, nullptr);
        if (client < 0) continue;
        serve_one(client);
        if (script_.close_after) {
            ::close(client);
        } else {
            clients.push_back(client);
        }
    }
    for (int c : clients) ::close(c);
}

// Reads (and ignores) one request; false if none came or the server is stopping.
bool fake_server::await_request(int client) {
    pollfd p[2] = {{client, POLLIN, 0}, {stop_pipe_[0], POLLIN, 0}};
    if (::poll(p, 2, 5000) <= 0 || p[1].revents != 0) return false;
    char discard[4096];
    return ::recv(client, discard, sizeof discard, 0) > 0;
}

void fake_server::serve_one(int client) {
    if (!script_.handshake_reply.empty()) {
        if (!await_request(client)) return;
        const auto& reply = script_.handshake_reply;
        if (::send(client, reply.data(), reply.size(), MSG_NOSIGNAL) <= 0) return;
    }
    if (!script_.send_before_request && !await_request(client)) return;
    send_script(client);
}

void fake_server::send_script(int client) {
    std::size_t chunk = script_.chunk == 0 ? script_.bytes.size() : script_.chunk;
    for (std::size_t at = 0; at < script_.bytes.size(); at += chunk) {
        std::size_t n = std::min(chunk, script_.bytes.size() - at);
        if (::send(client, script_.bytes.data() + at, n, MSG_NOSIGNAL) <= 0) return;
        if (script_.gap.count() > 0 && stopping(static_cast<int>(script_.gap.count()))) return;
    }
}

}  // namespace redpool::test
