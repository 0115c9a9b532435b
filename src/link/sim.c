/* The virtual-time world of sim.h: stacks on an in-memory link, stepped by next event. */
#include <stdlib.h>
#include "synack/sim.h"
#include "core/stack.h"

#define SIM_MAX 64
struct synack_sim {
    struct synack_memlink *link;
    struct synack_stack *stacks[SIM_MAX];
    int n;
    synack_time_us now;
};

static void sim_input(void *ctx, synack_time_us now, const uint8_t *pkt, size_t len)
{
    synack_input((struct synack_stack *)ctx, now, pkt, len);
}

static void sim_emit(void *ctx, const uint8_t *pkt, size_t len)
{
    struct synack_sim *sim = ctx;
    synack_memlink_send(sim->link, sim->now, pkt, len);
}

struct synack_sim *synack_sim_new(const struct synack_memlink_config *lc, synack_time_us start)
{
    struct synack_memlink_config def;
    struct synack_sim *sim = calloc(1, sizeof *sim);
    if (!sim) return NULL;
    if (!lc) { synack_memlink_config_default(&def); lc = &def; }
    sim->link = synack_memlink_new(lc);
    if (!sim->link) { free(sim); return NULL; }
    sim->now = start;
    return sim;
}

void synack_sim_free(struct synack_sim *sim)
{
    if (!sim) return;
    synack_memlink_free(sim->link);
    free(sim);
}

int synack_sim_add(struct synack_sim *sim, struct synack_stack *st)
{
    if (sim->n == SIM_MAX) return -1;
    if (synack_memlink_attach(sim->link, st->cfg.addr, sim_input, st) < 0) return -1;
    sim->stacks[sim->n++] = st;
    synack_set_now(st, sim->now);
    return 0;
}

synack_time_us synack_sim_now(const struct synack_sim *sim) { return sim->now; }
struct synack_memlink *synack_sim_link(struct synack_sim *sim) { return sim->link; }

void synack_sim_flush(struct synack_sim *sim)
{
    for (int i = 0; i < sim->n; i++) synack_poll(sim->stacks[i], sim->now, sim_emit, sim);
}

int synack_sim_step(struct synack_sim *sim, synack_time_us limit)
{
    synack_time_us t = synack_memlink_next(sim->link);
    for (int i = 0; i < sim->n; i++) {
        synack_time_us p = synack_poll_at(sim->stacks[i]);
        if (p < t) t = p;
    }
    if (t > limit) {
        if (limit > sim->now && limit != SYNACK_TIME_NEVER) sim->now = limit;
        return 0;
    }
    if (t > sim->now) sim->now = t;
    synack_memlink_deliver(sim->link, sim->now);
    for (int i = 0; i < sim->n; i++)
        if (synack_poll_at(sim->stacks[i]) <= sim->now)
            synack_poll(sim->stacks[i], sim->now, sim_emit, sim);
    return 1;
}

int synack_sim_run(struct synack_sim *sim, synack_time_us until, int (*cond)(void *), void *ctx)
{
    synack_sim_flush(sim);
    for (;;) {
        if (cond && cond(ctx)) return 1;
        if (!synack_sim_step(sim, until)) return cond ? cond(ctx) : 0;
    }
}
