// The "redpool" error category and the exception types.
#include "redpool/error.hpp"

#include <utility>

namespace redpool {
namespace {

class redpool_category final : public std::error_category {
public:
    const char* name() const noexcept override { return "redpool"; }

    std::string message(int value) const override {
        switch (static_cast<errc>(value)) {
            case errc::pool_timeout: return "connection pool timeout";
            case errc::pool_closed: return "connection pool is closed";
            case errc::connect_timeout: return "connect timeout";
            case errc::read_timeout: return "read timeout";
            case errc::write_timeout: return "write timeout";
            case errc::io_error: return "I/O error";
            case errc::protocol_error: return "protocol error";
            case errc::reply_too_large: return "reply too large";
            case errc::invalid_argument: return "invalid argument";
            case errc::auth_failed: return "authentication failed";
            case errc::server_error: return "server error reply";
            case errc::connection_broken: return "connection is broken";
            case errc::tx_failed: return "transaction failed: a watched key changed";
            case errc::tls_error: return "TLS failed";
        }
        return "unknown redpool error";
    }
};

}  // namespace

const std::error_category& category() noexcept {
    static const redpool_category instance;
    return instance;
}

std::error_code make_error_code(errc e) noexcept {
    return {static_cast<int>(e), category()};
}

error::error(errc code, std::string message, bool outcome_unknown)
    : error(make_error_code(code), std::move(message), outcome_unknown) {}

error::error(std::error_code code, std::string message, bool outcome_unknown)
    : std::system_error(code), message_(std::move(message)), outcome_unknown_(outcome_unknown) {}

const char* error::what() const noexcept { return message_.c_str(); }

reply_error::reply_error(std::string server_message)
    : error(errc::server_error, std::move(server_message)) {}

std::string_view reply_error::prefix() const noexcept {
    std::string_view message = what();
    auto space = message.find(' ');
    return space == std::string_view::npos ? message : message.substr(0, space);
}

}  // namespace redpool
