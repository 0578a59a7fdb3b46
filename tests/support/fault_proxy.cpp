// The fault proxy: an Asio accept loop, and per connection two pumps (requests up as they
// come; replies down through the faults). Every socket operation runs on the proxy's thread;
// setters change the settings under a mutex and kick the pumps of every connection.
#include "tests/support/fault_proxy.hpp"

#include <asio.hpp>

#include <array>
#include <future>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace redpool::test {
namespace {

using asio::ip::tcp;
using duration = fault_proxy::duration;

// Counts complete top-level replies in a RESP2 byte stream, one byte at a time.
class reply_counter {
public:
    // Returns true if `c` completed a top-level reply.
    bool feed(char c) {
        if (bulk_left_ > 0) return --bulk_left_ == 0 && element_done();
        line_ += c;
        if (line_.size() < 2 || line_.compare(line_.size() - 2, 2, "\r\n") != 0) return false;
        const char type = line_[0];
        const long n = type == '$' || type == '*' ? std::stol(line_.substr(1)) : 0;
        line_.clear();
        if (type == '$' && n >= 0) {
            bulk_left_ = n + 2;
            return false;
        }
        if (type == '*' && n > 0) {
            open_arrays_.push_back(n);
            return false;
        }
        return element_done();
    }

private:
    bool element_done() {
        while (!open_arrays_.empty()) {
            if (--open_arrays_.back() > 0) return false;
            open_arrays_.pop_back();
        }
        return true;
    }

    std::string line_;
    long bulk_left_ = 0;
    std::vector<long> open_arrays_;  // elements still to come, innermost last
};

enum class split { none, bytes, lines };

struct settings {
    duration connect_delay{0};
    duration reply_delay{0};
    split split_mode = split::none;
    duration gap{0};
    std::optional<std::size_t> bytes_until_hold;
    std::optional<std::size_t> bytes_until_drop;
    std::optional<std::size_t> replies_until_drop;
    bool drop_before_replies = false;
    bool black_hole = false;
};

}  // namespace

struct fault_proxy::impl {
    struct session;

    asio::io_context io{1};
    asio::executor_work_guard<asio::io_context::executor_type> keep_running = asio::make_work_guard(io);
    tcp::acceptor acceptor{io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)};
    tcp::endpoint server;
    std::mutex mu;
    settings config;                                  // guarded by mu
    std::vector<std::weak_ptr<session>> sessions;     // only touched on the proxy's thread
    std::thread thread;

    explicit impl(int server_port) : server(asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(server_port)) {
        accept();
        thread = std::thread([this] { io.run(); });
    }

    ~impl() {
        keep_running.reset();
        io.stop();
        thread.join();
    }

    settings snapshot() {
        std::lock_guard lock(mu);
        return config;
    }

    template <typename Change>
    void change(Change change_settings) {
        {
            std::lock_guard lock(mu);
            change_settings(config);
        }
        asio::post(io, [this] { kick_all(); });
    }

    // Runs `work` on the proxy's thread and waits for it (10 s at most: a test must not hang).
    template <typename Work>
    auto on_proxy_thread(Work work) {
        std::packaged_task<decltype(work())()> task(std::move(work));
        auto result = task.get_future();
        asio::post(io, [&task] { task(); });
        if (result.wait_for(std::chrono::seconds(10)) != std::future_status::ready) {
            throw std::runtime_error("fault_proxy: its thread did not answer within 10 s");
        }
        return result.get();
    }

    // Waits until every connection has sent down what it was writing and counted it, so that a
    // new limit counts only bytes forwarded from now on.
    void wait_until_drained() {
        for (int i = 0; i < 5000; ++i) {
            if (drained()) return;
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
        }
        throw std::runtime_error("fault_proxy: held replies did not drain within 5 s");
    }

    void accept();
    void kick_all();
    bool drained();
};

struct fault_proxy::impl::session : std::enable_shared_from_this<session> {
    impl& proxy;
    tcp::socket client;
    tcp::socket server{proxy.io};
    asio::steady_timer timer{proxy.io};
    std::array<char, 16384> from_client{};
    std::array<char, 16384> from_server{};
    std::string requests;  // waiting to go up
    std::string replies;   // waiting to go down
    reply_counter counter;
    bool writing_up = false;
    bool writing_down = false;
    bool closed = false;

    session(impl& p, tcp::socket socket) : proxy(p), client(std::move(socket)) {}

