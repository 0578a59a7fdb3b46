// redpool/cmd/bitmaps.hpp — Redis's bitmap commands: strings read and written as arrays of bits
// (SETBIT, BITCOUNT, BITOP, ...) or of small integers (BITFIELD).
//
// Each command is a factory in `redpool::cmd` (the one place it is written), and
// `bitmap_commands<Executor>` gives every executor the method of the same name: `client`
// returns the result type shown, pipelines and transactions a `deferred` of it.
#pragma once

#include <initializer_list>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "redpool/command.hpp"

namespace redpool {

/// What the offsets of a BITCOUNT or BITPOS range count.
enum class bit_unit {
    byte,  ///< BYTE (Redis's default): the range covers whole bytes
    bit,   ///< BIT: the range covers single bits
};

/// How BITOP combines its source keys.
enum class bit_operation {
    and_,  ///< AND
    or_,   ///< OR
    xor_,  ///< XOR
    not_,  ///< NOT: of exactly one source key
};

/// A BITFIELD integer type: `bitfield_type::u(8)` is Redis's "u8", `bitfield_type::i(16)` its
/// "i16". Signed types have 1 to 64 bits, unsigned ones 1 to 63; others throw
/// `errc::invalid_argument` when the command is made.
struct bitfield_type {
    /// True for a two's-complement signed integer ("i"), false for an unsigned one ("u").
    bool is_signed = false;
    /// The width in bits: 1 to 64 signed, 1 to 63 unsigned. The default, 0, is not a valid type.
    int bits = 0;

    /// A signed integer of `width` bits (Redis's "i<width>").
    static constexpr bitfield_type i(int width) { return {true, width}; }
    /// An unsigned integer of `width` bits (Redis's "u<width>").
    static constexpr bitfield_type u(int width) { return {false, width}; }
};

/// Where a BITFIELD field starts: a bit offset (an integer converts), or
/// `bitfield_offset::nth(n)`, the n-th field of the type's width from the start (Redis's "#n",
/// bit n × width). Negative offsets throw `errc::invalid_argument` when the command is made.
struct bitfield_offset {
    /// The field starts at bit `bit` (from the first byte's most significant bit). Implicit, so
    /// that `0` reads as bit 0 where an offset is expected.
    bitfield_offset(long long bit = 0) : value(bit) {}
    /// The field is the `index`-th (from 0) of the type's width: it starts at bit
    /// `index` × width.
    static bitfield_offset nth(long long index) {
        bitfield_offset o(index);
        o.in_fields = true;
        return o;
    }

    /// The bit offset, or with `in_fields` the field index; negative throws
    /// `errc::invalid_argument`.
    long long value = 0;
    /// `value` counts fields of the type's width rather than bits.
    bool in_fields = false;
};

/// What BITFIELD's SET and INCRBY do with a result outside the field's range.
enum class bitfield_overflow {
    wrap,  ///< WRAP (Redis's default): wraps around, modulo the range
    sat,   ///< SAT: stops at the field's minimum or maximum
    fail,  ///< FAIL: changes nothing, and the operation's result is nullopt
};

/// A field read by BITFIELD_RO.
struct bitfield_get {
    /// The field's integer type, e.g. `bitfield_type::u(8)`.
    bitfield_type type;
    /// Where the field starts: a bit offset, or `bitfield_offset::nth(n)`.
    bitfield_offset offset;
};

/// One BITFIELD operation; make it with `get`, `set` or `incrby`.
struct bitfield_op {
    /// Which BITFIELD operation this is.
    enum class kind {
        get,     ///< GET: read the field
        set,     ///< SET: write the field
        incrby,  ///< INCRBY: add to the field
    };

    /// GET, SET or INCRBY.
    kind what = kind::get;
    /// The field's integer type, e.g. `bitfield_type::i(16)`.
    bitfield_type type;
    /// Where the field starts: a bit offset, or `bitfield_offset::nth(n)`.
    bitfield_offset offset;
    /// SET's new value, INCRBY's increment (negative to decrement); unused by GET.
    long long value = 0;
    /// How SET or INCRBY overflows; unused by GET.
    bitfield_overflow overflow = bitfield_overflow::wrap;

