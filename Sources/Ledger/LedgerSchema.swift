/// The ledger's tables, one migration per schema version. A version, once released, never
/// changes; a new version adds a migration.
enum LedgerSchema {
    /// Marks the file as evsed's (`PRAGMA application_id`): "EVSD".
    static let applicationID: Int64 = 0x4556_5344

    /// The migrations, in order; the schema version is the number applied (`PRAGMA user_version`).
    static let migrations: [String] = [
        """
        CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
        -- The hash chain: every record the ledger makes, in order; `hash` covers the previous
        -- record's hash and this record's fields.
        CREATE TABLE chain(
            seq INTEGER PRIMARY KEY, at_ms INTEGER NOT NULL, kind TEXT NOT NULL,
            session INTEGER, body TEXT NOT NULL, hash BLOB NOT NULL);
        CREATE INDEX chain_session ON chain(session);
        CREATE TABLE sessions(
            id INTEGER PRIMARY KEY, connector INTEGER NOT NULL, owner TEXT,
            started_ms INTEGER NOT NULL, ended_ms INTEGER, end_reason TEXT,
            closed INTEGER NOT NULL DEFAULT 0, end_register_source TEXT,
            start_register_wh INTEGER, end_register_wh INTEGER,
            energy_wh INTEGER NOT NULL DEFAULT 0, charging_s INTEGER NOT NULL DEFAULT 0,
            idle_s INTEGER NOT NULL DEFAULT 0, outage_s INTEGER NOT NULL DEFAULT 0,
            meter TEXT NOT NULL, tariff_id TEXT, tariff TEXT, currency TEXT,
            cost_excl TEXT, cost_vat TEXT, cost_incl TEXT, adjustment TEXT,
            readings_downsampled INTEGER NOT NULL DEFAULT 0);
        CREATE INDEX sessions_started ON sessions(started_ms);
        CREATE TABLE interruptions(
            session INTEGER NOT NULL REFERENCES sessions(id), start_ms INTEGER NOT NULL,
            end_ms INTEGER, cause TEXT NOT NULL);
        CREATE INDEX interruptions_session ON interruptions(session);
        -- Readings of a session, in time order by rowid; `batch` is the chain record that holds
        -- their digest. Integers keep a row small: current in 10 mA, voltage in 0.1 V, activity
        -- 0 charging, 1 idle, 2 outage, 3 settling.
        CREATE TABLE readings(
            session INTEGER NOT NULL, at_ms INTEGER NOT NULL, register_wh INTEGER NOT NULL,
            power_w INTEGER NOT NULL, current_ca INTEGER NOT NULL, voltage_dv INTEGER NOT NULL,
            activity INTEGER NOT NULL, batch INTEGER NOT NULL);
        CREATE INDEX readings_session ON readings(session);
        CREATE TABLE bill_lines(
            session INTEGER NOT NULL, position INTEGER NOT NULL, dimension TEXT NOT NULL,
            quantity TEXT NOT NULL, unit_price TEXT NOT NULL, vat_percent TEXT NOT NULL,
            excl_vat TEXT NOT NULL, vat TEXT NOT NULL, incl_vat TEXT NOT NULL,
            PRIMARY KEY(session, position));
        CREATE TABLE faults(
            id INTEGER PRIMARY KEY, code TEXT NOT NULL, raised_ms INTEGER NOT NULL,
            cleared_ms INTEGER, session INTEGER, context TEXT NOT NULL);
        CREATE INDEX faults_raised ON faults(raised_ms);
        -- The signed record of each closed session, in the spirit of OCMF.
        CREATE TABLE signed_sessions(session INTEGER PRIMARY KEY, payload TEXT NOT NULL, signature TEXT NOT NULL);
        """,
        // 2: the alerts outbox. An alert is stored in words, once, with one delivery per channel,
        // before any attempt; each attempt is recorded with its error.
        """
        CREATE TABLE alerts(
            id INTEGER PRIMARY KEY, created_ms INTEGER NOT NULL, kind TEXT NOT NULL, session INTEGER,
            owner TEXT, subject TEXT NOT NULL, text TEXT NOT NULL, sms TEXT NOT NULL, facts TEXT NOT NULL);
        CREATE INDEX alerts_created ON alerts(created_ms);
        CREATE TABLE deliveries(
            id INTEGER PRIMARY KEY, alert INTEGER NOT NULL REFERENCES alerts(id), channel TEXT NOT NULL,
            address TEXT NOT NULL,
            state TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'expired', 'skipped')),
            attempts INTEGER NOT NULL DEFAULT 0, next_attempt_ms INTEGER NOT NULL, last_error TEXT,
            done_ms INTEGER, UNIQUE(alert, channel, address));
        CREATE INDEX deliveries_due ON deliveries(next_attempt_ms) WHERE state = 'pending';
        CREATE TABLE delivery_attempts(
            delivery INTEGER NOT NULL REFERENCES deliveries(id), at_ms INTEGER NOT NULL, error TEXT);
        CREATE INDEX delivery_attempts_delivery ON delivery_attempts(delivery);
        """,
        // 3: a reading row may be a change of what the session does, with no register
        // (register_wh NULL), and a row's activity is what the session does from that instant on
        // (0 charging, 1 idle, 2 outage, 3 settling in older rows, 4 unavailable); current_ca is
        // summed over the phases. Sessions count the time the charger could not charge and keep
        // their charging periods (for OCPI CDRs); bill lines name their quantity's unit.
        """
        CREATE TABLE readings_3(
            session INTEGER NOT NULL, at_ms INTEGER NOT NULL, register_wh INTEGER,
            power_w INTEGER NOT NULL, current_ca INTEGER NOT NULL, voltage_dv INTEGER NOT NULL,
            activity INTEGER NOT NULL, batch INTEGER NOT NULL);
        INSERT INTO readings_3(session, at_ms, register_wh, power_w, current_ca, voltage_dv, activity, batch)
            SELECT session, at_ms, register_wh, power_w, current_ca, voltage_dv, activity, batch FROM readings ORDER BY rowid;
        DROP TABLE readings;
        ALTER TABLE readings_3 RENAME TO readings;
        CREATE INDEX readings_session ON readings(session);
        ALTER TABLE sessions ADD COLUMN unavailable_s INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE sessions ADD COLUMN periods TEXT;
        ALTER TABLE bill_lines ADD COLUMN unit TEXT;
        """,
        // 4: whether a session's times were taken with a synchronised clock (`synchronized`,
        // `unsynchronized`, `unknown`; NULL for sessions from before).
        """
        ALTER TABLE sessions ADD COLUMN clock TEXT;
        """,
        // 5: OCPP. The transaction messages for the central system, stored before any attempt and
        // sent in `seq` order (a Start's and a Stop's payload is made from the session's row when
        // it is sent; a MeterValues' is stored); the transaction id each session got; the
        // configuration keys the central system changed; the charging profiles it installed; its
        // local authorization list and the cache of its answers.
        """
        CREATE TABLE ocpp_messages(
            seq INTEGER PRIMARY KEY, session INTEGER NOT NULL, action TEXT NOT NULL
                CHECK (action IN ('StartTransaction', 'StopTransaction', 'MeterValues')),
            payload TEXT, created_ms INTEGER NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,
            state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'done', 'failed')),
            last_error TEXT, done_ms INTEGER);
        CREATE INDEX ocpp_messages_pending ON ocpp_messages(seq) WHERE state = 'pending';
        CREATE TABLE ocpp_transactions(
            session INTEGER PRIMARY KEY, id_tag TEXT NOT NULL, transaction_id INTEGER, id_tag_status TEXT, stop_reason TEXT);
        CREATE TABLE ocpp_configuration(key TEXT PRIMARY KEY, value TEXT NOT NULL);
        CREATE TABLE ocpp_profiles(id INTEGER PRIMARY KEY, connector INTEGER NOT NULL, profile TEXT NOT NULL);
        -- Authorization: the central system's local list (`list` 1) and the cache of its answers
        -- (`list` 0), each idTag with its IdTagInfo.
        CREATE TABLE ocpp_id_tags(
            list INTEGER NOT NULL, id_tag TEXT NOT NULL, status TEXT NOT NULL, expiry TEXT, parent TEXT,
            PRIMARY KEY(list, id_tag));
        """,
        // 6: cards. The card a session started with (an RFID UID, an OCPP idTag); the charger's
        // cards, each with its owner, label, validity and whether it is blocked. Every change of a
        // card is a `card_changed` record of the chain, which the row must match.
        """
        ALTER TABLE sessions ADD COLUMN card TEXT;
        CREATE TABLE cards(
            uid TEXT PRIMARY KEY, owner TEXT NOT NULL, label TEXT, valid_until_ms INTEGER,
            blocked INTEGER NOT NULL DEFAULT 0, changed_ms INTEGER NOT NULL, changed_by TEXT NOT NULL);
        """,
    ]

    static var version: Int64 { Int64(migrations.count) }
}
