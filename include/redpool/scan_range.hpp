// redpool/scan_range.hpp — a cursor scan (SCAN, HSCAN, SSCAN, ZSCAN) as one lazy range.
#pragma once

#include <cstddef>
#include <functional>
#include <iterator>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "redpool/command.hpp"

namespace redpool {

/// The items of a cursor scan, fetched page by page as the iteration advances:
/// `for (const std::string& k : redis.scan({.match = "user:*"}))`. An item may appear more than
/// once if the data changes meanwhile (Redis's SCAN guarantee). Errors (the server's, or bad
/// options) are thrown by `begin()` and `++`. Single pass: iterate it once, where it was
/// returned (it can be neither copied nor moved, since its iterator points into it).
template <class T>
class basic_scan_range {
public:
    /// Fetches the page that starts at `cursor` ("0" for the first).
    using page_fetcher = std::function<scan_page<T>(std::string_view cursor)>;

    explicit basic_scan_range(page_fetcher fetch) : fetch_(std::move(fetch)) {}
    basic_scan_range(const basic_scan_range&) = delete;
    basic_scan_range& operator=(const basic_scan_range&) = delete;

    class iterator {
    public:
        using value_type = T;
        using difference_type = std::ptrdiff_t;
        using iterator_category = std::input_iterator_tag;

        iterator() = default;
        const T& operator*() const { return range_->items_[index_]; }
        const T* operator->() const { return &range_->items_[index_]; }
        iterator& operator++() {
            ++index_;
            settle();
            return *this;
        }
        void operator++(int) { ++*this; }
        bool operator==(std::default_sentinel_t) const { return range_ == nullptr; }

    private:
        friend class basic_scan_range;
        explicit iterator(basic_scan_range* range) : range_(range) { settle(); }
        // A page may hold no items and still not be the last, so keep fetching until there
        // is an item to show or the scan is over.
        void settle() {
            while (index_ >= range_->items_.size()) {
                if (!range_->fetch()) {
                    range_ = nullptr;
                    return;
                }
                index_ = 0;
            }
        }

        basic_scan_range* range_ = nullptr;
        std::size_t index_ = 0;
    };

    iterator begin() { return iterator(this); }
    std::default_sentinel_t end() const noexcept { return {}; }

private:
    bool fetch() {  // the next page; false when the scan is complete
        if (started_ && cursor_ == "0") return false;
        scan_page<T> page = fetch_(cursor_);
        cursor_ = std::move(page.cursor);
        items_ = std::move(page.items);
        started_ = true;
        return true;
    }

    page_fetcher fetch_;
    std::string cursor_ = "0";
    bool started_ = false;
    std::vector<T> items_;
};

/// The keys of a SCAN.
using scan_range = basic_scan_range<std::string>;

}  // namespace redpool
