#include <curl/curl.h>
#include <dlfcn.h>

/* libcurl is opened (dlopen) when the first alert channel needs it, not linked: with what it
   pulls in (TLS, SSH, LDAP, Kerberos, RTMP) it holds about 5.6 MB resident, which a charger
   without email, webhooks or an SMS gateway should not pay. The functions evsed calls: */
struct evsed_curl {
    CURLcode (*global_init)(long flags);
    CURL *(*easy_init)(void);
    CURLcode (*easy_setopt)(CURL *handle, CURLoption option, ...);
    CURLcode (*easy_perform)(CURL *handle);
    void (*easy_cleanup)(CURL *handle);
    CURLcode (*easy_getinfo)(CURL *handle, CURLINFO info, ...);
    const char *(*easy_strerror)(CURLcode code);
    struct curl_slist *(*slist_append)(struct curl_slist *list, const char *string);
    void (*slist_free_all)(struct curl_slist *list);
};

/* Opens libcurl.so.4 and fills `api`; 0 when the library or a function is missing (dlerror() says why). */
static inline int evsed_curl_open(struct evsed_curl *api) {
    void *library = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
    if (!library) return 0;
    api->global_init = (CURLcode (*)(long))dlsym(library, "curl_global_init");
    api->easy_init = (CURL *(*)(void))dlsym(library, "curl_easy_init");
    api->easy_setopt = (CURLcode (*)(CURL *, CURLoption, ...))dlsym(library, "curl_easy_setopt");
    api->easy_perform = (CURLcode (*)(CURL *))dlsym(library, "curl_easy_perform");
    api->easy_cleanup = (void (*)(CURL *))dlsym(library, "curl_easy_cleanup");
    api->easy_getinfo = (CURLcode (*)(CURL *, CURLINFO, ...))dlsym(library, "curl_easy_getinfo");
    api->easy_strerror = (const char *(*)(CURLcode))dlsym(library, "curl_easy_strerror");
    api->slist_append = (struct curl_slist *(*)(struct curl_slist *, const char *))dlsym(library, "curl_slist_append");
    api->slist_free_all = (void (*)(struct curl_slist *))dlsym(library, "curl_slist_free_all");
    return api->global_init && api->easy_init && api->easy_setopt && api->easy_perform && api->easy_cleanup
        && api->easy_getinfo && api->easy_strerror && api->slist_append && api->slist_free_all;
}

/* curl_easy_setopt and curl_easy_getinfo are variadic, which Swift cannot call: one typed door per argument kind. */
static inline CURLcode evsed_curl_set_long(const struct evsed_curl *api, CURL *handle, CURLoption option, long value) { return api->easy_setopt(handle, option, value); }
static inline CURLcode evsed_curl_set_pointer(const struct evsed_curl *api, CURL *handle, CURLoption option, const void *value) { return api->easy_setopt(handle, option, value); }
static inline CURLcode evsed_curl_set_function(const struct evsed_curl *api, CURL *handle, CURLoption option, size_t (*value)(char *, size_t, size_t, void *)) { return api->easy_setopt(handle, option, value); }
static inline CURLcode evsed_curl_get_long(const struct evsed_curl *api, CURL *handle, CURLINFO info, long *value) { return api->easy_getinfo(handle, info, value); }
