// The rollrig firmware's logic: boot, command handling, HX711 polling, sample-set assembly,
// STATUS, and never-blocking TX. Plain C++ over the hal:: seam, so the host tests run exactly
// this code against a fake board. Static allocation only; one instance, owned by the sketch.
//
// Main loop contract: setup() once, then poll() as often as possible. poll() never waits: each
// pass reads what the UART has, shifts out every HX711 that is ready, sends what is due, and
// returns. A pass costs at most a few HX711 reads (~0.1 ms each).
#ifndef ROLLRIG_FIRMWARE_H
#define ROLLRIG_FIRMWARE_H

#include <stdint.h>

#include "config.h"
#include "hx711.h"
#include "pins.h"
#include "protocol/protocol.h"
#include "settings.h"

namespace rollrig {

class Firmware {
 public:
  Firmware();

  void setup();
  void poll();

  // Counters reported in STATUS (exposed for tests).
  uint32_t framesDropped() const { return m_frames_dropped; }
  uint16_t badCommands() const { return m_bad_commands; }
  uint16_t hx711Timeouts() const { return m_hx711_timeouts; }
  bool streaming() const { return m_streaming; }
  const Settings& settings() const { return m_settings; }

 private:
  void loadSettings();
  void pollRx();
  void handleCommand(const proto::CommandFrame& c);
  void pollHx711(uint32_t now);
  void addToSet(uint8_t ch, int32_t counts, bool saturated, uint32_t now);
  void emitSet(uint32_t now);
  void sendStatus();
  void sendInfo();
  void sendSettings();
  void sendAck(uint8_t seq, uint8_t type, uint8_t result);
  // Control frames (INFO, STATUS, ACK, SETTINGS) wait in a small pending buffer (two answers'
  // worth) if TX is full; samples are dropped instead, but go first when there is room. Neither
  // ever blocks.
  void sendControl(const uint8_t* wire, size_t n);
  bool flushPending();
  size_t controlRoom() const;
  uint8_t enabledMask() const { return static_cast<uint8_t>((1u << m_settings.cell_count) - 1u); }

  Settings m_settings;
  bool m_settings_restored;
  uint8_t m_reset_cause;

  proto::FrameAccumulator m_rx;

  Hx711Monitor m_hx[config::kMaxCells];
  int32_t m_counts[config::kMaxCells];
  uint8_t m_fresh;      // channels in the open set
  uint8_t m_saturated;  // channels in the open set that read at a rail
  bool m_set_open;
  uint32_t m_set_start_us;

  bool m_streaming;
  bool m_first_sample;
  bool m_tx_overflow;
  uint16_t m_seq;

  uint32_t m_last_us;
  uint32_t m_uptime_ms;
  uint32_t m_uptime_rem_us;
  uint32_t m_next_status_ms;
  bool m_reboot_pending;
  uint32_t m_reboot_at_us;

  uint32_t m_frames_dropped;
  uint16_t m_bad_commands;
  uint16_t m_hx711_timeouts;

  uint8_t m_pending[64];
  uint8_t m_pending_len;
};

}  // namespace rollrig

#endif  // ROLLRIG_FIRMWARE_H
