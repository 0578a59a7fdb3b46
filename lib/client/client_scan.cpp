// client::scan, hscan, sscan and zscan: a cursor scan, page by page, as one lazy range.
#include "redpool/client.hpp"

namespace redpool {

scan_range client::scan(scan_options opts) {
    return scan_range([this, opts = std::move(opts)](std::string_view cursor) { return run(cmd::scan(cursor, opts)); });
}

basic_scan_range<std::pair<std::string, std::string>> client::hscan(std::string_view key, scan_options opts) {
    return basic_scan_range<std::pair<std::string, std::string>>(
        [this, key = std::string(key), opts = std::move(opts)](std::string_view cursor) {
            return run(cmd::hscan(key, cursor, opts));
        });
}

basic_scan_range<std::string> client::sscan(std::string_view key, scan_options opts) {
    return basic_scan_range<std::string>([this, key = std::string(key), opts = std::move(opts)](std::string_view cursor) {
        return run(cmd::sscan(key, cursor, opts));
    });
}

basic_scan_range<std::pair<std::string, double>> client::zscan(std::string_view key, scan_options opts) {
    return basic_scan_range<std::pair<std::string, double>>(
        [this, key = std::string(key), opts = std::move(opts)](std::string_view cursor) {
            return run(cmd::zscan(key, cursor, opts));
        });
}

}  // namespace redpool
