// Adversarial guest: sleeps for an hour (poll_oneoff), longer than any deadline.
#include <unistd.h>
int main(void) {
  sleep(3600);
  return 0;
}
