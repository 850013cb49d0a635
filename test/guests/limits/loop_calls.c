// Adversarial guest: an endless loop whose work is in a called function.
__attribute__((noinline)) static unsigned step(unsigned x) { return x * 1103515245u + 12345u; }
int main(void) {
  volatile unsigned x = 1;
  for (;;) x = step(x);
}
