// Conformance guest: one call with an out-of-range enum or flag value, chosen by argv[1].
// wasmtime traps on these (wiggle refuses to decode the value); each runs as its own case.
#include <stdlib.h>
#include "check.h"

static unsigned run(const char *which) {
  __wasi_filesize_t pos;
  __wasi_timestamp_t ts;
  __wasi_fd_t fd;
  __wasi_size_t n;
  __wasi_filestat_t st;
  __wasi_subscription_t sub;
  __wasi_event_t ev;
  memset(&sub, 0, sizeof sub);
  if (!strcmp(which, "seek-whence")) return __wasi_fd_seek(SANDBOX_FD, 0, 3, &pos);
  if (!strcmp(which, "advise-advice")) return __wasi_fd_advise(0, 0, 0, 6);
  if (!strcmp(which, "clock-time-id")) return __wasi_clock_time_get(4, 1, &ts);
  if (!strcmp(which, "clock-res-id")) return __wasi_clock_res_get(4, &ts);
  if (!strcmp(which, "set-times-flags"))
    return __wasi_fd_filestat_set_times(SANDBOX_FD, 0, 0, 0x10);
  if (!strcmp(which, "fdflags")) return __wasi_fd_fdstat_set_flags(1, 0x20);
  if (!strcmp(which, "open-oflags"))
    return __wasi_path_open(SANDBOX_FD, 0, "x", 0x10, RIGHTS_ALL, RIGHTS_ALL, 0, &fd);
  if (!strcmp(which, "open-lookupflags"))
    return __wasi_path_open(SANDBOX_FD, 0x2, "x", 0, RIGHTS_ALL, RIGHTS_ALL, 0, &fd);
  if (!strcmp(which, "open-fdflags"))
    return __wasi_path_open(SANDBOX_FD, 0, "x", 0, RIGHTS_ALL, RIGHTS_ALL, 0x20, &fd);
  if (!strcmp(which, "open-rights"))
    return __wasi_path_open(SANDBOX_FD, 0, "x", __WASI_OFLAGS_CREAT, ~0ULL, ~0ULL, 0, &fd);
  if (!strcmp(which, "stat-lookupflags"))
    return __wasi_path_filestat_get(SANDBOX_FD, 0x2, ".", &st);
  if (!strcmp(which, "poll-eventtype")) {
    sub.u.tag = 3;
    return __wasi_poll_oneoff(&sub, &ev, 1, &n);
  }
  if (!strcmp(which, "poll-clock-id")) {
    sub.u.tag = __WASI_EVENTTYPE_CLOCK;
    sub.u.u.clock.id = 9;
    return __wasi_poll_oneoff(&sub, &ev, 1, &n);
  }
  if (!strcmp(which, "poll-clock-flags")) {
    sub.u.tag = __WASI_EVENTTYPE_CLOCK;
    sub.u.u.clock.id = __WASI_CLOCKID_MONOTONIC;
    sub.u.u.clock.flags = 0x2;
    return __wasi_poll_oneoff(&sub, &ev, 1, &n);
  }
  if (!strcmp(which, "shutdown-how")) return __wasi_sock_shutdown(0, 4);
  if (!strcmp(which, "recv-flags")) {
    char b[4];
    __wasi_iovec_t iov = {(uint8_t *)b, 4};
    __wasi_roflags_t ro;
    return __wasi_sock_recv(0, &iov, 1, 0x4, &n, &ro);
  }
  printf("unknown case %s\n", which);
  exit(2);
}

int main(int argc, char **argv) {
  transcript_init();
  if (argc < 2) return 2;
  unsigned e = run(argv[1]);
  check(e, "%s", argv[1]);
  return 0;
}
