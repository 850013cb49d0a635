// Conformance guest: poll_oneoff with relative and absolute clocks, fd_read on stdin, fd_write on
// stdout, a regular file, bad fds, and nsubscriptions 0. Prints event types, userdata and errors,
// never times (only "slept at least N ms: yes").
#include <stdlib.h>
#include "check.h"

static __wasi_timestamp_t now_mono(void) {
  __wasi_timestamp_t t = 0;
  (void)__wasi_clock_time_get(__WASI_CLOCKID_MONOTONIC, 1, &t);
  return t;
}

static __wasi_subscription_t clock_sub(uint64_t ud, __wasi_clockid_t id, __wasi_timestamp_t timeout,
                                       __wasi_subclockflags_t flags) {
  __wasi_subscription_t s;
  memset(&s, 0, sizeof s);
  s.userdata = ud;
  s.u.tag = __WASI_EVENTTYPE_CLOCK;
  s.u.u.clock.id = id;
  s.u.u.clock.timeout = timeout;
  s.u.u.clock.precision = 0;
  s.u.u.clock.flags = flags;
  return s;
}

static __wasi_subscription_t fd_sub(uint64_t ud, __wasi_eventtype_t type, __wasi_fd_t fd) {
  __wasi_subscription_t s;
  memset(&s, 0, sizeof s);
  s.userdata = ud;
  s.u.tag = type;
  if (type == __WASI_EVENTTYPE_FD_READ) s.u.u.fd_read.file_descriptor = fd;
  else s.u.u.fd_write.file_descriptor = fd;
  return s;
}

static int cmp_ev(const void *a, const void *b) {
  uint64_t x = ((const __wasi_event_t *)a)->userdata, y = ((const __wasi_event_t *)b)->userdata;
  return x < y ? -1 : x > y;
}

static const char *evname(unsigned t) {
  return t == 0 ? "CLOCK" : t == 1 ? "FD_READ" : t == 2 ? "FD_WRITE" : "?";
}

/** Polls and prints the result and every event sorted by userdata (never nbytes or times). */
static void poll_show(const char *label, __wasi_subscription_t *subs, size_t n) {
  __wasi_event_t evs[8];
  memset(evs, 0xEE, sizeof evs);
  __wasi_size_t got = 12345;
  unsigned e = __wasi_poll_oneoff(subs, evs, n, &got);
  printf("poll_oneoff %s -> %s", label, ename(e));
  if (e) { putchar('\n'); return; }
  printf(", %lu event(s)\n", got);
  if (got > 8) return;
  qsort(evs, got, sizeof *evs, cmp_ev);
  for (size_t i = 0; i < got; i++)
    printf("  event userdata %llu type %s error %s\n", (unsigned long long)evs[i].userdata,
           evname(evs[i].type), ename(evs[i].error));
}

