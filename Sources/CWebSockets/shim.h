#include <libwebsockets.h>
#include <dlfcn.h>

/* libwebsockets is opened (dlopen) when an [ocpp] table asks for a central system, not linked:
   with OpenSSL it holds about 5 MB resident, which a charger without OCPP should not pay. The
   functions evsed calls: */
struct evsed_lws {
    void (*set_log_level)(int level, void (*emit)(int level, const char *line));
    struct lws_context *(*create_context)(const struct lws_context_creation_info *info);
    void (*context_destroy)(struct lws_context *context);
    void *(*context_user)(struct lws_context *context);
    struct lws_context *(*get_context)(const struct lws *wsi);
    struct lws *(*client_connect_via_info)(const struct lws_client_connect_info *info);
    int (*service)(struct lws_context *context, int timeout_ms);
    void (*cancel_service)(struct lws_context *context);
    int (*callback_on_writable)(struct lws *wsi);
    int (*write)(struct lws *wsi, unsigned char *buf, size_t len, enum lws_write_protocol protocol);
    int (*add_http_header_by_token)(struct lws *wsi, enum lws_token_indexes token, const unsigned char *value, int length,
                                    unsigned char **p, unsigned char *end);
    int (*is_final_fragment)(struct lws *wsi);
    size_t (*remaining_packet_payload)(struct lws *wsi);
    void (*close_reason)(struct lws *wsi, enum lws_close_status status, unsigned char *buf, size_t len);
    void (*sul_schedule)(struct lws_context *context, int tsi, lws_sorted_usec_list_t *sul, sul_cb_t cb, lws_usec_t us);
};

/* A timer of libwebsockets' scheduler (a "sul") that knows its owner: the callback gets the sul's
   address only, which is the address of this struct. */
struct evsed_lws_timer {
    lws_sorted_usec_list_t sul;
    void *owner;
};

/* The room lws_write needs before a message's bytes (a macro Swift cannot see). */
static inline size_t evsed_lws_pre(void) { return LWS_PRE; }

/* Opens libwebsockets.so.17 and fills `api`; 0 when the library or a function is missing (dlerror() says why). */
static inline int evsed_lws_open(struct evsed_lws *api) {
    void *library = dlopen("libwebsockets.so.17", RTLD_NOW | RTLD_LOCAL);
    if (!library) return 0;
    *(void **)&api->set_log_level = dlsym(library, "lws_set_log_level");
    *(void **)&api->create_context = dlsym(library, "lws_create_context");
    *(void **)&api->context_destroy = dlsym(library, "lws_context_destroy");
    *(void **)&api->context_user = dlsym(library, "lws_context_user");
    *(void **)&api->get_context = dlsym(library, "lws_get_context");
    *(void **)&api->client_connect_via_info = dlsym(library, "lws_client_connect_via_info");
    *(void **)&api->service = dlsym(library, "lws_service");
    *(void **)&api->cancel_service = dlsym(library, "lws_cancel_service");
    *(void **)&api->callback_on_writable = dlsym(library, "lws_callback_on_writable");
    *(void **)&api->write = dlsym(library, "lws_write");
    *(void **)&api->add_http_header_by_token = dlsym(library, "lws_add_http_header_by_token");
    *(void **)&api->is_final_fragment = dlsym(library, "lws_is_final_fragment");
    *(void **)&api->remaining_packet_payload = dlsym(library, "lws_remaining_packet_payload");
    *(void **)&api->close_reason = dlsym(library, "lws_close_reason");
    *(void **)&api->sul_schedule = dlsym(library, "lws_sul_schedule");
    return api->set_log_level && api->create_context && api->context_destroy && api->context_user && api->get_context
        && api->client_connect_via_info && api->service && api->cancel_service && api->callback_on_writable && api->write
        && api->add_http_header_by_token && api->is_final_fragment && api->remaining_packet_payload && api->close_reason
        && api->sul_schedule;
}
