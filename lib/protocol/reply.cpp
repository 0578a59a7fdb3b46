// redpool::reply: accessors, comparison and formatting.
#include "redpool/reply.hpp"

#include <fmt/format.h>

#include "redpool/error.hpp"

namespace redpool {

reply reply::make_integer(long long value) {
    reply r;
    r.set_integer(value);
    return r;
}

reply reply::make_array(std::vector<reply> elements) {
    reply r;
    r.type_ = reply_type::array;
    r.elements_ = std::move(elements);
    return r;
}

void reply::wrong_type(const char* wanted) const {
    throw error(errc::invalid_argument, fmt::format("reply is {}, not {}", to_string(type_), wanted));
}

const reply& reply::operator[](std::size_t i) const {
    if (type_ != reply_type::array) wrong_type("an array");
    if (i >= elements_.size()) {
        throw error(errc::invalid_argument,
                    fmt::format("reply index {} out of range (size {})", i, elements_.size()));
    }
    return elements_[i];
}

void reply::destroy_elements() noexcept { elements_.~vector(); }

bool operator==(const reply& a, const reply& b) {
    return a.type_ == b.type_ && a.integer_ == b.integer_ && a.text_ == b.text_ &&
           a.elements_ == b.elements_;
}

void reply::set_integer(long long value) noexcept {
    type_ = reply_type::integer;
    integer_ = value;
}

void reply::set_text(reply_type type, const char* data, std::size_t size) {
    type_ = type;
    // Into an empty string (the parser's case), append is a plain copy; assign would first
    // check whether `data` lies inside the string itself.
    if (text_.empty()) text_.append(data, size);
    else text_.assign(data, size);
}

void reply::drop_elements() noexcept { std::vector<reply>().swap(elements_); }

void reply::set_array(std::size_t capacity_hint) {
    type_ = reply_type::array;
    elements_.reserve(capacity_hint);
}

std::string_view to_string(reply_type type) noexcept {
    switch (type) {
        case reply_type::nil: return "nil";
        case reply_type::status: return "status";
        case reply_type::error: return "error";
        case reply_type::integer: return "integer";
        case reply_type::string: return "string";
        case reply_type::array: return "array";
    }
    return "unknown";
}

namespace {

// Quotes bytes like redis-cli: printable ASCII as is, the rest as escapes.
void append_quoted(std::string& out, std::string_view bytes) {
    out += '"';
    for (unsigned char c : bytes) {
        switch (c) {
            case '"': out += "\\\""; break;
            case '\\': out += "\\\\"; break;
            case '\n': out += "\\n"; break;
            case '\r': out += "\\r"; break;
            case '\t': out += "\\t"; break;
            default:
                if (c >= 0x20 && c < 0x7f) {
                    out += static_cast<char>(c);
                } else {
                    fmt::format_to(std::back_inserter(out), "\\x{:02x}", c);
                }
        }
    }
    out += '"';
}

void append_reply(std::string& out, const reply& r) {
    switch (r.type()) {
        case reply_type::nil: out += "(nil)"; break;
        case reply_type::status: out += r.as_string(); break;
        case reply_type::error: out += "(error) "; out += r.as_string(); break;
        case reply_type::integer:
            fmt::format_to(std::back_inserter(out), "(integer) {}", r.as_integer());
            break;
        case reply_type::string: append_quoted(out, r.as_string()); break;
        case reply_type::array:
            out += '[';
            for (std::size_t i = 0; i < r.size(); ++i) {
                if (i != 0) out += ", ";
                append_reply(out, r.elements()[i]);
            }
            out += ']';
            break;
    }
}

}  // namespace

}  // namespace redpool

fmt::format_context::iterator fmt::formatter<redpool::reply>::format(const redpool::reply& r,
                                                                     format_context& ctx) const {
    std::string text;
    redpool::append_reply(text, r);
    return std::copy(text.begin(), text.end(), ctx.out());
}
