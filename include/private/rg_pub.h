/*
 * rg_pub.h - publishing a pointer that many threads read and one thread at
 * a time replaces: the snapshot of a context, the generation rolegated
 * serves.  Not installed.
 *
 * Read-copy-update, with the reclamation of userspace RCU (liburcu), its
 * "bulletproof" flavour, made for libraries: a thread registers itself on
 * its first read, and nothing breaks when it exits without saying so.  A
 * reader pays a store to its own thread's counter and a load of the
 * pointer: no atomic read-modify-write and no write to a line another
 * thread writes, which the two-slot reader counts this replaces paid on
 * every check.  A writer swaps the pointer, then waits for a grace period
 * (every reader that could have seen the old pointer has left) and frees
 * what it replaced.
 *
 * The read side is liburcu's own two inline functions, _urcu_bp_read_lock()
 * and _urcu_bp_read_unlock() from <urcu/static/urcu-bp.h>: each is under
 * the ten lines that LGPL 2.1 section 5 lets object code inline, and their
 * header says so.  Called through the library instead, a check paid two
 * calls and two __tls_get_addr() (about 85 instructions); inlined, with
 * TLS descriptors (-mtls-dialect=gnu2, configure.ac), the thread's counter
 * is a few loads away.  _LGPL_SOURCE stays undefined: nothing else of
 * liburcu is inlined.
 *
 * Under the sanitizers the library's functions are called instead.
 * UBSan stops on the inline read: liburcu allocates its reader records
 * less aligned than their type declares, which its own uninstrumented
 * code does not notice.  And ThreadSanitizer must see neither half of a
 * grace period.  What it must see instead
 * is the order a grace period makes: every reader's leave before the
 * writer's return from the wait.  Under ThreadSanitizer each leave
 * releases, and the end of each wait acquires, the publication's address.
 *
 * Rules: one writer at a time (the caller's lock); never wait for a grace
 * period inside a read (of any rg_pub: the wait is for every reader of the
 * process, so it would wait for itself); reads are short, since a writer
 * waits for them.  What must be held for long is pinned with a reference
 * count taken inside a read (rolegated's engine.c).
 */
#ifndef ROLEGATE_PRIVATE_RG_PUB_H
#define ROLEGATE_PRIVATE_RG_PUB_H

#include <stdatomic.h>

#include <urcu/urcu-bp.h>

#if defined(__SANITIZE_THREAD__)
#define RG_PUB_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define RG_PUB_TSAN 1
#endif
#endif

#ifdef RG_PUB_TSAN
void __tsan_acquire(void *addr);
void __tsan_release(void *addr);
#define RG_PUB_HB_RELEASE(p) __tsan_release((void *)(p))
#define RG_PUB_HB_ACQUIRE(p) __tsan_acquire((void *)(p))
#else
#define RG_PUB_HB_RELEASE(p) ((void)(p))
#define RG_PUB_HB_ACQUIRE(p) ((void)(p))
#endif

/* RG_SANITIZED: configure's, for a build with sanitizers. */
#if defined(RG_PUB_TSAN) || defined(RG_SANITIZED) ||                           \
    defined(__SANITIZE_ADDRESS__)
#define RG_PUB_READ_LOCK()   urcu_bp_read_lock()
#define RG_PUB_READ_UNLOCK() urcu_bp_read_unlock()
#else
#include <urcu/static/urcu-bp.h>
#define RG_PUB_READ_LOCK()   _urcu_bp_read_lock()
#define RG_PUB_READ_UNLOCK() _urcu_bp_read_unlock()
#endif

struct rg_pub {
	_Atomic(void *) cur;
};

static inline void rg_pub_init(struct rg_pub *p, void *first)
{
	atomic_init(&p->cur, first);
}

/* Enters a read and returns what is published: valid until
 * rg_pub_leave().  Reads nest. */
static inline void *rg_pub_enter(struct rg_pub *p)
{
	RG_PUB_READ_LOCK();
	return atomic_load_explicit(&p->cur, memory_order_acquire);
}

static inline void rg_pub_leave(struct rg_pub *p)
{
	RG_PUB_HB_RELEASE(p);
	RG_PUB_READ_UNLOCK();
}

/*
 * Publishes next, waits until no reader can still hold what it replaces,
 * and returns that for the caller to free.  Outside any read.
 */
static inline void *rg_pub_swap(struct rg_pub *p, void *next)
{
	void *old =
	    atomic_exchange_explicit(&p->cur, next, memory_order_acq_rel);

	urcu_bp_synchronize_rcu();
	RG_PUB_HB_ACQUIRE(p);
	return old;
}

/* What is published, for its writer (under its lock) or when no reader
 * is left (teardown). */
static inline void *rg_pub_peek(struct rg_pub *p)
{
	return atomic_load_explicit(&p->cur, memory_order_acquire);
}

#endif /* ROLEGATE_PRIVATE_RG_PUB_H */
