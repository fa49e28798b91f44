#include "rollrig/engine/session_sink.h"

#include <filesystem>

namespace rollrig::engine {

const char* endReasonName(EndReason r) {
  switch (r) {
    case EndReason::kNone:
      return "running";
    case EndReason::kDuration:
      return "duration";
    case EndReason::kStopped:
      return "stopped";
    case EndReason::kDeviceLost:
      return "device lost";
    case EndReason::kSinkFailed:
      return "output failed";
    case EndReason::kStartFailed:
      return "start failed";
  }
  return "running";
}

// [SECTION] CsvSessionSink

CsvSessionSink::CsvSessionSink(std::string path, bool overwrite)
    : m_path(std::move(path)), m_meta_path(io::sessionMetaPath(m_path)), m_overwrite(overwrite) {}

bool CsvSessionSink::prepare(std::string* why) {
  return m_out.prepare(m_path, m_overwrite, "--out", why);
}

bool CsvSessionSink::begin(const SessionStart& start, std::string* /*why*/) {
  m_meta.csv_file = std::filesystem::path(m_path).filename().string();
  m_meta.started = start.started_utc;
  m_meta.source = start.source;
  m_meta.info = start.info;
  m_meta.calibration = start.calibration;
  m_meta.auto_zero = start.auto_zero;
  if (start.auto_zero) m_meta.auto_zero_options = start.auto_zero_options;
  m_csv.writeHeader();
  return true;
}

void CsvSessionSink::samples(const std::vector<ProcessedSample>& batch) {
  for (const ProcessedSample& p : batch) {
    if (!m_have_t0) {
      m_have_t0 = true;
      m_t0_us = p.sample.t_us;
    }
    m_csv.writeRow(p.sample, p.force);
    m_batch_t_us.push_back(p.sample.t_us);
  }
}

void CsvSessionSink::reZero(const core::ReZero& z) {
  m_rezeros.push_back(z);
}

bool CsvSessionSink::commit(std::string* why) {
  // Nothing reaches the file before its first row: a session without samples leaves no file.
  if (m_batch_t_us.empty() && !m_out.committed()) return true;
  std::string write_why;
  const bool wrote = m_out.write(m_batch_text.str(), &write_why);
  // Every whole line on disk past the header is a row; the batch's rows landed in order.
  const uint64_t rows_now = m_out.lines() > 0 ? m_out.lines() - 1 : 0;
  if (rows_now > m_rows_on_disk) {
    m_t_last_on_disk_us = m_batch_t_us[static_cast<size_t>(rows_now - m_rows_on_disk) - 1];
    m_rows_on_disk = rows_now;
  }
  m_batch_text.str("");
  m_batch_t_us.clear();
  if (m_rows_on_disk > 0 && !m_out.committed()) {
    if (!m_out.commit(why)) return false;
    // The sidecar (docs/CSV_FORMAT.md, "Sidecar"): written when the first rows are on disk and
    // again at the end, so a crash still leaves the calibration next to the rows. Only beside a
    // regular file (not /dev/...).
    io::IoError ignored;
    if (m_out.regular()) io::writeSessionMeta(m_meta_path, m_meta, &ignored);
  }
  if (!wrote) {
    *why = write_why + " The " + std::to_string(m_rows_on_disk) +
           " whole rows written so far are kept.";
    return false;
  }
  return true;
}

double CsvSessionSink::secondsOnDisk() const {
  return m_rows_on_disk > 0 ? static_cast<double>(m_t_last_on_disk_us - m_t0_us) / 1e6 : 0.0;
}

bool CsvSessionSink::end(const SessionEnding& ending, std::string* why) {
  if (!m_out.committed()) {
    // No row reached the file under its name. With none at all the session never really started:
    // every file stays as it was. (Rows that could not be given their name stay in the temporary
    // file the failed commit named.)
    if (m_rows_on_disk == 0) m_out.discard();
    return true;
  }
  m_out.close();
  if (!m_out.regular()) return true;
  m_meta.t0_us = m_t0_us;
  m_meta.rezeros.clear();
  for (const core::ReZero& z : m_rezeros)
    if (z.t_us <= m_t_last_on_disk_us) m_meta.rezeros.push_back(z);
  m_meta.stats = ending.stats;
  m_meta.rows = m_rows_on_disk;
  m_meta.duration_s = secondsOnDisk();
  m_meta.stop_reason = ending.stop_reason;
  io::IoError err;
  if (!io::writeSessionMeta(m_meta_path, m_meta, &err)) {
    *why = err.message;
    return false;
  }
  return true;
}

// [SECTION] MemorySessionSink

bool MemorySessionSink::begin(const SessionStart& start, std::string*) {
  std::lock_guard<std::mutex> lock(m_mutex);
  m_rec.start = start;
  return true;
}
void MemorySessionSink::samples(const std::vector<ProcessedSample>& batch) {
  std::lock_guard<std::mutex> lock(m_mutex);
  m_rec.samples.insert(m_rec.samples.end(), batch.begin(), batch.end());
}
void MemorySessionSink::reZero(const core::ReZero& z) {
  std::lock_guard<std::mutex> lock(m_mutex);
  m_rec.rezeros.push_back(z);
}
void MemorySessionSink::marker(const core::Marker& m) {
  std::lock_guard<std::mutex> lock(m_mutex);
  m_rec.markers.push_back(m);
}
void MemorySessionSink::connection(const core::ConnectionEvent& e) {
  std::lock_guard<std::mutex> lock(m_mutex);
  m_rec.events.push_back(e);
}
void MemorySessionSink::holdClosed(const core::Hold& h) {
  std::lock_guard<std::mutex> lock(m_mutex);
  m_rec.holds.push_back(h);
}
void MemorySessionSink::openHold(const std::optional<core::Hold>& h) {
  std::lock_guard<std::mutex> lock(m_mutex);
  m_rec.open_hold = h;
}
bool MemorySessionSink::commit(std::string* why) {
  std::lock_guard<std::mutex> lock(m_mutex);
  if (fail_commit_after > 0 && m_rec.committed_samples.size() + 1 >= fail_commit_after) {
    *why = failure_message;
    return false;
  }
  m_rec.committed_samples.push_back(m_rec.samples.size());
  return true;
}
bool MemorySessionSink::end(const SessionEnding& ending, std::string*) {
  std::lock_guard<std::mutex> lock(m_mutex);
  m_rec.ending = ending;
  return true;
}
MemorySessionSink::Record MemorySessionSink::record() const {
  std::lock_guard<std::mutex> lock(m_mutex);
  return m_rec;
}
size_t MemorySessionSink::commits() const {
  std::lock_guard<std::mutex> lock(m_mutex);
  return m_rec.committed_samples.size();
}

}  // namespace rollrig::engine
