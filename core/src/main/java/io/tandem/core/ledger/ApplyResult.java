package io.tandem.core.ledger;

/** What the ledger did with a remote delta or row. */
public enum ApplyResult {
    /** Applied; counts changed. */
    APPLIED,
    /** Applied, and it replaced an older incarnation's row of the same controller id (that row was dropped). */
    APPLIED_REPLACING,
    /** A sequence number already applied: ignored. */
    DUPLICATE,
    /** A sequence number beyond the next one, or an unknown owner mid-stream: ignored; ask the owner for its row. */
    GAP,
    /** From an incarnation older than the row we hold (or older than ourselves): ignored. */
    STALE,
    /** Carries our own controller id with a newer incarnation: two live processes share an id. */
    CONFLICT,
    /** Malformed content (unknown key shape, a change that would drive a count negative): ignored. */
    REJECTED
}
