// See rollrig/engine/calibration_procedure.h.
