// The stream fault matrix, long version (docs/RELIABILITY.md, "Stream fault matrix"): every fault
// kind (corrupt, drop, insert, burst) at every rate from 1e-6 to 1e-2 per byte, on the virtual
// rig's byte stream through the host's decoder, each sample the decoder accepts checked against
// what the device sent (rollrig::sim::StreamTruthChecker).
//
// Run: nice -n 10 build/bin/rollrig-stream-fault-matrix --bytes 1000000000 [--seed S] [--jobs 2]
// --bytes is the total of clean bytes over the cells (4 kinds x --rates, split evenly). Prints one
// row per cell and a total; exits 1 if any sample was accepted corrupt or any lost frame went
// uncounted.
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "rollrig/sim/stream_faults.h"

using namespace rollrig;

namespace {

struct Cell {
  sim::ByteFaultKind kind;
  double rate;
  sim::StreamFaultTrial result;
  double wall_s = 0;
};

int usage() {
  std::fprintf(
      stderr,
      "usage: rollrig-stream-fault-matrix [--bytes N] [--rates R,...] [--seed S] [--jobs J]\n"
      "  --bytes N  clean bytes in all, split over the cells (default 20000000)\n"
      "  --rates R,R,...  fault rates per byte (default 1e-6,1e-5,1e-4,1e-3,1e-2)\n"
      "  --seed S   fault and body-model seed (default 1)\n"
      "  --jobs J   cells run in parallel (default 1)\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  uint64_t total_bytes = 20000000;
  uint64_t seed = 1;
  unsigned jobs = 1;
  std::vector<double> rates{1e-6, 1e-5, 1e-4, 1e-3, 1e-2};
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--bytes" && i + 1 < argc) {
      total_bytes = std::strtoull(argv[++i], nullptr, 10);
    } else if (a == "--seed" && i + 1 < argc) {
      seed = std::strtoull(argv[++i], nullptr, 10);
    } else if (a == "--rates" && i + 1 < argc) {
      rates.clear();
      for (char* p = argv[++i]; *p;) {
        char* end = nullptr;
        const double r = std::strtod(p, &end);
        if (end == p || r <= 0 || r > 1) return usage();
        rates.push_back(r);
        p = *end == ',' ? end + 1 : end;
      }
    } else if (a == "--jobs" && i + 1 < argc) {
      jobs = static_cast<unsigned>(std::max(1L, std::strtol(argv[++i], nullptr, 10)));
    } else {
      return usage();
    }
  }
  std::vector<Cell> cells;
  for (auto kind : {sim::ByteFaultKind::kCorrupt, sim::ByteFaultKind::kDrop,
                    sim::ByteFaultKind::kInsert, sim::ByteFaultKind::kBurst})
    for (double rate : rates) cells.push_back({kind, rate, {}, 0});
  const uint64_t per_cell = total_bytes / cells.size();

  std::atomic<size_t> next{0};
  auto worker = [&] {
    for (size_t i; (i = next.fetch_add(1)) < cells.size();) {
      Cell& c = cells[i];
      sim::ByteFaultConfig f;
      f.kind = c.kind;
      f.rate_per_byte = c.rate;
      f.seed = seed * 1000 + i;
      const auto t0 = std::chrono::steady_clock::now();
      c.result = sim::runVirtualRigFaultTrial(f, per_cell, seed + i);
      c.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    }
  };
  std::vector<std::thread> threads;
  for (unsigned j = 0; j < jobs; ++j) threads.emplace_back(worker);
  for (auto& t : threads) t.join();

  std::printf(
      "| kind | rate/byte | clean bytes | faults | frames touched | samples sent | "
      "accepted | accepted corrupt | lost (counted) | uncounted | time shifts | "
      "passed the CRC, then dropped | worst resync frames (bytes) | s |\n");
  std::printf("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
  sim::StreamCheckReport tot;
  uint64_t bytes = 0, faults = 0, dropped_after_crc = 0;
  bool ok = true;
  for (const Cell& c : cells) {
    const auto& r = c.result.check;
    const auto& f = c.result.faults;
    const uint64_t uncounted =
        r.missed - std::min(r.missed, r.missed_counted) + r.accounting_errors;
    std::printf(
        "| %s | %.0e | %llu | %llu | %llu | %llu | %llu | %llu | %llu (%llu) | %llu | %llu "
        "| %llu | %llu (%llu) | %.1f |\n",
        sim::byteFaultKindName(c.kind), c.rate, (unsigned long long)f.bytes_in,
        (unsigned long long)f.faults, (unsigned long long)f.frames_touched,
        (unsigned long long)r.sent, (unsigned long long)r.accepted,
        (unsigned long long)r.accepted_corrupt, (unsigned long long)r.missed,
        (unsigned long long)r.missed_counted, (unsigned long long)uncounted,
        (unsigned long long)r.time_shifts,
        (unsigned long long)(c.result.decoder.implausible + c.result.decoder.wrong_channel_count),
        (unsigned long long)r.worst_resync_frames, (unsigned long long)r.worst_resync_bytes,
        c.wall_s);
    bytes += f.bytes_in;
    dropped_after_crc += c.result.decoder.implausible + c.result.decoder.wrong_channel_count;
    faults += f.faults;
    tot.sent += r.sent;
    tot.accepted += r.accepted;
    tot.accepted_corrupt += r.accepted_corrupt;
    tot.missed += r.missed;
    tot.missed_counted += r.missed_counted;
    tot.accounting_errors += r.accounting_errors;
    tot.time_shifts += r.time_shifts;
    tot.worst_resync_frames = std::max(tot.worst_resync_frames, r.worst_resync_frames);
    tot.worst_resync_bytes = std::max(tot.worst_resync_bytes, r.worst_resync_bytes);
    if (!r.allAccountedFor()) ok = false;
    if (r.accepted_corrupt || r.accounting_errors || r.time_shifts) ok = false;
    const auto& d = c.result.decoder;
    if (d.device_resets || d.duplicates || d.out_of_order || d.wrong_channel_count ||
        d.implausible || r.accounting_errors) {
      std::printf(
          "  (%s %.0e: decoder saw %llu device resets, %llu duplicates, %llu late, "
          "%llu wrong cell counts, %llu implausible; the device sent none of these)\n",
          sim::byteFaultKindName(c.kind), c.rate, (unsigned long long)d.device_resets,
          (unsigned long long)d.duplicates, (unsigned long long)d.out_of_order,
          (unsigned long long)d.wrong_channel_count, (unsigned long long)d.implausible);
    }
  }
  std::printf(
      "\nTotal: %llu clean bytes, %llu faults, %llu samples sent, %llu accepted, "
      "%llu accepted corrupt, %llu lost of which %llu counted, %llu accounting errors, "
      "%llu time shifts, %llu damaged frames passed the CRC and were dropped by the sequence "
      "check or the cell count, worst resync %llu frames (%llu bytes)\n",
      (unsigned long long)bytes, (unsigned long long)faults, (unsigned long long)tot.sent,
      (unsigned long long)tot.accepted, (unsigned long long)tot.accepted_corrupt,
      (unsigned long long)tot.missed, (unsigned long long)tot.missed_counted,
      (unsigned long long)tot.accounting_errors, (unsigned long long)tot.time_shifts,
      (unsigned long long)dropped_after_crc, (unsigned long long)tot.worst_resync_frames,
      (unsigned long long)tot.worst_resync_bytes);
  return ok ? 0 : 1;
}