    void start() {
        auto self = shared_from_this();
        timer.expires_after(proxy.snapshot().connect_delay);
        timer.async_wait([self](const asio::error_code&) {
            self->server.async_connect(self->proxy.server, [self](const asio::error_code& ec) {
                if (ec) return self->close();
                // Each write goes out as its own segment: a split reply arrives split.
                asio::error_code ignored;
                self->client.set_option(tcp::no_delay(true), ignored);
                self->server.set_option(tcp::no_delay(true), ignored);
                self->read_client();
                self->read_server();
            });
        });
    }

    void read_client() {
        auto self = shared_from_this();
        client.async_read_some(asio::buffer(from_client), [self](const asio::error_code& ec, std::size_t n) {
            if (ec) return self->close();
            self->requests.append(self->from_client.data(), n);
            self->pump_up();
            self->read_client();
        });
    }

    void read_server() {
        auto self = shared_from_this();
        server.async_read_some(asio::buffer(from_server), [self](const asio::error_code& ec, std::size_t n) {
            if (ec) {
                self->replies_done = true;
                return self->pump_down();  // what is held still goes down, then the close
            }
            if (self->proxy.snapshot().drop_before_replies) return self->close();
            self->replies.append(self->from_server.data(), n);
            self->pump_down();
            self->read_server();
        });
    }
    bool replies_done = false;  // the server closed: close once everything went down

    void pump_up() {
        if (closed || writing_up || requests.empty() || proxy.snapshot().black_hole) return;
        writing_up = true;
        auto self = shared_from_this();
        auto chunk = std::make_shared<std::string>(std::move(requests));
        requests.clear();
        asio::async_write(server, asio::buffer(*chunk), [self, chunk](const asio::error_code& ec, std::size_t) {
            self->writing_up = false;
            if (ec) return self->close();
            self->pump_up();
        });
    }

    // How many of the waiting reply bytes may go down in the next write, after how long.
    std::size_t next_write(const settings& s) {
        if (s.black_hole || replies.empty()) return 0;
        std::size_t n = replies.size();
        if (s.split_mode == split::bytes) n = 1;
        if (s.split_mode == split::lines) {
            const auto end = replies.find('\n');
            n = end == std::string::npos ? replies.size() : end + 1;
        }
        if (s.bytes_until_hold) n = std::min(n, *s.bytes_until_hold);
        if (s.bytes_until_drop) n = std::min(n, *s.bytes_until_drop);
        if (s.replies_until_drop) {
            reply_counter probe = counter;
            std::size_t left = *s.replies_until_drop;
            for (std::size_t i = 0; i < n; ++i) {
                if (probe.feed(replies[i]) && --left == 0) {
                    n = i + 1;
                    break;
                }
            }
        }
        return n;
    }

    void pump_down() {
        if (closed || writing_down) return;
        const settings s = proxy.snapshot();
        const std::size_t n = next_write(s);
        if (n == 0) {
            if (replies_done && replies.empty()) close();
            return;
        }
        writing_down = true;
        const duration wait = s.split_mode != split::none ? s.gap : s.reply_delay;
        auto self = shared_from_this();
        timer.expires_after(wait);
        // A cancel (kick_all, after a setting changed) sends it at once.
        timer.async_wait([self, n](const asio::error_code&) {
            if (self->closed) return;
            auto chunk = std::make_shared<std::string>(self->replies.substr(0, n));
            asio::async_write(self->client, asio::buffer(*chunk), [self, chunk](const asio::error_code& ec, std::size_t) {
                self->writing_down = false;
                if (ec) return self->close();
                self->replies.erase(0, chunk->size());
                if (self->account(*chunk)) return self->close();
                self->pump_down();
            });
        });
    }

    // Counts what went down against the settings; true if the connection must now be dropped.
    bool account(const std::string& sent) {
        std::size_t completed = 0;
        for (char c : sent) completed += counter.feed(c) ? 1 : 0;
        std::lock_guard lock(proxy.mu);
        settings& s = proxy.config;
        // What was under way before a new limit was set does not wrap it around.
        if (s.bytes_until_hold) *s.bytes_until_hold -= std::min(sent.size(), *s.bytes_until_hold);
        bool drop = false;
        if (s.bytes_until_drop) {
            *s.bytes_until_drop -= std::min(sent.size(), *s.bytes_until_drop);
            if (*s.bytes_until_drop == 0) {
                s.bytes_until_drop.reset();
                drop = true;
            }
        }
        if (s.replies_until_drop) {
            *s.replies_until_drop -= std::min(completed, *s.replies_until_drop);
            if (*s.replies_until_drop == 0) {
                s.replies_until_drop.reset();
                drop = true;
            }
        }
        return drop;
    }

