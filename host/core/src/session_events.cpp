#include "rollrig/core/session_events.h"

namespace rollrig::core {

const char* markerKindName(MarkerKind k) {
  switch (k) {
    case MarkerKind::kReleased:
      return "released";
    case MarkerKind::kPain:
      return "pain";
    case MarkerKind::kSide:
      return "side";
    case MarkerKind::kNote:
      return "note";
  }
  return "note";
}

const char* connectionEventKindName(ConnectionEventKind k) {
  switch (k) {
    case ConnectionEventKind::kConnected:
      return "connected";
    case ConnectionEventKind::kDisconnected:
      return "disconnected";
    case ConnectionEventKind::kReconnected:
      return "reconnected";
    case ConnectionEventKind::kRefused:
      return "refused";
    case ConnectionEventKind::kDeviceReset:
      return "device reset";
    case ConnectionEventKind::kGap:
      return "gap";
  }
  return "gap";
}

}  // namespace rollrig::core
