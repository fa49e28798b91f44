#include "rollrig/engine/store_sink.h"

#include "rollrig/io/session_meta.h"

#include <cstdio>
#include <utility>

namespace rollrig::engine {

StoreSessionSink::StoreSessionSink(std::string library_path, store::SessionInfo user)
    : m_path(std::move(library_path)), m_user(std::move(user)) {
  m_sides = m_user.sides;
}

bool StoreSessionSink::prepare(std::string* why, store::StoreErrorKind* kind) {
  const store::StoreError e = m_store.open(m_path);
  if (kind) *kind = e.kind;
  if (e) {
    *why = e.message;
    return false;
  }
  const LibraryError r = recoverInterruptedSessions(m_store, &m_recovered);
  if (r.kind != LibraryErrorKind::kNone)
    m_warning = "could not recover an interrupted session: " + r.message;
  return true;
}

std::string StoreSessionSink::failureMessage(const store::StoreError& e) const {
  char kept[160];
  std::snprintf(kept, sizeof(kept),
                " The %llu samples committed before (%.1f s of device time) are kept in session "
                "%lld of %s.",
                static_cast<unsigned long long>(m_committed_samples),
                m_committed_samples > 1 ? (m_last_committed_us - m_first_committed_us) / 1e6 : 0.0,
                static_cast<long long>(m_id), m_path.c_str());
  return e.message + kept;
}

bool StoreSessionSink::begin(const SessionStart& start, std::string* why) {
  store::SessionInfo info = m_user;
  info.started_utc = start.started_utc;
  info.source = start.source;
  info.device_serial = start.info.device_serial;
  char v[48];
  std::snprintf(v, sizeof(v), "%u.%u.%u", start.info.fw_major, start.info.fw_minor,
                start.info.fw_patch);
  info.firmware_version = v;
  std::snprintf(v, sizeof(v), "%u.%u", start.info.proto_major, start.info.proto_minor);
  info.protocol_version = v;
  info.nominal_rate_hz = start.info.rate_hz;
  info.cell_count = start.info.channel_count;
  store::StoreError e = m_store.beginSession(info, &m_id);
  if (e) {
    *why = e.message;
    m_id = 0;
    return false;
  }
  // The calibration applies from the session's first sample on (stored with it, samples()).
  m_calibration = start.calibration;
  e = m_store.commit();
  if (e) {
    *why = e.message;
    return false;
  }
  return true;
}

void StoreSessionSink::samples(const std::vector<ProcessedSample>& batch) {
  if (m_id == 0 || batch.empty()) return;
  if (m_calibration) {
    m_store.addCalibration(m_id, batch.front().sample.t_us, *m_calibration);
    m_calibration.reset();
  }
  for (const ProcessedSample& p : batch) m_store.appendSamples(m_id, &p.sample, 1);
  if (m_pending_samples == 0) m_pending_first_us = batch.front().sample.t_us;
  m_pending_last_us = batch.back().sample.t_us;
  m_pending_samples += batch.size();
}

void StoreSessionSink::reZero(const core::ReZero& z) {
  if (m_id != 0) m_store.addReZero(m_id, z);
}

void StoreSessionSink::marker(const core::Marker& m) {
  if (m_id == 0) return;
  m_store.addMarker(m_id, m);
  if (m.kind == core::MarkerKind::kSide && m.side != core::Side::kUnknown) {
    const std::string name = core::sideName(m.side);
    if (m_sides.find(name) == std::string::npos) {
      m_sides += (m_sides.empty() ? "" : ",") + name;
      store::SessionPatch patch;
      patch.sides = m_sides;
      m_store.updateSession(m_id, patch);
    }
  }
}

void StoreSessionSink::connection(const core::ConnectionEvent& e) {
  if (m_id != 0) m_store.addConnectionEvent(m_id, e);
}

void StoreSessionSink::holdClosed(const core::Hold& h) {
  m_holds.push_back(h);
  m_holds_changed = true;
}

bool StoreSessionSink::commit(std::string* why) {
  if (m_id == 0) return true;
  if (m_holds_changed) {
    m_store.replaceHolds(m_id, m_holds);
    m_holds_changed = false;
  }
  const store::StoreError e = m_store.commit();
  if (e) {
    *why = failureMessage(e);
    return false;
  }
  if (m_pending_samples > 0) {
    if (m_committed_samples == 0) m_first_committed_us = m_pending_first_us;
    m_last_committed_us = m_pending_last_us;
    m_committed_samples += m_pending_samples;
    m_pending_samples = 0;
  }
  return true;
}

bool StoreSessionSink::end(const SessionEnding& ending, std::string* why) {
  if (m_id == 0) return true;
  // Whatever is still buffered (a commit that failed: try once more; it may fit now).
  std::string commit_why;
  const bool committed = !m_store.hasPending() || commit(&commit_why);
  if (m_committed_samples == 0) {
    // Nothing was recorded: leave the library as it was.
    m_store.deleteSession(m_id);
    m_id = 0;
    return true;
  }
  std::string reason;
  switch (ending.reason) {
    case EndReason::kDuration:
      reason = store::kEndSourceEnded;
      break;
    case EndReason::kStopped:
      reason = ending.stop_reason.empty() || ending.stop_reason == "stopped"
                   ? std::string(store::kEndStopped)
                   : ending.stop_reason;
      break;
    case EndReason::kDeviceLost:
      reason = "device lost";
      break;
    case EndReason::kSinkFailed:
      reason = store::kEndError;
      break;
    default:
      reason = ending.stop_reason.empty() ? std::string(store::kEndStopped) : ending.stop_reason;
      break;
  }
  // When it ended on the host's clock (metadata only; a --fast demo ends long before its device
  // time would say).
  const store::StoreError e = m_store.endSession(m_id, reason, io::isoUtcNow());
  if (e) {
    *why = failureMessage(e);
    return false;
  }
  if (!committed) {
    *why = commit_why;
    return false;
  }
  return true;
}

}  // namespace rollrig::engine