    void close() {
        if (closed) return;
        closed = true;
        asio::error_code ignored;
        timer.cancel();
        client.shutdown(tcp::socket::shutdown_both, ignored);
        client.close(ignored);
        server.close(ignored);
    }

    void reset() {
        if (closed) return;
        asio::error_code ignored;
        client.set_option(asio::socket_base::linger(true, 0), ignored);  // close() sends RST
        closed = true;
        timer.cancel();
        client.close(ignored);
        server.close(ignored);
    }
};

void fault_proxy::impl::accept() {
    acceptor.async_accept([this](const asio::error_code& ec, tcp::socket socket) {
        if (ec == asio::error::operation_aborted) return;  // shutting down
        if (ec) return accept();                           // e.g. out of descriptors: go on
        auto s = std::make_shared<session>(*this, std::move(socket));
        std::erase_if(sessions, [](const std::weak_ptr<session>& w) { return w.expired(); });
        sessions.push_back(s);
        s->start();
        accept();
    });
}

// Whether every connection has sent down all the reply bytes it has (or is closed).
bool fault_proxy::impl::drained() {
    return on_proxy_thread([this] {
        bool all = true;
        for (auto& weak : sessions) {
            if (auto s = weak.lock()) all = all && (s->closed || (s->replies.empty() && !s->writing_down));
        }
        return all;
    });
}

// After a setting changed: what waits for a delay or a gap goes now (the new setting decides the
// rest), and what was held goes through if it may.
void fault_proxy::impl::kick_all() {
    for (auto& weak : sessions) {
        if (auto s = weak.lock()) {
            s->timer.cancel();
            s->pump_up();
            s->pump_down();
        }
    }
}

fault_proxy::fault_proxy(int server_port) : impl_(std::make_unique<impl>(server_port)) {}

fault_proxy::~fault_proxy() = default;

int fault_proxy::port() const { return impl_->acceptor.local_endpoint().port(); }

void fault_proxy::delay_connects(duration d) {
    impl_->change([d](settings& s) { s.connect_delay = d; });
}

void fault_proxy::delay_replies(duration d) {
    impl_->change([d](settings& s) { s.reply_delay = d; });
}

void fault_proxy::split_replies_into_bytes(duration gap) {
    impl_->change([gap](settings& s) {
        s.split_mode = split::bytes;
        s.gap = gap;
    });
}

void fault_proxy::split_replies_into_lines(duration gap) {
    impl_->change([gap](settings& s) {
        s.split_mode = split::lines;
        s.gap = gap;
    });
}

void fault_proxy::hold_replies_after(std::size_t n) {
    impl_->wait_until_drained();  // earlier writes must not count against this limit
    impl_->change([n](settings& s) { s.bytes_until_hold = n; });
}

void fault_proxy::resume_replies() {
    impl_->change([](settings& s) { s.bytes_until_hold.reset(); });
    impl_->wait_until_drained();  // what was held has gone down, and counts no more
}

void fault_proxy::drop_after_reply_bytes(std::size_t n) {
    impl_->wait_until_drained();  // earlier writes must not count against this limit
    impl_->change([n](settings& s) { s.bytes_until_drop = n; });
}

void fault_proxy::drop_after_replies(std::size_t n) {
    impl_->wait_until_drained();  // earlier writes must not count against this limit
    impl_->change([n](settings& s) { s.replies_until_drop = n; });
}

void fault_proxy::drop_before_replies(bool on) {
    impl_->change([on](settings& s) { s.drop_before_replies = on; });
}

void fault_proxy::black_hole(bool on) {
    impl_->change([on](settings& s) { s.black_hole = on; });
}

void fault_proxy::reset_all() {
    impl_->on_proxy_thread([this] {
        for (auto& weak : impl_->sessions) {
            if (auto s = weak.lock()) s->reset();
        }
    });
}

std::size_t fault_proxy::open_connections() {
    return impl_->on_proxy_thread([this] {
        std::size_t open = 0;
        for (auto& weak : impl_->sessions) {
            if (auto s = weak.lock(); s && !s->closed) ++open;
        }
        return open;
    });
}

void fault_proxy::heal() {
    impl_->change([](settings& s) { s = settings{}; });
}

}  // namespace redpool::test
