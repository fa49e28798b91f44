// What happens in a session besides samples: the user's markers and the connection's events.
// Plain data shared by the engine (which makes them), the session library (which stores them) and
// the exports (which write them). Times are the session's device time (Sample::t_us: unwrapped,
// and continued across a reconnect by the engine, so it never runs back within a session).
#pragma once

#include <cstdint>
#include <string>

#include "rollrig/core/session_analyzer.h"

namespace rollrig::core {

// [SECTION] Markers: what the user says during a session

enum class MarkerKind {
  kReleased,  // "it released" (wins over the detector for the hold it falls in)
  kPain,      // pain on a 0-10 scale
  kSide,      // from here on the side being treated is `side`
  kNote,      // free text
};
const char* markerKindName(MarkerKind k);  // "released", "pain", "side", "note"

struct Marker {
  uint64_t t_us = 0;  // device time of the latest sample when the user pressed
  MarkerKind kind = MarkerKind::kNote;
  int pain = -1;               // kPain: 0 (none) .. 10 (worst); -1 otherwise
  Side side = Side::kUnknown;  // kSide
  std::string text;            // kNote: UTF-8; may be empty for other kinds
};

// [SECTION] Connection events: how the stream behaved

enum class ConnectionEventKind {
  kConnected,     // handshake done, streaming (the session's first connection)
  kDisconnected,  // the device went away (unplugged, port error); the session stays open
  kReconnected,   // the same device (by serial) streams again; time continues across the gap
  kRefused,       // a device answered while reconnecting but is not this session's (detail says)
  kDeviceReset,   // the device rebooted mid-stream (the decoder's device_resets went up)
  kGap,           // frames lost on the wire (frames_lost says how many)
};
const char* connectionEventKindName(ConnectionEventKind k);
// "connected", "disconnected", "reconnected", "refused", "device reset", "gap"

struct ConnectionEvent {
  uint64_t t_us = 0;  // session device time at which it happened (the last sample before it)
  ConnectionEventKind kind = ConnectionEventKind::kConnected;
  uint64_t frames_lost = 0;  // kGap: frames missing; kReconnected: frames the gap would have held
  double gap_s = 0;          // kReconnected: how long the device was away (host clock)
  std::string detail;        // e.g. the port, the error message, the other device's serial
  std::string wall_utc;      // ISO 8601 UTC host time when it happened; "" if unknown
};

}  // namespace rollrig::core
