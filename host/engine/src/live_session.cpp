// See rollrig/engine/live_session.h.
