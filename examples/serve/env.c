// cflags: -Wl,--strip-all
// A WAGI handler that prints every environment variable it was given (one NAME=value per line, sorted by
// the host's order), and its arguments: shows the CGI/1.1 variables Warden sets for each request.
#include <stdio.h>

extern char **environ;

int main(int argc, char **argv) {
  printf("content-type: text/plain; charset=utf-8\n\n");
  for (char **e = environ; *e; e++) printf("%s\n", *e);
  for (int i = 0; i < argc; i++) printf("ARG%d=%s\n", i, argv[i]);
  return 0;
}
