/* Socket calls of the core (sock.c): the same contracts as include/synack/socket.h, but
 * returning negative SYNACK_E* codes; src/api/socket.c wraps them for errno. */
#ifndef SYNACK_CORE_SOCK_H
#define SYNACK_CORE_SOCK_H
#include <stdint.h>
#include <stddef.h>
struct synack_stack;
int synack__sock_new(struct synack_stack *st, int type);
int synack__sock_bind(struct synack_stack *st, int s, uint32_t addr, uint16_t port);
int synack__sock_listen(struct synack_stack *st, int s, int backlog);
int synack__sock_accept(struct synack_stack *st, int s, uint32_t *addr, uint16_t *port);
int synack__sock_connect(struct synack_stack *st, int s, uint32_t addr, uint16_t port);
long synack__sock_send(struct synack_stack *st, int s, const void *buf, size_t len);
long synack__sock_recv(struct synack_stack *st, int s, void *buf, size_t len);
long synack__sock_sendto(struct synack_stack *st, int s, const void *buf, size_t len,
                         uint32_t addr, uint16_t port);
long synack__sock_recvfrom(struct synack_stack *st, int s, void *buf, size_t len, uint32_t *addr,
                           uint16_t *port);
int synack__sock_shutdown(struct synack_stack *st, int s, int how);
int synack__sock_close(struct synack_stack *st, int s);
int synack__sock_getsockopt(struct synack_stack *st, int s, int opt, int *val);
int synack__sock_setsockopt(struct synack_stack *st, int s, int opt, int val);
int synack__sock_name(struct synack_stack *st, int s, int peer, uint32_t *addr, uint16_t *port);
int synack__sock_events(struct synack_stack *st, int s);
#endif
