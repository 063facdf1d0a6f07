#include <sqlite3.h>

/// sqlite3_db_config is variadic, which Swift cannot call: this is the one option evsed sets.
/// With it, closing a reader's connection never checkpoints the WAL into the database, so a
/// reader (ledger list, show, export, verify) leaves the files as it found them.
static inline int evsed_sqlite3_no_checkpoint_on_close(sqlite3 *db) {
    return sqlite3_db_config(db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, (int *)0);
}
