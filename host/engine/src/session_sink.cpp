// See rollrig/engine/session_sink.h.
