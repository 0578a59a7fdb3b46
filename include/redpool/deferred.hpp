// redpool/deferred.hpp — the typed result of a command queued in a pipeline or transaction,
// ready once the batch has run:
//
//     redpool::deferred<long long> n = p.incr("counter");
//     p.exec();
//     long long v = n.get();   // the value, or the command's own error
#pragma once

#include <atomic>
#include <exception>
#include <new>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "redpool/command.hpp"
#include "redpool/detail/thread_cache.hpp"
#include "redpool/error.hpp"
#include "redpool/reply.hpp"

namespace redpool {

namespace detail {

class deferred_slot;

/// Where a batch puts the outcome of one of its commands. Implemented once per result type
/// by `deferred_state<T>`; the batch sees only this. The batch and every `deferred` handed out
/// hold a counted reference (`slot_ref`): a 1,000-command pipeline makes a thousand per
/// `exec()`, so the count lives in the slot rather than in a shared_ptr's control block.
class deferred_slot {
public:
    deferred_slot(const deferred_slot&) = delete;
    deferred_slot& operator=(const deferred_slot&) = delete;

    /// The command's reply arrived (a server error included): convert and keep it.
    /// `encoded` is the command as sent (RESP), for naming it in a conversion error.
    virtual void settle(const reply& r, const char* encoded) noexcept = 0;
    /// The command has no reply of its own: the batch failed before it (a lost connection,
    /// an aborted transaction). Keeps `failure` to rethrow from `get()`.
    virtual void fail(std::exception_ptr failure) noexcept = 0;

    void retain() noexcept { refs_.fetch_add(1, std::memory_order_relaxed); }
    /// Adds a reference to a slot no other thread can see yet (just made), without the cost
    /// of an atomic read-modify-write.
    void retain_unpublished() noexcept { refs_.store(refs_.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed); }
    void release() noexcept {
        // The only holder needs no read-modify-write: nobody else can add a reference. A batch
        // usually releases its slots last, after their deferreds were dropped.
        if (refs_.load(std::memory_order_acquire) == 1 || refs_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
            destroy();
        }
    }
    /// Drops a `deferred` handle's reference. A pipeline's caller typically drops one per
    /// command while building the batch, right before exec() (which then waits on it), and an
    /// atomic decrement each costs there. So while the batch has not run (the slot holds no
    /// result yet, only the batch's reference and this one), the decrement is left to the
    /// thread's next wait for the server (`defer_release`); otherwise it happens at once.
    void release_handle() noexcept {
        if (refs_.load(std::memory_order_acquire) == 1) {
            destroy();
        } else if (settled_.load(std::memory_order_relaxed) || !defer_release(this)) {
            release();
        }
    }
    /// Whether someone besides the batch still holds it: a result nobody can read is not
    /// converted.
    bool wanted() const noexcept { return refs_.load(std::memory_order_acquire) > 1; }

protected:
    deferred_slot() noexcept = default;
    ~deferred_slot() = default;
    /// Called by settle() and fail(): the slot holds its outcome now.
    void mark_settled() noexcept { settled_.store(true, std::memory_order_relaxed); }

private:
    /// Ends the object and gives its memory back (see `make_deferred_state`).
    virtual void destroy() noexcept = 0;

    std::atomic<int> refs_{1};  // the creator's reference
    // Only a hint, for release_handle(): read without ordering, so a release it sees as
    // unsettled may merely be kept a while longer.
    std::atomic<bool> settled_{false};
};

/// One counted reference to a slot (or to a `deferred_state<T>`, which converts to one).
template <class S>
class slot_ref {
public:
    slot_ref() noexcept = default;
    /// Takes over a reference the caller owns (a new slot's first one).
    explicit slot_ref(S* adopted) noexcept : p_(adopted) {}
    slot_ref(const slot_ref& other) noexcept : slot_ref(other.p_, true) {}
    template <class U>
    slot_ref(const slot_ref<U>& other) noexcept : slot_ref(other.get(), true) {}
    slot_ref(slot_ref&& other) noexcept : p_(std::exchange(other.p_, nullptr)) {}
    slot_ref& operator=(slot_ref other) noexcept {
        std::swap(p_, other.p_);
        return *this;
    }
    ~slot_ref() {
        if (p_ != nullptr) p_->release();
    }

    /// A second reference to a slot just made, that no other thread has seen yet.
    template <class U = S>
    slot_ref<U> share_unpublished() const noexcept {
        p_->retain_unpublished();
        return slot_ref<U>(p_);
    }