int main(void) {
  transcript_init();
  __wasi_subscription_t subs[4];
  __wasi_timestamp_t t0;

  {
    __wasi_event_t ev;
    __wasi_size_t got = 12345;
    check(__wasi_poll_oneoff(subs, &ev, 0, &got), "poll_oneoff nsubscriptions 0");
  }

  subs[0] = clock_sub(1, __WASI_CLOCKID_MONOTONIC, 5000000, 0);
  t0 = now_mono();
  poll_show("relative monotonic 5ms", subs, 1);
  SANE("  slept at least 5ms", now_mono() - t0 >= 5000000);

  subs[0] = clock_sub(2, __WASI_CLOCKID_MONOTONIC, now_mono() + 5000000, __WASI_SUBCLOCKFLAGS_SUBSCRIPTION_CLOCK_ABSTIME);
  t0 = now_mono();
  poll_show("absolute monotonic now+5ms", subs, 1);
  SANE("  returned after the deadline", now_mono() >= subs[0].u.u.clock.timeout);

  subs[0] = clock_sub(3, __WASI_CLOCKID_MONOTONIC, 1, __WASI_SUBCLOCKFLAGS_SUBSCRIPTION_CLOCK_ABSTIME);
  poll_show("absolute monotonic in the past", subs, 1);

  subs[0] = clock_sub(4, __WASI_CLOCKID_MONOTONIC, 0, 0);
  poll_show("relative timeout 0", subs, 1);

  {
    __wasi_timestamp_t rt = 0;
    (void)__wasi_clock_time_get(__WASI_CLOCKID_REALTIME, 1, &rt);
    subs[0] = clock_sub(5, __WASI_CLOCKID_REALTIME, 3000000, 0);
    poll_show("relative realtime 3ms", subs, 1);
    subs[0] = clock_sub(6, __WASI_CLOCKID_REALTIME, rt + 3000000, __WASI_SUBCLOCKFLAGS_SUBSCRIPTION_CLOCK_ABSTIME);
    poll_show("absolute realtime now+3ms", subs, 1);
  }

  subs[0] = clock_sub(7, __WASI_CLOCKID_PROCESS_CPUTIME_ID, 1000, 0);
  poll_show("relative process cputime", subs, 1);
  subs[0] = clock_sub(8, __WASI_CLOCKID_THREAD_CPUTIME_ID, 1000, 0);
  poll_show("relative thread cputime", subs, 1);

  subs[0] = clock_sub(10, __WASI_CLOCKID_MONOTONIC, 60000000000ULL, 0);
  subs[1] = clock_sub(11, __WASI_CLOCKID_MONOTONIC, 2000000, 0);
  poll_show("clocks 60s and 2ms", subs, 2);

  subs[0] = fd_sub(20, __WASI_EVENTTYPE_FD_READ, 0);
  subs[1] = clock_sub(21, __WASI_CLOCKID_MONOTONIC, 60000000000ULL, 0);
  poll_show("fd_read stdin (has data) + clock 60s", subs, 2);

  subs[0] = fd_sub(30, __WASI_EVENTTYPE_FD_WRITE, 1);
  subs[1] = clock_sub(31, __WASI_CLOCKID_MONOTONIC, 60000000000ULL, 0);
  poll_show("fd_write stdout + clock 60s", subs, 2);

  subs[0] = fd_sub(40, __WASI_EVENTTYPE_FD_WRITE, 2);
  poll_show("fd_write stderr", subs, 1);

  {
    __wasi_fd_t f;
    check(make_file(SANDBOX_FD, "pollfile", "0123456789"), "make pollfile");
    check(open_at(SANDBOX_FD, "pollfile", 0, 0, RIGHTS_ALL, 0, &f), "path_open pollfile");
    /* One subscription per call: with both at once, wasmtime may report only the first one ready. */
    subs[0] = fd_sub(50, __WASI_EVENTTYPE_FD_READ, f);
    poll_show("fd_read on a regular file", subs, 1);
    subs[0] = fd_sub(51, __WASI_EVENTTYPE_FD_WRITE, f);
    poll_show("fd_write on a regular file", subs, 1);
    subs[0] = fd_sub(52, __WASI_EVENTTYPE_FD_READ, SANDBOX_FD);
    poll_show("fd_read on a directory", subs, 1);
    (void)__wasi_fd_close(f);
  }

  subs[0] = fd_sub(60, __WASI_EVENTTYPE_FD_READ, BAD_FD);
  poll_show("fd_read on a bad fd", subs, 1);
  subs[0] = fd_sub(61, __WASI_EVENTTYPE_FD_WRITE, BAD_FD);
  subs[1] = clock_sub(62, __WASI_CLOCKID_MONOTONIC, 0, 0);
  poll_show("fd_write on a bad fd + clock 0", subs, 2);

  {
    /* stdin at EOF: read everything first, then poll again: still ready (EOF is readable). */
    char buf[256];
    __wasi_iovec_t iov = {(uint8_t *)buf, sizeof buf};
    __wasi_size_t n = 0, total = 0;
    while (!__wasi_fd_read(0, &iov, 1, &n) && n > 0) total += n;
    printf("read all of stdin: %lu bytes\n", total);
    subs[0] = fd_sub(70, __WASI_EVENTTYPE_FD_READ, 0);
    subs[1] = clock_sub(71, __WASI_CLOCKID_MONOTONIC, 60000000000ULL, 0);
    poll_show("fd_read stdin at EOF + clock 60s", subs, 2);
  }
  return 0;
}
