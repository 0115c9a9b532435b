/* Helpers for virtual-time tests: stacks with a fixed secret, a world joining them, a record
 * of state transitions per stack, and pool-leak checks. */
#ifndef SYNACK_TEST_NET_H
#define SYNACK_TEST_NET_H
#include "synack/synack.h"
#include "synack/socket.h"
#include "synack/sim.h"

#define NET_CLIENT_ADDR 0x0a4d0001u /* 10.77.0.1 */
#define NET_SERVER_ADDR 0x0a4d0002u /* 10.77.0.2 */
#define NET_MAX_TRANS 256

struct net_trace {
    int n;
    struct { int conn, from, to; } tr[NET_MAX_TRANS];
};

struct net {
    struct synack_sim *sim;
    struct synack_stack *c, *s;     /* client and server */
    struct net_trace ctr, str;      /* their transitions */
};

/* cfg may be NULL for defaults; adjust() may edit each stack's config before creation. */
int net_init(struct net *n, const struct synack_memlink_config *lc,
             void (*adjust)(struct synack_config *cfg, int is_server));
void net_free(struct net *n);
/* Runs until cond or for at most `us` of virtual time; returns 1 if cond held. */
int net_run(struct net *n, synack_time_us us, int (*cond)(void *), void *ctx);
/* "CLOSED SYN_SENT ESTABLISHED ..." for one connection handle of a trace, in buf. */
const char *net_states(const struct net_trace *t, int conn, char *buf, size_t len);
/* 1 if the stack holds no sockets, buffers or timers. */
int net_pools_empty(struct synack_stack *st);
#endif
