// client::scan: the keyspace, page by page, as one lazy range.
#include "redpool/client.hpp"

namespace redpool {

scan_range client::scan(scan_options opts) { return scan_range(*this, std::move(opts)); }

scan_range::iterator::iterator(scan_range* range) : range_(range) { settle(); }

scan_range::iterator& scan_range::iterator::operator++() {
    ++index_;
    settle();
    return *this;
}

// SCAN may answer a page with no keys and a non-zero cursor, so keep fetching until there is
// a key to show or the scan is over.
void scan_range::iterator::settle() {
    while (index_ >= range_->keys_.size()) {
        if (!range_->fetch()) {
            range_ = nullptr;
            return;
        }
        index_ = 0;
    }
}

bool scan_range::fetch() {
    if (started_ && cursor_ == "0") return false;
    scan_page<std::string> page = client_->run(cmd::scan(cursor_, options_));
    cursor_ = std::move(page.cursor);
    keys_ = std::move(page.items);
    started_ = true;
    return true;
}

}  // namespace redpool
