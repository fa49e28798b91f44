# Per-cell statistics of a rollrig session CSV (docs/CSV_FORMAT.md), for first power-up checks and
# troubleshooting (hardware/README.md):
#   awk -f hardware/tools/cell_stats.awk check.csv
# Prints the row rate from device time, how many rows carried the settling / timeout / saturated
# flags, and for each cell the raw counts' mean, standard deviation, range and how often its value
# was a fresh conversion. Plain POSIX awk (works with mawk and gawk).
BEGIN { FS = "," }
NR == 1 {
  if ($1 != "time_s" || $4 != "cell0_raw_counts") {
    print "not a rollrig session CSV"; bad = 1; exit 1
  }
  next
}
{
  n++
  for (c = 0; c < 4; c++) {
    v = $(4 + c); s[c] += v; q[c] += v * v
    if (n == 1 || v < lo[c]) lo[c] = v
    if (n == 1 || v > hi[c]) hi[c] = v
    if (int($16 / 2 ^ c) % 2) fresh[c]++
  }
  if ($15 % 2) saturated++
  if (int($15 / 2) % 2) timeout++
  if (int($15 / 8) % 2) settling++
  last_t = $1
}
END {
  if (bad) exit 1
  if (n < 2 || last_t <= 0) { print "too few rows"; exit 1 }
  printf "%d rows in %.1f s of device time: %.1f rows/s\n", n, last_t, (n - 1) / last_t
  printf "rows flagged: saturated %d, HX711 timeout %d, settling %d\n", saturated, timeout, settling
  for (c = 0; c < 4; c++) {
    m = s[c] / n; var = q[c] / n - m * m; if (var < 0) var = 0
    printf "cell%d  mean %9.0f  sd %7.0f  min %9d  max %9d  fresh %3.0f %%\n", c, m, sqrt(var),
           lo[c], hi[c], 100 * fresh[c] / n
  }
}
