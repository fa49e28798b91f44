// Fuzz target: the firmware's command input (firmware/rollrig/src, the host build of the logic the
// board runs), on an in-process fake board, with the host's decoder reading what it sends back.
//
// Input: byte 0 configures the board (bits 0..3: HX711 chips unplugged; bit 4: the UART starts
// stalled; bit 5: the next 26 bytes are the EEPROM's settings record instead of a blank EEPROM).
// Then operations, each one byte (op = top 2 bits, k = low 6 bits):
//   0: the next k+1 bytes arrive on the UART (commands, garbage, anything)
//   1: k+1 passes of the main loop, 100 us apart
//   2: (k+1) x 5 ms of device time, a pass every 500 us
//   3: k = 0 stalls/unstalls TX (a host that stopped reading), k = 1..4 plugs/unplugs chip k-1,
//      else k passes of the main loop with no time between them
// Finally the UART drains and the loop runs for 0.3 s, so every answer can leave.
//
// Invariants, beyond "no crash, no sanitizer report":
//  - the firmware never blocks: it never writes more than hal::txRoom() bytes, and never before
//    hal::begin();
//  - what it sends is a clean stream: the host's decoder finds no bad CRC, malformed, oversized or
//    unknown frame, and no SAMPLE with another cell count than the INFO before it;
//  - every ACK carries a known result, and there are no more ACKs than frames sent to it;
//  - the stored settings always decode and are valid after boot and after every command, and so
//    are the settings in effect;
//  - the host counts no more lost frames than the firmware says it dropped, and no more restarts
//    than there were reboots.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <vector>

#include "firmware.h"
#include "fuzz_check.h"
#include "hal.h"
#include "rollrig/core/frame_decoder.h"
#include "settings.h"

namespace {

namespace proto = rollrig::proto;

constexpr size_t kRingBytes = 63;  // HardwareSerial's 64-byte TX ring, one slot kept free
constexpr size_t kHwBytes = 2;     // UDR0 + the shift register

struct Board {
  uint64_t now_us = 0;   // board time, across reboots (the UART and the chips run on it)
  uint64_t boot_us = 0;  // board time of the last boot: micros() counts from there
  uint32_t baud = 0;
  std::vector<uint8_t> rx;
  size_t rx_pos = 0;
  std::vector<uint8_t> tx;
  size_t tx_used = 0;          // written, not yet on the wire
  uint64_t drain_credit = 0;   // bit-microseconds towards the next byte
  uint64_t drained_to_us = 0;  // the drain is accounted up to this time
  bool stalled = false;
  bool present[4] = {true, true, true, true};
  uint64_t next_ready_us[4] = {};
  bool ready[4] = {};
  int32_t value = 0;
  uint8_t eeprom[1024];
  bool reboot_requested = false;
};
Board g;

void update() {
  Board& b = g;
  const uint64_t dt = b.now_us - b.drained_to_us;
  b.drained_to_us = b.now_us;
  if (!b.stalled && b.baud != 0 && b.tx_used > 0) {
    b.drain_credit += dt * b.baud;
    const uint64_t per_byte = 10ull * 1000000ull;  // 8N1: 10 bits
    const uint64_t n = b.drain_credit / per_byte;
    b.drain_credit %= per_byte;
    b.tx_used = n >= b.tx_used ? 0 : b.tx_used - static_cast<size_t>(n);
  }
  if (b.tx_used == 0) b.drain_credit = 0;
  for (int ch = 0; ch < 4; ++ch) {
    while (b.now_us >= b.next_ready_us[ch]) {
      b.ready[ch] = true;
      b.next_ready_us[ch] += 12500;
    }
  }
}

void advance(uint64_t us) {
  g.now_us += us;
  update();
}

}  // namespace

