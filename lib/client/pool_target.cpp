// The target of client::pipeline() and client::transaction(): one pooled connection per
// exec(), with the client's retry rule — only while nothing of the batch can have been sent.
#include "lib/client/batch_target.hpp"
#include "lib/client/client_core.hpp"

namespace redpool::detail {
namespace {

class pool_target final : public batch_target {
public:
    explicit pool_target(client_core& core) : pool_(core.shared_pool()), opts_(core.shared_settings()) {}

    void lend(const batch_effects& effects, const std::function<void(connection&)>& work) override {
        with_retries(*opts_, [&](connection_pool::wait_budget& waiting, bool last) {
            return attempt(effects, work, waiting, last);
        });
    }

    const options& settings() const noexcept override { return *opts_; }

private:
    // True when done; false to retry. The lease goes back before the backoff.
    bool attempt(const batch_effects& effects, const std::function<void(connection&)>& work,
                 connection_pool::wait_budget& waiting, bool last) {
        connection_pool::lease conn = borrow_for_attempt(*pool_, waiting, last);
        if (!conn) return false;
        // A session change (SELECT, WATCH, CLIENT SETNAME ...) must not reach the next caller.
        struct close_if_session_changed {
            const batch_effects& effects;
            connection& conn;
            ~close_if_session_changed() {
                if (!effects.session_commands.empty()) conn.close();
            }
        } guard{effects, *conn};
        try {
            work(*conn);
        } catch (const error& e) {
            // The socket refused the batch before any byte went out: nothing ran.
            if (last || e.outcome_unknown() || e.code() != errc::io_error) throw;
            return false;
        }
        return true;
    }

    std::shared_ptr<connection_pool> pool_;
    std::shared_ptr<const options> opts_;
};

}  // namespace

std::shared_ptr<batch_target> make_pool_target(client_core& core) { return std::make_shared<pool_target>(core); }

}  // namespace redpool::detail
