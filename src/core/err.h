/* Error codes of the core: negative numbers whose absolute values are Linux's errno values, so
 * that src/api maps them by negation (it checks this with static asserts). The core includes no
 * OS header, hence the copy. */
#ifndef SYNACK_CORE_ERR_H
#define SYNACK_CORE_ERR_H
enum synack_err {
    SYNACK_OK = 0,
    SYNACK_EBADF = -9,          /* not a socket handle */
    SYNACK_EAGAIN = -11,        /* would block: no data, no room, no connection to accept */
    SYNACK_ENOMEM = -12,        /* a pool is exhausted */
    SYNACK_EINVAL = -22,        /* bad argument or wrong state for the call */
    SYNACK_EMFILE = -24,        /* no free socket slot */
    SYNACK_EPIPE = -32,         /* send after the write side was closed */
    SYNACK_EDESTADDRREQ = -89,  /* sendto without an address on an unconnected socket */
    SYNACK_EMSGSIZE = -90,      /* datagram too large */
    SYNACK_EOPNOTSUPP = -95,    /* operation not supported by this socket type */
    SYNACK_EADDRINUSE = -98,    /* local address/port already in use */
    SYNACK_EADDRNOTAVAIL = -99, /* not this stack's address, or no ephemeral port left */
    SYNACK_ECONNABORTED = -103, /* connection aborted locally */
    SYNACK_ECONNRESET = -104,   /* the peer reset the connection */
    SYNACK_ENOBUFS = -105,      /* no buffer for the connection */
    SYNACK_EISCONN = -106,      /* already connected */
    SYNACK_ENOTCONN = -107,     /* not connected */
    SYNACK_ETIMEDOUT = -110,    /* retransmissions exhausted */
    SYNACK_ECONNREFUSED = -111, /* RST (or ICMP port unreachable) in answer to our SYN */
    SYNACK_EALREADY = -114,     /* a connect is already in progress */
    SYNACK_EINPROGRESS = -115   /* connect started; completion is signalled by SYNACK_EV_OUT */
};
#endif