// [SECTION] hal.h over the fake board
namespace rollrig::hal {

void begin(uint32_t baud) {
  g.baud = baud;
}
uint32_t micros() {
  return static_cast<uint32_t>(g.now_us - g.boot_us);
}
size_t txRoom() {
  update();
  const size_t ring = g.tx_used > kHwBytes ? g.tx_used - kHwBytes : 0;
  return ring < kRingBytes ? kRingBytes - ring : 0;
}
void txWrite(const uint8_t* data, size_t len) {
  FUZZ_CHECK(g.baud != 0, "hal::txWrite() before hal::begin()");
  const size_t room = txRoom();
  FUZZ_CHECK(len <= room, "hal::txWrite() of %zu bytes with room for %zu: the firmware would block",
             len, room);
  g.tx.insert(g.tx.end(), data, data + len);
  g.tx_used += len;
}
int rxRead() {
  g.now_us += 2;
  if (g.rx_pos >= g.rx.size()) return -1;
  return g.rx[g.rx_pos++];
}
bool hx711Ready(uint8_t ch) {
  FUZZ_CHECK(ch < 4, "hx711Ready(%u)", ch);
  return g.present[ch] && g.ready[ch];
}
uint32_t hx711Shift(uint8_t ch, uint8_t) {
  FUZZ_CHECK(ch < 4, "hx711Shift(%u)", ch);
  g.now_us += 75;
  if (!g.present[ch]) return 0xFFFFFF;
  g.ready[ch] = false;
  g.value =
      static_cast<int32_t>((static_cast<uint32_t>(g.value) * 1103515245u + 12345u) & 0x7FFFFFFFu);
  return static_cast<uint32_t>(g.value) & 0xFFFFFFu;
}
void eepromRead(uint16_t addr, uint8_t* dst, size_t len) {
  FUZZ_CHECK(addr + len <= sizeof(g.eeprom), "EEPROM read past the end");
  std::memcpy(dst, g.eeprom + addr, len);
}
void eepromWrite(uint16_t addr, const uint8_t* src, size_t len) {
  FUZZ_CHECK(addr + len <= sizeof(g.eeprom), "EEPROM write past the end");
  std::memcpy(g.eeprom + addr, src, len);
}
uint8_t resetCause() {
  return proto::kResetExternal;
}
uint32_t entropy() {
  return 0x12345678u;
}
void watchdogEnable() {}
void watchdogKick() {}
void reboot() {
  g.reboot_requested = true;
}
void setLed(bool) {}

}  // namespace rollrig::hal

