// cflags: -Wl,--strip-all
// A WAGI handler that echoes the request: method, path, query, arguments and the body (read from stdin).
// The body is sent back byte for byte after the line "body:" (binary safe).
#include <stdio.h>
#include <stdlib.h>

static const char *var(const char *name) {
  const char *v = getenv(name);
  return v ? v : "";
}

int main(int argc, char **argv) {
  printf("content-type: application/octet-stream\n");
  printf("x-echo-method: %s\n\n", var("REQUEST_METHOD"));
  printf("method: %s\npath: %s\nquery: %s\ncontent-type: %s\ncontent-length: %s\n", var("REQUEST_METHOD"), var("PATH_INFO"),
         var("QUERY_STRING"), var("CONTENT_TYPE"), var("CONTENT_LENGTH"));
  for (int i = 0; i < argc; i++) printf("arg[%d]: %s\n", i, argv[i]);
  printf("body:");
  fflush(stdout);
  char buf[65536];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, stdin)) > 0) fwrite(buf, 1, n, stdout);
  return 0;
}
