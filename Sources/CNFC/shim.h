#include <nfc/nfc.h>
#include <dlfcn.h>
#include <string.h>

/* libnfc is opened (dlopen) when the board file names an RFID reader, not linked: a charger
   without one loads nothing of it. The functions evsed calls: */
struct evsed_nfc {
    void (*initialize)(nfc_context **context);
    void (*exit)(nfc_context *context);
    nfc_device *(*open)(nfc_context *context, const char *connstring);
    void (*close)(nfc_device *device);
    int (*initiator_init)(nfc_device *device);
    int (*set_property_bool)(nfc_device *device, const nfc_property property, const bool enable);
    int (*select_passive_target)(nfc_device *device, const nfc_modulation modulation, const uint8_t *init, const size_t length,
                                 nfc_target *target);
    int (*deselect_target)(nfc_device *device);
    const char *(*strerror)(const nfc_device *device);
};

/* Opens libnfc.so.6 and fills `api`; 0 when the library or a function is missing (dlerror() says why). */
static inline int evsed_nfc_open(struct evsed_nfc *api) {
    void *library = dlopen("libnfc.so.6", RTLD_NOW | RTLD_LOCAL);
    if (!library) return 0;
    *(void **)&api->initialize = dlsym(library, "nfc_init");
    *(void **)&api->exit = dlsym(library, "nfc_exit");
    *(void **)&api->open = dlsym(library, "nfc_open");
    *(void **)&api->close = dlsym(library, "nfc_close");
    *(void **)&api->initiator_init = dlsym(library, "nfc_initiator_init");
    *(void **)&api->set_property_bool = dlsym(library, "nfc_device_set_property_bool");
    *(void **)&api->select_passive_target = dlsym(library, "nfc_initiator_select_passive_target");
    *(void **)&api->deselect_target = dlsym(library, "nfc_initiator_deselect_target");
    *(void **)&api->strerror = dlsym(library, "nfc_strerror");
    return api->initialize && api->exit && api->open && api->close && api->initiator_init && api->set_property_bool
        && api->select_passive_target && api->deselect_target && api->strerror;
}

/* ISO 14443A at 106 kbps, the cards a PN532 reads (a struct Swift builds awkwardly from C enums). */
static inline nfc_modulation evsed_nfc_iso14443a(void) {
    nfc_modulation modulation = { .nmt = NMT_ISO14443A, .nbr = NBR_106 };
    return modulation;
}

/* The UID of a type A target: copies up to 10 bytes into `uid`, returns its length. */
static inline size_t evsed_nfc_uid(const nfc_target *target, uint8_t uid[10]) {
    size_t length = target->nti.nai.szUidLen;
    if (length > 10) length = 10;
    memcpy(uid, target->nti.nai.abtUid, length);
    return length;
}
