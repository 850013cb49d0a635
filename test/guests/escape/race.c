// cflags: -Wl,--strip-all
// Adversarial guest for the concurrency test: while the host keeps swapping sandbox/swap between a
// real directory and a symlink to the outside directory (and sandbox/swapf between a file and a
// symlink to the outside secret), open through them over and over; it must never reach outside.
// Usage: race.wasm ITERATIONS. Prints one "NAME: refused errno=0 ..." or "NAME: ESCAPED ..." line per kind.
#include "harness.h"

typedef struct {
  const char *name;
  const char *path;
  int lookup;
  int oflags;
  int inside, refused, first_errno;
  char escaped_note[300];
} race_t;

static race_t RACES[] = {
    {"race_open_through_swapped_dir", "swap/secret.txt", 0, 0},
    {"race_open_through_swapped_dir_follow", "swap/secret.txt", FOLLOW, 0},
    {"race_open_swapped_final_follow", "swapf", FOLLOW, 0},
    {"race_create_through_swapped_dir", "swap/created.txt", 0, __WASI_OFLAGS_CREAT},
    {"race_climb_through_swapped_dir", "swap/../swap/secret.txt", FOLLOW, 0},
};

int main(int argc, char **argv) {
  int sb = find_preopen("/sandbox");
  long iterations = argc > 1 ? atol(argv[1]) : 1000;
  if (sb < 0) {
    fprintf(stderr, "setup: preopen /sandbox missing\n");
    return 3;
  }
  int escapes = 0;
  for (long i = 0; i < iterations; i++) {
    for (unsigned k = 0; k < sizeof RACES / sizeof RACES[0]; k++) {
      race_t *r = &RACES[k];
      int32_t fd = -1;
      int e = raw_path_open(sb, r->lookup, P(r->path), L(r->path), r->oflags, R_READ | R_WRITE, R_READ | R_WRITE, 0, P(&fd));
      if (e) {
        r->refused++;
        if (!r->first_errno) r->first_errno = e;
        continue;
      }
      char buf[128];
      read_all(fd, buf, sizeof buf);
      closefd(fd);
      // Inside files hold "inside-swap" (or are the empty file this guest created inside).
      if (strstr(buf, "SECRET") || (buf[0] && strncmp(buf, "inside-swap", 11) != 0)) {
        if (!r->escaped_note[0]) snprintf(r->escaped_note, sizeof r->escaped_note, "iteration %ld read \"%.100s\"", i, buf);
        escapes++;
      } else {
        r->inside++;
      }
      if (r->oflags & __WASI_OFLAGS_CREAT) (void)raw_path_unlink_file(sb, P(r->path), L(r->path));
    }
  }
  for (unsigned k = 0; k < sizeof RACES / sizeof RACES[0]; k++) {
    race_t *r = &RACES[k];
    if (r->escaped_note[0])
      printf("%s: ESCAPED %s\n", r->name, r->escaped_note);
    else
      printf("%s: refused errno=0 inside=%d refused=%d first_errno=%d\n", r->name, r->inside, r->refused, r->first_errno);
  }
  return escapes ? 1 : 0;
}
