#include <microhttpd.h>
#include <dlfcn.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

/* libmicrohttpd is opened (dlopen) when the board file asks for the owner's page, not linked: a
   charger without the page loads nothing of it. The functions evsed calls: */
struct evsed_mhd {
    struct MHD_Daemon *(*start_daemon)(unsigned int flags, uint16_t port, MHD_AcceptPolicyCallback apc, void *apc_cls,
                                       MHD_AccessHandlerCallback dh, void *dh_cls, ...);
    void (*stop_daemon)(struct MHD_Daemon *daemon);
    struct MHD_Response *(*create_response_from_buffer)(size_t size, void *buffer, enum MHD_ResponseMemoryMode mode);
    struct MHD_Response *(*create_response_from_callback)(uint64_t size, size_t block_size, MHD_ContentReaderCallback crc, void *crc_cls,
                                                          MHD_ContentReaderFreeCallback crfc);
    enum MHD_Result (*add_response_header)(struct MHD_Response *response, const char *header, const char *content);
    enum MHD_Result (*queue_response)(struct MHD_Connection *connection, unsigned int status_code, struct MHD_Response *response);
    void (*destroy_response)(struct MHD_Response *response);
    const char *(*lookup_connection_value)(struct MHD_Connection *connection, enum MHD_ValueKind kind, const char *key);
    const union MHD_ConnectionInfo *(*get_connection_info)(struct MHD_Connection *connection, enum MHD_ConnectionInfoType info_type, ...);
};

/* Opens libmicrohttpd.so.12 and fills `api`; 0 when the library or a function is missing (dlerror() says why). */
static inline int evsed_mhd_open(struct evsed_mhd *api) {
    void *library = dlopen("libmicrohttpd.so.12", RTLD_NOW | RTLD_LOCAL);
    if (!library) return 0;
    *(void **)&api->start_daemon = dlsym(library, "MHD_start_daemon");
    *(void **)&api->stop_daemon = dlsym(library, "MHD_stop_daemon");
    *(void **)&api->create_response_from_buffer = dlsym(library, "MHD_create_response_from_buffer");
    *(void **)&api->create_response_from_callback = dlsym(library, "MHD_create_response_from_callback");
    *(void **)&api->add_response_header = dlsym(library, "MHD_add_response_header");
    *(void **)&api->queue_response = dlsym(library, "MHD_queue_response");
    *(void **)&api->destroy_response = dlsym(library, "MHD_destroy_response");
    *(void **)&api->lookup_connection_value = dlsym(library, "MHD_lookup_connection_value");
    *(void **)&api->get_connection_info = dlsym(library, "MHD_get_connection_info");
    return api->start_daemon && api->stop_daemon && api->create_response_from_buffer && api->create_response_from_callback
        && api->add_response_header && api->queue_response && api->destroy_response && api->lookup_connection_value
        && api->get_connection_info;
}

/* Starts a daemon with a thread per connection on the IPv4 `address`:`port` (network byte order
   taken care of here): at most `limit` connections, idle ones closed after `timeout` seconds;
   with `key` and `certificate` (PEM text) it speaks TLS. A typed door to the variadic call. */
static inline struct MHD_Daemon *evsed_mhd_start(const struct evsed_mhd *api, const char *address, uint16_t port,
                                                 MHD_AccessHandlerCallback handler, void *context, unsigned int limit,
                                                 unsigned int timeout, const char *key, const char *certificate) {
    static struct sockaddr_in where;
    memset(&where, 0, sizeof where);
    where.sin_family = AF_INET;
    where.sin_port = htons(port);
    if (inet_pton(AF_INET, address, &where.sin_addr) != 1) return NULL;
    unsigned int flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD;
    if (key && certificate) {
        return api->start_daemon(flags | MHD_USE_TLS, port, NULL, NULL, handler, context,
                                 MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&where, MHD_OPTION_CONNECTION_LIMIT, limit,
                                 MHD_OPTION_CONNECTION_TIMEOUT, timeout, MHD_OPTION_HTTPS_MEM_KEY, key,
                                 MHD_OPTION_HTTPS_MEM_CERT, certificate, MHD_OPTION_END);
    }
    return api->start_daemon(flags, port, NULL, NULL, handler, context, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&where,
                             MHD_OPTION_CONNECTION_LIMIT, limit, MHD_OPTION_CONNECTION_TIMEOUT, timeout, MHD_OPTION_END);
}

/* The client's IPv4 or IPv6 address as text into `text` (at least INET6_ADDRSTRLEN bytes); "" when unknown. */
static inline void evsed_mhd_client(const struct evsed_mhd *api, struct MHD_Connection *connection, char *text, size_t size) {
    text[0] = 0;
    const union MHD_ConnectionInfo *info = api->get_connection_info(connection, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    if (!info || !info->client_addr) return;
    if (info->client_addr->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)info->client_addr)->sin_addr, text, size);
    else if (info->client_addr->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)info->client_addr)->sin6_addr, text, size);
}
