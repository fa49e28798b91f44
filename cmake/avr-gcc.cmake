# CMake toolchain file: avr-gcc for an Arduino Uno / Nano (ATmega328P at 16 MHz).
#
#   cmake -S firmware -B build-fw -G Ninja -DCMAKE_TOOLCHAIN_FILE=cmake/avr-gcc.cmake
#
# (The top-level project does this for you through ExternalProject; see firmware/CMakeLists.txt.)
# Debian 12 packages: gcc-avr binutils-avr avr-libc (and arduino-core-avr for the core itself).
#
# The flags mirror the Arduino IDE's platform.txt for arduino:avr so that a CMake build and an
# IDE build of the same sketch behave the same: -Os, LTO, one section per function/object so the
# linker can drop what is unused, no exceptions, no thread-safe statics (no threads here).

set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR avr)

find_program(AVR_GCC avr-gcc)
find_program(AVR_GXX avr-g++)
# With -flto the archives hold GIMPLE, not machine code: the plain avr-ar/avr-ranlib cannot index
# them, so a static library would look empty to the linker. The gcc-* wrappers load the plugin.
find_program(AVR_GCC_AR avr-gcc-ar)
find_program(AVR_GCC_RANLIB avr-gcc-ranlib)
find_program(AVR_OBJCOPY avr-objcopy)
find_program(AVR_SIZE avr-size)
foreach(tool AVR_GCC AVR_GXX AVR_GCC_AR AVR_GCC_RANLIB AVR_OBJCOPY AVR_SIZE)
  if(NOT ${tool})
    message(FATAL_ERROR
      "rollrig firmware: ${tool} not found. On Debian 12: apt-get install gcc-avr binutils-avr avr-libc")
  endif()
endforeach()

set(CMAKE_C_COMPILER ${AVR_GCC})
set(CMAKE_CXX_COMPILER ${AVR_GXX})
set(CMAKE_ASM_COMPILER ${AVR_GCC})
set(CMAKE_AR ${AVR_GCC_AR} CACHE FILEPATH "LTO-aware archiver" FORCE)
set(CMAKE_RANLIB ${AVR_GCC_RANLIB} CACHE FILEPATH "LTO-aware ranlib" FORCE)
set(CMAKE_OBJCOPY ${AVR_OBJCOPY} CACHE FILEPATH "" FORCE)
set(CMAKE_SIZE ${AVR_SIZE} CACHE FILEPATH "" FORCE)

# The board. ARDUINO is the IDE version the core expects (Debian 12's IDE is 1.8.19, which ships
# the arduino-core-avr 1.8.x packaged here); ARDUINO_AVR_UNO matches the IDE's "Arduino Uno"
# board (a Nano with an ATmega328P is the same chip and clock).
set(ROLLRIG_AVR_MCU atmega328p)
set(ROLLRIG_AVR_F_CPU 16000000L)
set(_rollrig_avr_common
  "-mmcu=${ROLLRIG_AVR_MCU} -DF_CPU=${ROLLRIG_AVR_F_CPU} -DARDUINO=10819 -DARDUINO_AVR_UNO -DARDUINO_ARCH_AVR")

set(CMAKE_C_FLAGS_INIT "${_rollrig_avr_common} -Os -g -flto -ffunction-sections -fdata-sections")
set(CMAKE_CXX_FLAGS_INIT
  "${_rollrig_avr_common} -Os -g -flto -ffunction-sections -fdata-sections -fno-exceptions -fno-threadsafe-statics")
set(CMAKE_ASM_FLAGS_INIT "${_rollrig_avr_common} -g -flto")
# The compile flags (with -mmcu, -Os and -flto) are repeated on the link line by CMake; LTO
# code generation happens there, in the linker plugin.
set(CMAKE_EXE_LINKER_FLAGS_INIT "-fuse-linker-plugin -Wl,--gc-sections")

# CMake checks the compiler by building a static library, not by linking a program for a board.
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)

# Search the host for programs only, never for AVR headers or libraries.
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