    S* get() const noexcept { return p_; }
    /// Gives up the reference without releasing it: the caller now owns it.
    S* detach() noexcept { return std::exchange(p_, nullptr); }
    S* operator->() const noexcept { return p_; }
    explicit operator bool() const noexcept { return p_ != nullptr; }

private:
    slot_ref(S* shared, bool) noexcept : p_(shared) {
        if (p_ != nullptr) p_->retain();
    }

    S* p_ = nullptr;
};

/// The name of a command encoded in RESP (`*2\r\n$3\r\nGET\r\n...`), for messages.
std::string_view command_name_of(const char* encoded) noexcept;

template <class T>
struct deferred_value {
    std::optional<T> value;
    bool has_value() const noexcept { return value.has_value(); }
    void set(T&& v) { value.emplace(std::move(v)); }
    T get() const { return *value; }
};

template <>
struct deferred_value<void> {
    bool done = false;
    bool has_value() const noexcept { return done; }
    void get() const {}
};

template <class T>
class deferred_state final : public deferred_slot {
public:
    explicit deferred_state(typename command<T>::converter convert) noexcept : convert_(convert) {}

    /// A new state, with one reference for the caller, in memory from the thread's cache.
    static slot_ref<deferred_state> make(typename command<T>::converter convert) {
        if constexpr (alignof(deferred_state) > __STDCPP_DEFAULT_NEW_ALIGNMENT__) {
            return slot_ref<deferred_state>(new deferred_state(convert));
        } else {
            return slot_ref<deferred_state>(::new (take_state_block(sizeof(deferred_state))) deferred_state(convert));
        }
    }

    void settle(const reply& r, const char* encoded) noexcept override {
        try {
            try {
                if constexpr (std::is_void_v<T>) {
                    convert_(reply(r));
                    value_.done = true;
                } else {
                    value_.set(convert_(reply(r)));
                }
            } catch (...) {
                rethrow_naming(command_name_of(encoded));
            }
        } catch (...) {
            failure_ = std::current_exception();
        }
        mark_settled();
    }
    void fail(std::exception_ptr failure) noexcept override {
        failure_ = std::move(failure);
        mark_settled();
    }

    bool ready() const noexcept { return failure_ != nullptr || value_.has_value(); }
    T get() const {
        if (failure_) std::rethrow_exception(failure_);
        if (!value_.has_value()) {
            throw error(errc::invalid_argument, "deferred::get() before its pipeline or transaction ran");
        }
        return value_.get();
    }

private:
    ~deferred_state() = default;

    void destroy() noexcept override {
        if constexpr (alignof(deferred_state) > __STDCPP_DEFAULT_NEW_ALIGNMENT__) {
            delete this;
        } else {
            this->~deferred_state();
            give_state_block(this, sizeof(deferred_state));
        }
    }

    typename command<T>::converter convert_;
    deferred_value<T> value_;
    std::exception_ptr failure_;
};

}  // namespace detail

/// The result of one queued command, filled in by its batch's `exec()`. Cheap to copy (copies
/// share the result) and independent of the batch afterwards: it keeps its result when the
/// pipeline is reused or destroyed.
template <class T>
class deferred {
public:
    /// An empty handle; `get()` throws until assigned one from a batch.
    deferred() = default;
    deferred(const deferred&) = default;
    deferred(deferred&&) noexcept = default;
    deferred& operator=(const deferred&) = default;
    deferred& operator=(deferred&&) noexcept = default;
    ~deferred() {
        if (auto* state = state_.detach()) state->release_handle();
    }

    /// True once the batch has run: `get()` then returns or throws without waiting.
    bool ready() const noexcept { return state_ && state_->ready(); }

    /// The command's result. Throws its own `reply_error` for a server error reply (except the
    /// `deferred<reply>` of `command()`, which holds it as data),
    /// `redpool::error` (`errc::protocol_error`) for a reply of the wrong shape, the batch's
    /// transport error when the connection was lost before this command's reply, the
    /// transaction's error (`EXECABORT`, `errc::tx_failed`) for a command in a transaction that
    /// did not run, and `errc::invalid_argument` before the batch has run.
    T get() const {
        if (!state_) throw error(errc::invalid_argument, "deferred::get() on an empty handle");
        return state_->get();
    }

private:
    template <class Self>
    friend class basic_batch;
    friend class cluster_pipeline;
    explicit deferred(detail::slot_ref<detail::deferred_state<T>> state) noexcept : state_(std::move(state)) {}

    detail::slot_ref<detail::deferred_state<T>> state_;
};

}  // namespace redpool
