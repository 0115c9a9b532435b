/* Monotonic clock for synack (include/synack/platform.h): CLOCK_MONOTONIC in microseconds. */
#include <time.h>
#include "synack/platform.h"

synack_time_us synack_platform_now_us(void)
{
    struct timespec ts;
    /* CLOCK_MONOTONIC cannot fail on Linux with a valid pointer (clock_gettime(2)). */
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (synack_time_us)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}
