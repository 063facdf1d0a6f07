#include <curl/curl.h>

/* curl_easy_setopt is variadic, which Swift cannot call: one typed door per argument kind. */
static inline CURLcode evsed_curl_set_long(CURL *handle, CURLoption option, long value) { return curl_easy_setopt(handle, option, value); }
static inline CURLcode evsed_curl_set_pointer(CURL *handle, CURLoption option, const void *value) { return curl_easy_setopt(handle, option, value); }
static inline CURLcode evsed_curl_set_function(CURL *handle, CURLoption option, size_t (*value)(char *, size_t, size_t, void *)) { return curl_easy_setopt(handle, option, value); }
static inline CURLcode evsed_curl_get_long(CURL *handle, CURLINFO info, long *value) { return curl_easy_getinfo(handle, info, value); }
