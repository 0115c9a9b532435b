/**
 * @file sim.h
 * A virtual-time world: stacks joined by an in-memory link (link.h), advanced event by event.
 * Each step jumps to the earliest of the next packet arrival and every stack's
 * synack_poll_at(), delivers due packets, and polls due stacks (smoltcp netsim). Deterministic:
 * the same seed and the same calls give the same run.
 */
#ifndef SYNACK_SIM_H
#define SYNACK_SIM_H
#include "synack.h"
#include "link.h"

struct synack_sim;
/** A world with a link configured by lc (NULL: defaults), starting at time `start`. */
struct synack_sim *synack_sim_new(const struct synack_memlink_config *lc, synack_time_us start);
/** Frees the world and its link (not the stacks). */
void synack_sim_free(struct synack_sim *sim);
/** Attaches a stack at its configured address. Up to 64 stacks. */
int synack_sim_add(struct synack_sim *sim, struct synack_stack *st);
synack_time_us synack_sim_now(const struct synack_sim *sim);
struct synack_memlink *synack_sim_link(struct synack_sim *sim);
/** Polls every stack now (after socket calls) so that what they queued is sent. */
void synack_sim_flush(struct synack_sim *sim);
/** Processes the next event if it is due no later than `limit`; returns 1 if one was
 *  processed, 0 if none is due by then (time then stands at limit). */
int synack_sim_step(struct synack_sim *sim, synack_time_us limit);
/** Runs until cond(ctx) is true (checked after every event) or time reaches `until`.
 *  cond may be NULL (run until `until` or until nothing is pending). Returns 1 if cond held. */
int synack_sim_run(struct synack_sim *sim, synack_time_us until, int (*cond)(void *ctx), void *ctx);
#endif
