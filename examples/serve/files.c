// cflags: -Wl,--strip-all
// A WAGI handler serving the preopened directory /data: GET /files/NAME answers the file (404 if missing),
// PUT /files/NAME stores the request body in it (403 when the route's dir is read-only, the default).
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void status(int code, const char *text) {
  printf("status: %d\ncontent-type: text/plain\n\n%s\n", code, text);
}

int main(void) {
  const char *method = getenv("REQUEST_METHOD");
  const char *name = getenv("PATH_INFO");
  char path[1024];
  if (!name || name[0] != '/' || name[1] == 0 || strstr(name, "..")) {
    status(400, "expected /files/NAME");
    return 0;
  }
  snprintf(path, sizeof path, "/data%s", name);
  char buf[65536];
  size_t n;
  if (method && strcmp(method, "PUT") == 0) {
    FILE *f = fopen(path, "wb");
    if (!f) {
      status(errno == EROFS || errno == EACCES || errno == EPERM || errno == ENOTCAPABLE ? 403 : 500, strerror(errno));
      return 0;
    }
    while ((n = fread(buf, 1, sizeof buf, stdin)) > 0) fwrite(buf, 1, n, f);
    fclose(f);
    status(201, "stored");
    return 0;
  }
  FILE *f = fopen(path, "rb");
  if (!f) {
    status(errno == ENOENT ? 404 : 500, strerror(errno));
    return 0;
  }
  printf("content-type: application/octet-stream\n\n");
  while ((n = fread(buf, 1, sizeof buf, f)) > 0) fwrite(buf, 1, n, stdout);
  fclose(f);
  return 0;
}
