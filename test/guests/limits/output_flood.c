// Adversarial guest: writes to stdout forever (stopped by the output cap).
#include <stdio.h>
int main(void) {
  for (;;) fputs("flood flood flood flood flood flood flood flood flood flood\n", stdout);
}
