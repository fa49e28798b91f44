# Prints how much of the ATmega328P the firmware uses and fails if it is over budget.
#
#   cmake -DELF=rollrig.elf -DAVR_SIZE=/usr/bin/avr-size -P cmake/firmware_size.cmake
#
# Used twice: after every firmware link (firmware/CMakeLists.txt) and by the ctest test
# FirmwareBuild.FitsTheFlashAndSramBudget (tests/CMakeLists.txt), so CI proves the firmware
# compiles and fits.
#
# Flash = .text + .data (the initial values of .data are stored in flash and copied at start-up).
# SRAM  = .data + .bss + .noinit, the static use only: the stack and the Arduino core's heap
#         take what is left, so the budget keeps half of the 2 KB free for them.
#
# Optional: FLASH_BYTES (default 32256: 32 KB minus the 512-byte Optiboot bootloader),
# SRAM_BYTES (2048), BUDGET_PERCENT (50), NAME (shown in the report).

if(NOT DEFINED ELF)
  message(FATAL_ERROR "firmware_size.cmake: pass -DELF=<path to rollrig.elf>")
endif()
if(NOT DEFINED FLASH_BYTES)
  set(FLASH_BYTES 32256)
endif()
if(NOT DEFINED SRAM_BYTES)
  set(SRAM_BYTES 2048)
endif()
if(NOT DEFINED BUDGET_PERCENT)
  set(BUDGET_PERCENT 50)
endif()
if(NOT DEFINED NAME)
  get_filename_component(NAME "${ELF}" NAME)
endif()

if(NOT EXISTS "${ELF}")
  message(FATAL_ERROR
    "${NAME}: ${ELF} does not exist, so the firmware was not built. It needs avr-gcc: on Debian 12 "
    "apt-get install gcc-avr binutils-avr avr-libc arduino-core-avr avrdude, then configure "
    "again and build the `firmware` target.")
endif()
if(NOT AVR_SIZE)
  find_program(AVR_SIZE avr-size)
endif()
if(NOT AVR_SIZE)
  message(FATAL_ERROR "${NAME}: avr-size not found (Debian package binutils-avr)")
endif()

execute_process(COMMAND "${AVR_SIZE}" -A "${ELF}"
  OUTPUT_VARIABLE size_out ERROR_VARIABLE size_err RESULT_VARIABLE size_rc)
if(NOT size_rc EQUAL 0)
  message(FATAL_ERROR "${NAME}: ${AVR_SIZE} -A ${ELF} failed: ${size_err}")
endif()

# avr-size -A prints one "section  size  addr" line per section.
set(text 0)
set(data 0)
set(bss 0)
set(noinit 0)
string(REPLACE "\n" ";" lines "${size_out}")
foreach(line IN LISTS lines)
  if(line MATCHES "^\\.(text|data|bss|noinit)[ \t]+([0-9]+)")
    set(${CMAKE_MATCH_1} ${CMAKE_MATCH_2})
  endif()
endforeach()
if(text EQUAL 0)
  message(FATAL_ERROR "${NAME}: no .text section in ${ELF}; avr-size said:\n${size_out}")
endif()

math(EXPR flash_used "${text} + ${data}")
math(EXPR sram_used "${data} + ${bss} + ${noinit}")
math(EXPR flash_limit "${FLASH_BYTES} * ${BUDGET_PERCENT} / 100")
math(EXPR sram_limit "${SRAM_BYTES} * ${BUDGET_PERCENT} / 100")

# Percentage with one decimal, in integer arithmetic (rounded to nearest).
function(rollrig_percent used total out)
  math(EXPR tenths "(${used} * 1000 + ${total} / 2) / ${total}")
  math(EXPR whole "${tenths} / 10")
  math(EXPR frac "${tenths} % 10")
  set(${out} "${whole}.${frac} %" PARENT_SCOPE)
endfunction()
rollrig_percent(${flash_used} ${FLASH_BYTES} flash_pct)
rollrig_percent(${sram_used} ${SRAM_BYTES} sram_pct)

message(STATUS "${NAME} (ATmega328P), budget ${BUDGET_PERCENT} % of each:")
message(STATUS "  flash ${flash_used} / ${FLASH_BYTES} bytes (${flash_pct})   .text ${text} + .data ${data}")
message(STATUS "  SRAM  ${sram_used} / ${SRAM_BYTES} bytes (${sram_pct}) static   .data ${data} + .bss ${bss} + .noinit ${noinit}")

set(over "")
if(flash_used GREATER flash_limit)
  string(APPEND over "\n  flash: ${flash_used} bytes used, budget ${flash_limit} bytes (${BUDGET_PERCENT} % of ${FLASH_BYTES})")
endif()
if(sram_used GREATER sram_limit)
  string(APPEND over "\n  SRAM: ${sram_used} bytes of static data, budget ${sram_limit} bytes (${BUDGET_PERCENT} % of ${SRAM_BYTES}; the rest is the stack's)")
endif()
if(over)
  message(FATAL_ERROR "${NAME} is over its budget:${over}\n"
    "Find the big symbols with: avr-nm --size-sort -C -r ${ELF} | head -20")
endif()