namespace {

struct Counter : rollrig::core::FrameSink {
  uint64_t acks = 0;
  void onAck(const proto::AckFrame& a) override {
    ++acks;
    FUZZ_CHECK(a.result <= proto::kAckBadFrame, "ACK result %u", a.result);
  }
};

void checkSettings(const rollrig::Firmware& fw) {
  rollrig::Settings stored{};
  FUZZ_CHECK(rollrig::settingsDecode(g.eeprom + rollrig::kSettingsAddress, &stored),
             "the stored settings do not decode");
  FUZZ_CHECK(stored.cell_count >= 1 && stored.cell_count <= 4, "stored cell count %u",
             stored.cell_count);
  FUZZ_CHECK(rollrig::settingsBaudAllowed(stored.baud), "stored baud %u", stored.baud);
  const rollrig::Settings& s = fw.settings();
  FUZZ_CHECK(s.cell_count >= 1 && s.cell_count <= 4, "cell count in effect %u", s.cell_count);
  FUZZ_CHECK(rollrig::settingsBaudAllowed(s.baud), "baud in effect %u", s.baud);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  g = Board{};
  std::memset(g.eeprom, 0xFF, sizeof(g.eeprom));
  const uint8_t config = data[0];
  size_t i = 1;
  for (int ch = 0; ch < 4; ++ch) {
    g.present[ch] = (config & (1u << ch)) == 0;
    g.next_ready_us[ch] = 1000 + 3100u * ch;
  }
  g.stalled = (config & 0x10) != 0;
  if ((config & 0x20) && size - i >= rollrig::kSettingsBlobSize) {
    std::memcpy(g.eeprom + rollrig::kSettingsAddress, data + i, rollrig::kSettingsBlobSize);
    i += rollrig::kSettingsBlobSize;
  }

  auto fw = std::make_unique<rollrig::Firmware>();
  fw->setup();
  checkSettings(*fw);
  uint64_t dropped_before = 0;  // frames the firmware dropped in earlier boots
  uint64_t reboots = 0;
  size_t delimiters = 0;
  auto pass = [&] {
    fw->poll();
    if (g.reboot_requested) {
      // The watchdog restarts the chip: a new Firmware runs setup() from what the EEPROM holds.
      g.reboot_requested = false;
      g.boot_us = g.now_us;
      ++reboots;
      dropped_before += fw->framesDropped();
      fw = std::make_unique<rollrig::Firmware>();
      fw->setup();
    }
    checkSettings(*fw);
  };

  while (i < size) {
    const uint8_t op = data[i++];
    const size_t k = op & 0x3F;
    switch (op >> 6) {
      case 0: {
        const size_t n = std::min(k + 1, size - i);
        for (size_t j = 0; j < n; ++j) delimiters += data[i + j] == 0;
        g.rx.insert(g.rx.end(), data + i, data + i + n);
        i += n;
        break;
      }
      case 1:
        for (size_t j = 0; j <= k; ++j) {
          advance(100);
          pass();
        }
        break;
      case 2:
        for (size_t j = 0; j < 10 * (k + 1); ++j) {
          advance(500);
          pass();
        }
        break;
      default:
        if (k == 0) {
          update();
          g.stalled = !g.stalled;
        } else if (k <= 4) {
          g.present[k - 1] = !g.present[k - 1];
        } else {
          for (size_t j = 0; j < k; ++j) pass();
        }
        break;
    }
  }
  update();
  g.stalled = false;
  for (int j = 0; j < 300; ++j) {
    advance(1000);
    pass();
  }

  if (const char* dump = std::getenv("FUZZ_DUMP_TX")) {  // to study a failure: the bytes sent
    if (FILE* f = std::fopen(dump, "wb")) {
      std::fwrite(g.tx.data(), 1, g.tx.size(), f);
      std::fclose(f);
    }
    std::fprintf(stderr, "%llu reboots, dropped %llu + %u\n", (unsigned long long)reboots,
                 (unsigned long long)dropped_before, fw->framesDropped());
  }
  Counter sink;
  rollrig::core::FrameDecoder dec(sink);
  dec.feed(g.tx.data(), g.tx.size());
  const rollrig::core::DecoderStats& s = dec.stats();
  FUZZ_CHECK(s.crc_errors == 0 && s.malformed == 0 && s.oversized == 0 && s.unknown_types == 0,
             "the firmware sent bad frames: %llu CRC, %llu malformed, %llu oversized, %llu unknown",
             (unsigned long long)s.crc_errors, (unsigned long long)s.malformed,
             (unsigned long long)s.oversized, (unsigned long long)s.unknown_types);
  FUZZ_CHECK(s.wrong_channel_count == 0, "%llu SAMPLEs with another cell count than their INFO",
             (unsigned long long)s.wrong_channel_count);
  FUZZ_CHECK(sink.acks <= delimiters, "%llu ACKs for %zu frames sent",
             (unsigned long long)sink.acks, delimiters);
  const uint64_t dropped = dropped_before + fw->framesDropped();
  FUZZ_CHECK(s.frames_lost <= dropped,
             "the host counts %llu frames lost, the firmware dropped %llu",
             (unsigned long long)s.frames_lost, (unsigned long long)dropped);
  FUZZ_CHECK(s.device_resets <= reboots, "the host saw %llu restarts, there were %llu reboots",
             (unsigned long long)s.device_resets, (unsigned long long)reboots);
  return 0;
}
