// Conformance guest: clock_res_get/clock_time_get for every clock id, random_get of several
// lengths, sched_yield. Prints only sanity checks, never times or random bytes.
#include <stdlib.h>
#include <time.h>
#include "check.h"

int main(void) {
  transcript_init();
  const char *names[] = {"REALTIME", "MONOTONIC", "PROCESS_CPUTIME_ID", "THREAD_CPUTIME_ID"};
  for (__wasi_clockid_t id = 0; id < 4; id++) {
    __wasi_timestamp_t res = 0, t1 = 0, t2 = 0;
    if (!check(__wasi_clock_res_get(id, &res), "clock_res_get %s", names[id]))
      SANE("  resolution between 1ns and 1s", res >= 1 && res <= 1000000000ULL);
    unsigned e1 = __wasi_clock_time_get(id, 1, &t1);
    check(e1, "clock_time_get %s precision 1", names[id]);
    unsigned e2 = __wasi_clock_time_get(id, 1000000, &t2);
    check(e2, "clock_time_get %s precision 1ms", names[id]);
    if (!e1 && !e2) SANE("  does not go backwards", t2 >= t1);
    __wasi_timestamp_t t3 = 0;
    check(__wasi_clock_time_get(id, 0, &t3), "clock_time_get %s precision 0", names[id]);
    check(__wasi_clock_time_get(id, ~0ULL, &t3), "clock_time_get %s precision max", names[id]);
  }
  {
    __wasi_timestamp_t rt = 0, m1 = 0, m2 = 0;
    (void)__wasi_clock_time_get(__WASI_CLOCKID_REALTIME, 1, &rt);
    SANE("realtime is after 2020", rt > 1577836800000000000ULL);
    SANE("realtime is before 2100", rt < 4102444800000000000ULL);
    (void)__wasi_clock_time_get(__WASI_CLOCKID_MONOTONIC, 1, &m1);
    (void)__wasi_sched_yield();
    (void)__wasi_clock_time_get(__WASI_CLOCKID_MONOTONIC, 1, &m2);
    SANE("monotonic increases or stays", m2 >= m1);
    struct timespec ts;
    SANE("libc clock_gettime(CLOCK_REALTIME) works", clock_gettime(CLOCK_REALTIME, &ts) == 0 && ts.tv_sec > 1577836800);
    SANE("libc clock_gettime(CLOCK_MONOTONIC) works", clock_gettime(CLOCK_MONOTONIC, &ts) == 0);
    SANE("libc time() after 2020", time(NULL) > 1577836800);
  }

  const __wasi_size_t lens[] = {0, 1, 16, 256, 65536};
  static uint8_t buf[65536 + 16];
  for (size_t i = 0; i < sizeof lens / sizeof *lens; i++) {
    memset(buf, 0, sizeof buf);
    buf[lens[i]] = 0x5A;
    check(__wasi_random_get(buf, lens[i]), "random_get %lu bytes", lens[i]);
    SANE("  no write past the end", buf[lens[i]] == 0x5A);
    if (lens[i] >= 16) {
      int nonzero = 0;
      for (size_t k = 0; k < lens[i]; k++) nonzero |= buf[k];
      SANE("  not all zero", nonzero);
    }
  }
  {
    uint8_t a[32], b[32];
    (void)__wasi_random_get(a, 32);
    (void)__wasi_random_get(b, 32);
    SANE("two random_get calls differ", memcmp(a, b, 32) != 0);
    SANE("libc arc4random works", arc4random() != arc4random() || arc4random() != arc4random());
  }
  for (int i = 0; i < 3; i++) check(__wasi_sched_yield(), "sched_yield #%d", i + 1);
  return 0;
}
