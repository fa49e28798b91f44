// The session library (SQLite): see rollrig/store/session_store.h.
