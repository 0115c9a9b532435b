/* The public socket API (include/synack/socket.h): BSD conventions over the core's calls,
 * which return negative codes whose magnitudes are Linux's errno values (src/core/err.h). */
#include <errno.h>
#include "synack/socket.h"
#include "core/err.h"
#include "core/sock.h"

_Static_assert(-SYNACK_EAGAIN == EAGAIN && -SYNACK_ECONNREFUSED == ECONNREFUSED &&
               -SYNACK_ECONNRESET == ECONNRESET && -SYNACK_ETIMEDOUT == ETIMEDOUT &&
               -SYNACK_EPIPE == EPIPE && -SYNACK_EADDRINUSE == EADDRINUSE &&
               -SYNACK_EINVAL == EINVAL && -SYNACK_EINPROGRESS == EINPROGRESS &&
               -SYNACK_EALREADY == EALREADY && -SYNACK_EISCONN == EISCONN &&
               -SYNACK_ENOTCONN == ENOTCONN && -SYNACK_EBADF == EBADF &&
               -SYNACK_EMFILE == EMFILE && -SYNACK_ENOBUFS == ENOBUFS &&
               -SYNACK_ECONNABORTED == ECONNABORTED && -SYNACK_EADDRNOTAVAIL == EADDRNOTAVAIL &&
               -SYNACK_EOPNOTSUPP == EOPNOTSUPP && -SYNACK_EMSGSIZE == EMSGSIZE &&
               -SYNACK_EDESTADDRREQ == EDESTADDRREQ && -SYNACK_ENOMEM == ENOMEM,
               "core error codes must be Linux errno values");

static long ret(long rc)
{
    if (rc >= 0) return rc;
    errno = (int)-rc;
    return -1;
}

int synack_socket(struct synack_stack *st, int type) { return (int)ret(synack__sock_new(st, type)); }
int synack_bind(struct synack_stack *st, int s, uint32_t addr, uint16_t port)
{ return (int)ret(synack__sock_bind(st, s, addr, port)); }
int synack_listen(struct synack_stack *st, int s, int backlog)
{ return (int)ret(synack__sock_listen(st, s, backlog)); }
int synack_accept(struct synack_stack *st, int s, uint32_t *addr, uint16_t *port)
{ return (int)ret(synack__sock_accept(st, s, addr, port)); }
int synack_connect(struct synack_stack *st, int s, uint32_t addr, uint16_t port)
{ return (int)ret(synack__sock_connect(st, s, addr, port)); }
ssize_t synack_send(struct synack_stack *st, int s, const void *buf, size_t len)
{ return ret(synack__sock_send(st, s, buf, len)); }
ssize_t synack_recv(struct synack_stack *st, int s, void *buf, size_t len)
{ return ret(synack__sock_recv(st, s, buf, len)); }
ssize_t synack_sendto(struct synack_stack *st, int s, const void *buf, size_t len, uint32_t addr,
                      uint16_t port)
{ return ret(synack__sock_sendto(st, s, buf, len, addr, port)); }
ssize_t synack_recvfrom(struct synack_stack *st, int s, void *buf, size_t len, uint32_t *addr,
                        uint16_t *port)
{ return ret(synack__sock_recvfrom(st, s, buf, len, addr, port)); }
int synack_shutdown(struct synack_stack *st, int s, int how)
{ return (int)ret(synack__sock_shutdown(st, s, how)); }
int synack_close(struct synack_stack *st, int s) { return (int)ret(synack__sock_close(st, s)); }
int synack_getsockopt(struct synack_stack *st, int s, int opt, int *val)
{ return (int)ret(synack__sock_getsockopt(st, s, opt, val)); }
int synack_setsockopt(struct synack_stack *st, int s, int opt, int val)
{ return (int)ret(synack__sock_setsockopt(st, s, opt, val)); }
int synack_getsockname(struct synack_stack *st, int s, uint32_t *addr, uint16_t *port)
{ return (int)ret(synack__sock_name(st, s, 0, addr, port)); }
int synack_getpeername(struct synack_stack *st, int s, uint32_t *addr, uint16_t *port)
{ return (int)ret(synack__sock_name(st, s, 1, addr, port)); }
int synack_sock_events(struct synack_stack *st, int s) { return (int)ret(synack__sock_events(st, s)); }
