/**
 * @file socket.h
 * A BSD-like, non-blocking socket API over a synack stack.
 *
 * Handles are small integers (>= 0), private to the stack. Every call returns >= 0 on success
 * or -1 with errno set to the Linux errno value (EAGAIN, EINPROGRESS, ECONNREFUSED, ECONNRESET,
 * ETIMEDOUT, EPIPE, EADDRINUSE, EINVAL, EBADF, ENOTCONN, EISCONN, EALREADY, EMFILE, ...). No
 * call blocks: use synack_sock_events() (or the platform loop) to wait for readiness, and call
 * synack_poll() after socket calls so that the segments they cause are sent.
 * Addresses and ports are in host byte order.
 */
#ifndef SYNACK_SOCKET_H
#define SYNACK_SOCKET_H
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "synack.h"

#ifdef __cplusplus
extern "C" {
#endif

enum { SYNACK_SOCK_STREAM = 1, SYNACK_SOCK_DGRAM = 2 };
enum { SYNACK_SHUT_RD = 0, SYNACK_SHUT_WR = 1, SYNACK_SHUT_RDWR = 2 };

/** Readiness bits for synack_sock_events(). */
enum {
    SYNACK_EV_IN = 0x01,    /**< data to read, a connection to accept, or end of stream */
    SYNACK_EV_OUT = 0x04,   /**< room to send (or a connect completed) */
    SYNACK_EV_ERR = 0x08,   /**< a pending error (read it with SYNACK_SO_ERROR) */
    SYNACK_EV_HUP = 0x10,   /**< both directions closed */
    SYNACK_EV_RDHUP = 0x2000 /**< the peer closed its side (FIN received) */
};

/** Options for synack_getsockopt()/synack_setsockopt() (int values). */
enum {
    SYNACK_SO_ERROR = 1,    /**< get: the pending error (errno value), and clear it */
    SYNACK_TCP_STATE,       /**< get: enum synack_tcp_state */
    SYNACK_SO_RCVBUF,       /**< get: receive buffer size in bytes */
    SYNACK_SO_SNDBUF,       /**< get: send buffer size; set: limit it (at most the configured size) */
    SYNACK_TCP_MAXSEG,      /**< get: effective send MSS; set: clamp our advertised MSS */
    SYNACK_TCP_NODELAY,     /**< get/set: disable Nagle (default on: Nagle disabled) */
    SYNACK_SO_REUSEADDR,    /**< get/set: allow bind to a port with connections in TIME_WAIT */
    SYNACK_SO_LINGER_ZERO,  /**< set: close() aborts with RST */
    SYNACK_SO_UNREAD,       /**< get: bytes readable */
    SYNACK_SO_UNSENT,       /**< get: bytes sent but not yet acknowledged, plus unsent */
    SYNACK_TCP_FASTOPEN_CONNECT, /**< get/set before connect: RFC 7413 client. connect() asks
                                     the server for a cookie; once one is cached for that
                                     server, connect() returns 0 at once and the first send
                                     goes out in the SYN (Linux's TCP_FASTOPEN_CONNECT) */
    SYNACK_TCP_USER_TIMEOUT /**< get/set, milliseconds (0: off, the default): abort with
                                 ETIMEDOUT when sent data stays unacknowledged, or the peer's
                                 window stays closed, this long (RFC 5482; Linux's
                                 TCP_USER_TIMEOUT) */
};

int synack_socket(struct synack_stack *st, int type);
int synack_bind(struct synack_stack *st, int s, uint32_t addr, uint16_t port);
int synack_listen(struct synack_stack *st, int s, int backlog);
/** Returns a new handle; peer address and port stored through addr and port when not NULL. */
int synack_accept(struct synack_stack *st, int s, uint32_t *addr, uint16_t *port);
/** Starts an active open; returns -1/EINPROGRESS (completion: SYNACK_EV_OUT, then SO_ERROR). */
int synack_connect(struct synack_stack *st, int s, uint32_t addr, uint16_t port);
ssize_t synack_send(struct synack_stack *st, int s, const void *buf, size_t len);
ssize_t synack_recv(struct synack_stack *st, int s, void *buf, size_t len);
ssize_t synack_sendto(struct synack_stack *st, int s, const void *buf, size_t len,
                      uint32_t addr, uint16_t port);
ssize_t synack_recvfrom(struct synack_stack *st, int s, void *buf, size_t len,
                        uint32_t *addr, uint16_t *port);
int synack_shutdown(struct synack_stack *st, int s, int how);
/** Releases the handle; a TCP connection goes on closing in the background (orphaned). */
int synack_close(struct synack_stack *st, int s);
int synack_getsockopt(struct synack_stack *st, int s, int opt, int *val);
int synack_setsockopt(struct synack_stack *st, int s, int opt, int val);
int synack_getsockname(struct synack_stack *st, int s, uint32_t *addr, uint16_t *port);
int synack_getpeername(struct synack_stack *st, int s, uint32_t *addr, uint16_t *port);
/** Current readiness bits (SYNACK_EV_*), or -1/EBADF. */
int synack_sock_events(struct synack_stack *st, int s);

#ifdef __cplusplus
}
#endif
#endif
