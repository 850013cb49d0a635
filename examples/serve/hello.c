// cflags: -Wl,--strip-all
// A WAGI handler: the smallest response (a header block, a blank line, a body), written in one write().
#include <string.h>
#include <unistd.h>

int main(void) {
  static const char response[] = "content-type: text/plain\n\nhello, world\n";
  write(1, response, sizeof response - 1);
  return 0;
}
