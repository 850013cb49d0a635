// cflags: -Wl,--strip-all
// A WAGI handler that answers after sleeping ?ms=N milliseconds (WASI poll_oneoff): a slow handler, e.g. to
// watch a route's queue fill up. Give it isolation = "worker": inline, a sleep blocks the server's main thread.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int main(void) {
  const char *q = getenv("QUERY_STRING");
  const char *ms = q ? strstr(q, "ms=") : NULL;
  long n = ms ? strtol(ms + 3, NULL, 10) : 100;
  struct timespec ts = {n / 1000, (n % 1000) * 1000000L};
  nanosleep(&ts, NULL);
  printf("content-type: text/plain\n\nslept %ld ms\n", n);
  return 0;
}
