#include "rollrig/core/session_csv.h"

#include <gtest/gtest.h>

#include <sstream>

using namespace rollrig::core;

TEST(SessionCsvWriter, WritesTheDocumentedHeader) {
  EXPECT_EQ(SessionCsvWriter::header(),
            "time_s,seq,lost_before,cell0_raw_counts,cell1_raw_counts,cell2_raw_counts,"
            "cell3_raw_counts,cell0_force_N,cell1_force_N,cell2_force_N,cell3_force_N,force_N,"
            "x_mm,y_mm,flags,fresh_mask");
}

TEST(SessionCsvWriter, WritesTimeFromTheFirstSampleAndLeavesCopEmptyWithoutLoad) {
  std::ostringstream out;
  SessionCsvWriter w(out);
  w.writeHeader();
  Sample s;
  s.t_us = 5000000000ull;  // past a u32 wrap: time is unwrapped
  s.seq = 7;
  s.raw_counts = {1, -2, 3, -8388608};
  s.fresh_mask = 0x0F;
  ForceSample f;
  f.force_n = {0.00004, -0.25, 1.5, 2.0};
  f.total_n = 3.25;
  w.writeRow(s, f);
  s.t_us += 12500;
  s.seq = 9;
  s.lost_before = 1;
  s.flags = 4;
  f.has_cop = true;
  f.x_mm = -120.456;
  f.y_mm = 33.3;
  w.writeRow(s, f);
  std::istringstream in(out.str());
  std::string header, row1, row2;
  std::getline(in, header);
  std::getline(in, row1);
  std::getline(in, row2);
  EXPECT_EQ(row1, "0.000000,7,0,1,-2,3,-8388608,0.0000,-0.2500,1.5000,2.0000,3.2500,,,0,15");
  EXPECT_EQ(row2,
            "0.012500,9,1,1,-2,3,-8388608,0.0000,-0.2500,1.5000,2.0000,3.2500,-120.46,33.30,4,15");
  EXPECT_EQ(w.rows(), 2u);
}