    /// GET: the field's value.
    static bitfield_op get(bitfield_type type, bitfield_offset offset) {
        return {kind::get, type, offset, 0, bitfield_overflow::wrap};
    }
    /// SET: writes `value`; the result is the field's previous value.
    static bitfield_op set(bitfield_type type, bitfield_offset offset, long long value,
                           bitfield_overflow overflow = bitfield_overflow::wrap) {
        return {kind::set, type, offset, value, overflow};
    }
    /// INCRBY: adds `increment`; the result is the field's new value.
    static bitfield_op incrby(bitfield_type type, bitfield_offset offset, long long increment,
                              bitfield_overflow overflow = bitfield_overflow::wrap) {
        return {kind::incrby, type, offset, increment, overflow};
    }
};

namespace cmd {

/// SETBIT: sets the bit at `offset` (from the first byte's most significant bit), growing the
/// string with zero bytes as needed; returns the bit's previous value. A negative offset
/// throws `errc::invalid_argument`.
command<bool> setbit(std::string_view key, long long offset, bool value);
/// GETBIT: the bit at `offset`; false past the end of the string or for a missing key. A
/// negative offset throws `errc::invalid_argument`.
command<bool> getbit(std::string_view key, long long offset);
/// BITCOUNT: how many bits are set (0 for a missing key).
command<long long> bitcount(std::string_view key);
/// BITCOUNT over the inclusive range [start, end] of bytes or bits; negative offsets count
/// from the end.
command<long long> bitcount(std::string_view key, long long start, long long end, bit_unit unit = bit_unit::byte);
/// BITPOS: the position of the first bit equal to `bit`, or -1 if there is none. Looking for a
/// clear bit in a string of set bits gives the first bit past its end; in a missing key, 0.
command<long long> bitpos(std::string_view key, bool bit);
/// BITPOS from byte `start` to the end of the string (negative counts from the end).
command<long long> bitpos(std::string_view key, bool bit, long long start);
/// BITPOS within the inclusive range [start, end] of bytes or bits: -1 if no bit in the range
/// equals `bit` (no padding past the end is assumed, unlike the forms above).
command<long long> bitpos(std::string_view key, bool bit, long long start, long long end,
                          bit_unit unit = bit_unit::byte);
/// BITOP: stores `op` of the source keys in `destination` (a missing key reads as zero bytes;
/// shorter strings are padded with them) and returns its length in bytes; an empty result
/// deletes `destination`. No source keys, or NOT of other than one key, throws
/// `errc::invalid_argument`.
command<long long> bitop(bit_operation op, std::string_view destination, std::span<const std::string_view> keys);
command<long long> bitop(bit_operation op, std::string_view destination,
                         std::initializer_list<std::string_view> keys);
/// BITFIELD: runs the operations in order and returns one result per operation: GET's value,
/// SET's previous value, INCRBY's new value, or nullopt for a SET or INCRBY that overflowed
/// with `bitfield_overflow::fail`. Invalid types or offsets throw `errc::invalid_argument`.
command<std::vector<std::optional<long long>>> bitfield(std::string_view key, std::span<const bitfield_op> ops);
command<std::vector<std::optional<long long>>> bitfield(std::string_view key,
                                                        std::initializer_list<bitfield_op> ops);
/// BITFIELD_RO: the value of each field, in order (fields past the end of the string, or of
/// a missing key, read 0). Usable on read-only replicas.
command<std::vector<long long>> bitfield_ro(std::string_view key, std::span<const bitfield_get> fields);
command<std::vector<long long>> bitfield_ro(std::string_view key, std::initializer_list<bitfield_get> fields);

}  // namespace cmd

/// The bitmap commands of an executor; see `redpool::cmd` for each one.
template <class Executor>
class bitmap_commands {
public:
    auto setbit(std::string_view key, long long offset, bool value) { return run(cmd::setbit(key, offset, value)); }
    auto getbit(std::string_view key, long long offset) { return run(cmd::getbit(key, offset)); }
    auto bitcount(std::string_view key) { return run(cmd::bitcount(key)); }
    auto bitcount(std::string_view key, long long start, long long end, bit_unit unit = bit_unit::byte) {
        return run(cmd::bitcount(key, start, end, unit));
    }
    auto bitpos(std::string_view key, bool bit) { return run(cmd::bitpos(key, bit)); }
    auto bitpos(std::string_view key, bool bit, long long start) { return run(cmd::bitpos(key, bit, start)); }
    auto bitpos(std::string_view key, bool bit, long long start, long long end, bit_unit unit = bit_unit::byte) {
        return run(cmd::bitpos(key, bit, start, end, unit));
    }
    auto bitop(bit_operation op, std::string_view destination, std::span<const std::string_view> keys) {
        return run(cmd::bitop(op, destination, keys));
    }
    auto bitop(bit_operation op, std::string_view destination, std::initializer_list<std::string_view> keys) {
        return run(cmd::bitop(op, destination, keys));
    }
    auto bitfield(std::string_view key, std::span<const bitfield_op> ops) { return run(cmd::bitfield(key, ops)); }
    auto bitfield(std::string_view key, std::initializer_list<bitfield_op> ops) {
        return run(cmd::bitfield(key, ops));
    }
    auto bitfield_ro(std::string_view key, std::span<const bitfield_get> fields) {
        return run(cmd::bitfield_ro(key, fields));
    }
    auto bitfield_ro(std::string_view key, std::initializer_list<bitfield_get> fields) {
        return run(cmd::bitfield_ro(key, fields));
    }

private:
    template <class T>
    [[gnu::always_inline]] auto run(const command<T>& c) {  // a forwarder: no call of its own
        return static_cast<Executor&>(*this).run(c);
    }
};

}  // namespace redpool
