// Adversarial guest: a tight loop that never ends (stopped by fuel or the deadline).
int main(void) {
  volatile unsigned x = 0;
  for (;;) x++;
}
