#include <stdio.h>
#include <string.h>
#include "net.h"

static void on_state(void *ctx, synack_time_us now, int conn, int from, int to, const char *ev)
{
    struct net_trace *t = ctx;
    (void)now; (void)ev;
    if (t->n < NET_MAX_TRANS) { t->tr[t->n].conn = conn; t->tr[t->n].from = from; t->tr[t->n].to = to; t->n++; }
}

int net_init(struct net *n, const struct synack_memlink_config *lc,
             void (*adjust)(struct synack_config *cfg, int is_server))
{
    struct synack_config cc, sc;
    memset(n, 0, sizeof *n);
    synack_config_default(&cc);
    synack_config_default(&sc);
    cc.addr = NET_CLIENT_ADDR;
    sc.addr = NET_SERVER_ADDR;
    for (int i = 0; i < 16; i++) { cc.secret[i] = (uint8_t)i; sc.secret[i] = (uint8_t)(0x80 + i); }
    cc.hooks.on_state = on_state; cc.hooks.ctx = &n->ctr;
    sc.hooks.on_state = on_state; sc.hooks.ctx = &n->str;
    if (adjust) { adjust(&cc, 0); adjust(&sc, 1); }
    if (synack_stack_new(&cc, &n->c) || synack_stack_new(&sc, &n->s)) return -1;
    n->sim = synack_sim_new(lc, 1000000);
    if (!n->sim || synack_sim_add(n->sim, n->c) || synack_sim_add(n->sim, n->s)) return -1;
    return 0;
}

void net_free(struct net *n)
{
    synack_sim_free(n->sim);
    synack_stack_free(n->c);
    synack_stack_free(n->s);
}

int net_run(struct net *n, synack_time_us us, int (*cond)(void *), void *ctx)
{
    return synack_sim_run(n->sim, synack_sim_now(n->sim) + us, cond, ctx);
}

const char *net_states(const struct net_trace *t, int conn, char *buf, size_t len)
{
    size_t off = 0;
    int first = 1;
    buf[0] = 0;
    for (int i = 0; i < t->n && off + 16 < len; i++) {
        if (t->tr[i].conn != conn) continue;
        if (first) { off += (size_t)snprintf(buf + off, len - off, "%s", synack_state_name(t->tr[i].from)); first = 0; }
        off += (size_t)snprintf(buf + off, len - off, " %s", synack_state_name(t->tr[i].to));
    }
    return buf;
}

int net_pools_empty(struct synack_stack *st)
{
    struct synack_mem_stats m;
    synack_mem_stats(st, &m);
    return m.sockets_in_use == 0 && m.buffers_in_use == 0 && m.timers_armed == 0;
}
