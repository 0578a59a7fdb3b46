// redpool/reply.hpp — one reply from the server, as a small tree of values.
#pragma once

#include <cstddef>
#include <new>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <fmt/format.h>

namespace redpool {

namespace detail {
struct reply_builder;
}

/// The RESP2 reply types.
enum class reply_type : unsigned char {
    nil,      ///< `$-1` or `*-1`: no value
    status,   ///< `+OK`
    error,    ///< `-ERR message`: a server error, kept as data
    integer,  ///< `:42`
    string,   ///< `$3\r\nfoo`: a binary-safe bulk string
    array,    ///< `*2 ...`: elements, which are replies themselves
};

/// One reply. A plain value: copyable, movable, and cheap to move. Accessors for the wrong
/// type throw `redpool::error` (`errc::invalid_argument`) rather than return garbage.
class reply {
public:
    /// A nil reply.
    reply() noexcept { ::new (&elements_) std::vector<reply>(); }
    reply(const reply& other) : type_(other.type_), integer_(other.integer_), text_(other.text_) {
        ::new (&elements_) std::vector<reply>(other.elements_);
    }
    reply(reply&& other) noexcept
        : type_(other.type_), integer_(other.integer_), text_(std::move(other.text_)) {
        ::new (&elements_) std::vector<reply>(std::move(other.elements_));
    }
    // Copy first, then move: `other` may be one of this reply's own elements (`r = r[0]`).
    reply& operator=(const reply& other) {
        reply copy(other);
        return *this = std::move(copy);
    }
    reply& operator=(reply&& other) noexcept {
        // `other` may be one of this reply's own elements, which assigning elements_ destroys
        // (`r = std::move(r.elements()[0])`): everything else is read from it first.
        const reply_type type = other.type_;
        const long long integer = other.integer_;
        text_ = std::move(other.text_);
        elements_ = std::move(other.elements_);
        type_ = type;
        integer_ = integer;
        return *this;
    }
    /// Inline for a reply without elements (nearly every one: a batch destroys a thousand at
    /// once); the elements of an array are destroyed out of line, so that the recursion is not
    /// unrolled into every place a vector of replies is destroyed.
    ~reply() {
#if defined(_GLIBCXX_DEBUG)
        destroy_elements();  // the debug vector's destructor also detaches its iterators
#else
        if (elements_.capacity() != 0) destroy_elements();
#endif
    }

    static reply make_nil() { return reply(); }
    static reply make_status(std::string text) { return reply(reply_type::status, std::move(text)); }
    static reply make_error(std::string text) { return reply(reply_type::error, std::move(text)); }
    static reply make_string(std::string bytes) { return reply(reply_type::string, std::move(bytes)); }
    static reply make_integer(long long value);
    static reply make_array(std::vector<reply> elements);

    reply_type type() const noexcept { return type_; }
    bool is_nil() const noexcept { return type_ == reply_type::nil; }
    bool is_status() const noexcept { return type_ == reply_type::status; }
    bool is_error() const noexcept { return type_ == reply_type::error; }
    bool is_integer() const noexcept { return type_ == reply_type::integer; }
    bool is_string() const noexcept { return type_ == reply_type::string; }
    bool is_array() const noexcept { return type_ == reply_type::array; }

    /// The bytes of a string, status or error reply (an error's text has no leading `-`).
    /// The view lives as long as this reply.
    std::string_view as_string() const {
        if (!has_text()) wrong_type("a string");
        return text_;
    }
    /// Moves the bytes of a string, status or error reply out, leaving this reply empty.
    std::string take_string() {
        if (!has_text()) wrong_type("a string");
        return std::move(text_);
    }
    /// The value of an integer reply.
    long long as_integer() const {
        if (type_ != reply_type::integer) wrong_type("an integer");
        return integer_;
    }

    /// Elements of an array reply (empty for other types).
    const std::vector<reply>& elements() const noexcept { return elements_; }
    std::vector<reply>& elements() noexcept { return elements_; }
    /// Number of elements of an array reply, 0 for other types.
    std::size_t size() const noexcept { return elements_.size(); }
    /// Element `i` of an array reply; throws if this is not an array or `i` is out of range.
    const reply& operator[](std::size_t i) const;

    friend bool operator==(const reply& a, const reply& b);

private:
    // The parser fills replies in place, without a second tree.
    friend struct detail::reply_builder;
    void set_integer(long long value) noexcept;
    void set_text(reply_type type, const char* data, std::size_t size);
    void set_array(std::size_t capacity_hint);
    // Back to a nil reply, cheaply when it is one already (the parser's case).
    void clear() noexcept {
        type_ = reply_type::nil;
        integer_ = 0;
        if (!text_.empty()) text_.clear();
        if (elements_.capacity() != 0) drop_elements();
    }
    void drop_elements() noexcept;
    // Ends elements_, for ~reply().
    void destroy_elements() noexcept;

    reply(reply_type type, std::string text) : type_(type), text_(std::move(text)) {
        ::new (&elements_) std::vector<reply>();
    }

    bool has_text() const noexcept {
        return type_ == reply_type::string || type_ == reply_type::status || type_ == reply_type::error;
    }
    // Out of line, so the accessors above stay small enough to inline.
    [[noreturn]] void wrong_type(const char* wanted) const;

    reply_type type_ = reply_type::nil;
    long long integer_ = 0;
    std::string text_;              // string, status and error payloads
    // Array elements. In a union so that ~reply() decides whether to destroy them: a vector
    // that holds no memory (capacity 0) has nothing to give back, so its destructor would do
    // nothing. Always alive while the reply is.
    union {
        std::vector<reply> elements_;
    };
};

/// A short readable name: "nil", "status", "error", "integer", "string", "array".
std::string_view to_string(reply_type type) noexcept;

}  // namespace redpool

/// Formats a reply the way redis-cli shows it: `"text"`, `(integer) 1`, `(nil)`,
/// `(error) ERR ...`, `OK`, and arrays as `[a, b]`. Binary bytes are escaped.
template <>
struct fmt::formatter<redpool::reply> {
    constexpr auto parse(format_parse_context& ctx) { return ctx.begin(); }
    format_context::iterator format(const redpool::reply& r, format_context& ctx) const;
};
