// cflags: -Wl,--strip-all
// A WAGI handler that never answers: an endless loop. The route's fuel or timeout ends it (500 or 504);
// with isolation = "worker" it spins on a worker thread and the server's other routes stay responsive.
#include <stdio.h>

volatile unsigned long counter;

int main(void) {
  for (;;) counter++;
  return 0;
}
