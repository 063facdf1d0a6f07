#include <mosquitto.h>
#include <dlfcn.h>

/* libmosquitto is opened (dlopen) when an MQTT channel is configured, not linked (see CCurl's
   shim.h for why). The functions evsed calls: */
struct evsed_mosquitto {
    int (*lib_init)(void);
    struct mosquitto *(*create)(const char *id, bool clean_session, void *context);
    void (*destroy)(struct mosquitto *client);
    int (*username_pw_set)(struct mosquitto *client, const char *username, const char *password);
    int (*tls_set)(struct mosquitto *client, const char *cafile, const char *capath, const char *certfile, const char *keyfile,
                   int (*pw_callback)(char *buf, int size, int rwflag, void *userdata));
    int (*int_option)(struct mosquitto *client, enum mosq_opt_t option, int value);
    int (*connect)(struct mosquitto *client, const char *host, int port, int keepalive);
    int (*disconnect)(struct mosquitto *client);
    int (*publish)(struct mosquitto *client, int *mid, const char *topic, int payloadlen, const void *payload, int qos, bool retain);
    int (*loop)(struct mosquitto *client, int timeout, int max_packets);
    void (*connect_callback_set)(struct mosquitto *client, void (*on_connect)(struct mosquitto *, void *, int));
    void (*disconnect_callback_set)(struct mosquitto *client, void (*on_disconnect)(struct mosquitto *, void *, int));
    void (*publish_callback_set)(struct mosquitto *client, void (*on_publish)(struct mosquitto *, void *, int));
    const char *(*error_string)(int code);
    const char *(*connack_string)(int code);
    int (*will_set)(struct mosquitto *client, const char *topic, int payloadlen, const void *payload, int qos, bool retain);
    int (*subscribe)(struct mosquitto *client, int *mid, const char *pattern, int qos);
    void (*message_callback_set)(struct mosquitto *client, void (*on_message)(struct mosquitto *, void *, const struct mosquitto_message *));
};

/* Opens libmosquitto.so.1 and fills `api`; 0 when the library or a function is missing (dlerror() says why). */
static inline int evsed_mosquitto_open(struct evsed_mosquitto *api) {
    void *library = dlopen("libmosquitto.so.1", RTLD_NOW | RTLD_LOCAL);
    if (!library) return 0;
    *(void **)&api->lib_init = dlsym(library, "mosquitto_lib_init");
    *(void **)&api->create = dlsym(library, "mosquitto_new");
    *(void **)&api->destroy = dlsym(library, "mosquitto_destroy");
    *(void **)&api->username_pw_set = dlsym(library, "mosquitto_username_pw_set");
    *(void **)&api->tls_set = dlsym(library, "mosquitto_tls_set");
    *(void **)&api->int_option = dlsym(library, "mosquitto_int_option");
    *(void **)&api->connect = dlsym(library, "mosquitto_connect");
    *(void **)&api->disconnect = dlsym(library, "mosquitto_disconnect");
    *(void **)&api->publish = dlsym(library, "mosquitto_publish");
    *(void **)&api->loop = dlsym(library, "mosquitto_loop");
    *(void **)&api->connect_callback_set = dlsym(library, "mosquitto_connect_callback_set");
    *(void **)&api->disconnect_callback_set = dlsym(library, "mosquitto_disconnect_callback_set");
    *(void **)&api->publish_callback_set = dlsym(library, "mosquitto_publish_callback_set");
    *(void **)&api->error_string = dlsym(library, "mosquitto_strerror");
    *(void **)&api->connack_string = dlsym(library, "mosquitto_connack_string");
    *(void **)&api->will_set = dlsym(library, "mosquitto_will_set");
    *(void **)&api->subscribe = dlsym(library, "mosquitto_subscribe");
    *(void **)&api->message_callback_set = dlsym(library, "mosquitto_message_callback_set");
    return api->lib_init && api->create && api->destroy && api->username_pw_set && api->tls_set && api->int_option
        && api->connect && api->disconnect && api->publish && api->loop && api->connect_callback_set
        && api->disconnect_callback_set && api->publish_callback_set && api->error_string && api->connack_string
        && api->will_set && api->subscribe && api->message_callback_set;
}
