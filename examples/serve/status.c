// cflags: -Wl,--strip-all
// A WAGI handler that answers with the status, location or content type asked for in its query string
// (the CGI response headers): ?status=404, ?location=/elsewhere (302), ?stderr=text (written to stderr, which
// goes to the server log, never to the client), ?raw=text (written as is, without a header block: a 500).
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

// The value of `key` in QUERY_STRING (up to '&'), copied into out; NULL if absent. No percent-decoding.
static const char *param(const char *key, char *out, size_t size) {
  const char *q = getenv("QUERY_STRING");
  size_t klen = strlen(key);
  while (q && *q) {
    if (strncmp(q, key, klen) == 0 && q[klen] == '=') {
      const char *v = q + klen + 1;
      size_t n = strcspn(v, "&");
      if (n >= size) n = size - 1;
      memcpy(out, v, n);
      out[n] = 0;
      return out;
    }
    q = strchr(q, '&');
    if (q) q++;
  }
  return NULL;
}

int main(void) {
  char status[64], location[256], err[256], raw[256];
  if (param("stderr", err, sizeof err)) fprintf(stderr, "%s\n", err);
  if (param("raw", raw, sizeof raw)) {
    printf("%s", raw);
    return 0;
  }
  int has_status = param("status", status, sizeof status) != NULL;
  int has_location = param("location", location, sizeof location) != NULL;
  if (has_status) printf("status: %s\n", status);
  if (has_location) printf("location: %s\n", location);
  printf("content-type: text/plain\n\n");
  printf("status %s\n", has_status ? status : has_location ? "302" : "200");
  return 0;
}
