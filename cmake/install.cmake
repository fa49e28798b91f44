# [SECTION] Installing rollrig (cmake --install) and its Debian package (CPack, scripts/package).
#
# FHS places under CMAKE_INSTALL_PREFIX (/usr for the .deb):
#   bin/rollrig, bin/rollrig-gui
#   share/rollrig/firmware/rollrig.hex      what `rollrig flash` uploads (found from bin/../share)
#   lib/udev/rules.d/70-rollrig.rules       udev reads /usr/lib/udev/rules.d; 70 so uaccess works
#   share/applications/io.github.rollrig.rollrig.desktop, share/icons/hicolor/scalable/apps/rollrig.svg
#   share/metainfo/io.github.rollrig.rollrig.metainfo.xml   (AppStream)
#   share/man/man1/rollrig.1, rollrig-gui.1  (help2man, from the programs' own --help)
#   share/bash-completion/completions/rollrig (+ rollrig-gui, a link to it)
#   share/doc/rollrig/                       README, docs/, the protocol, the hardware guide
#
# rollrig-twin is not installed and not packaged: it is a development tool (the firmware in a
# simulator, for tests and the demo), and it links simavr, which is GPL-3.0; shipping it would
# make a package of its own under that licence with its source. rollrig-eval (the analysis's
# evaluation) stays in the build tree too.
include(GNUInstallDirs)

install(TARGETS rollrig RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
if(TARGET rollrig-gui)
  install(TARGETS rollrig-gui RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
endif()
if(TARGET firmware)
  install(FILES ${CMAKE_BINARY_DIR}/firmware/rollrig.hex
          DESTINATION ${CMAKE_INSTALL_DATADIR}/rollrig/firmware)
endif()
install(FILES hardware/99-rollrig.rules DESTINATION lib/udev/rules.d RENAME 70-rollrig.rules)

set(ROLLRIG_APP_ID io.github.rollrig.rollrig)
configure_file(packaging/rollrig.desktop.in ${CMAKE_BINARY_DIR}/packaging/${ROLLRIG_APP_ID}.desktop
               COPYONLY)
configure_file(packaging/${ROLLRIG_APP_ID}.metainfo.xml.in
               ${CMAKE_BINARY_DIR}/packaging/${ROLLRIG_APP_ID}.metainfo.xml @ONLY)
if(TARGET rollrig-gui)
  install(FILES ${CMAKE_BINARY_DIR}/packaging/${ROLLRIG_APP_ID}.desktop
          DESTINATION ${CMAKE_INSTALL_DATADIR}/applications)
  install(FILES packaging/rollrig.svg DESTINATION ${CMAKE_INSTALL_DATADIR}/icons/hicolor/scalable/apps)
  install(FILES ${CMAKE_BINARY_DIR}/packaging/${ROLLRIG_APP_ID}.metainfo.xml
          DESTINATION ${CMAKE_INSTALL_DATADIR}/metainfo)
endif()

install(FILES packaging/rollrig.bash-completion DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions
        RENAME rollrig)
install(CODE "file(CREATE_LINK rollrig
  \"\$ENV{DESTDIR}\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_DATADIR}/bash-completion/completions/rollrig-gui\"
  SYMBOLIC)")

install(FILES README.md firmware/PROTOCOL.md DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(FILES hardware/README.md DESTINATION ${CMAKE_INSTALL_DOCDIR} RENAME HARDWARE.md)
install(DIRECTORY docs/ DESTINATION ${CMAKE_INSTALL_DOCDIR}/docs)

# Man pages from the programs' own --help (help2man, Debian's help2man), so they never lag.
find_program(ROLLRIG_HELP2MAN help2man)
if(ROLLRIG_HELP2MAN)
  set(_man_dir ${CMAKE_BINARY_DIR}/man)
  add_custom_command(
    OUTPUT ${_man_dir}/rollrig.1
    COMMAND ${CMAKE_COMMAND} -E make_directory ${_man_dir}
    COMMAND ${ROLLRIG_HELP2MAN} --no-info --no-discard-stderr --section=1
            --name=pressure-sensing\ ball-rolling\ rig:\ record,\ analyse,\ calibrate,\ flash
            --include=${PROJECT_SOURCE_DIR}/packaging/rollrig.h2m
            --output=${_man_dir}/rollrig.1 $<TARGET_FILE:rollrig>
    COMMAND gzip -9nkf ${_man_dir}/rollrig.1
    DEPENDS rollrig ${PROJECT_SOURCE_DIR}/packaging/rollrig.h2m
    VERBATIM)
  set(_man_pages ${_man_dir}/rollrig.1)
  if(TARGET rollrig-gui)
    add_custom_command(
      OUTPUT ${_man_dir}/rollrig-gui.1
      COMMAND ${CMAKE_COMMAND} -E make_directory ${_man_dir}
      COMMAND ${ROLLRIG_HELP2MAN} --no-info --no-discard-stderr --section=1
              --name=the\ rollrig\ window:\ live\ view,\ sessions,\ history,\ calibration
              --version-string=${PROJECT_VERSION}
              --output=${_man_dir}/rollrig-gui.1 $<TARGET_FILE:rollrig-gui>
      COMMAND gzip -9nkf ${_man_dir}/rollrig-gui.1
      DEPENDS rollrig-gui
      VERBATIM)
    list(APPEND _man_pages ${_man_dir}/rollrig-gui.1)
  endif()
  if(TARGET rollrig-twin)
    # Not installed (see above), but a developer's man page all the same: build/man/rollrig-twin.1.
    add_custom_command(
      OUTPUT ${_man_dir}/rollrig-twin.1
      COMMAND ${CMAKE_COMMAND} -E make_directory ${_man_dir}
      COMMAND ${ROLLRIG_HELP2MAN} --no-info --no-discard-stderr --section=1
              --name=the\ rollrig\ firmware\ in\ simavr,\ on\ a\ pseudo-terminal
              --version-string=${PROJECT_VERSION}
              --output=${_man_dir}/rollrig-twin.1 $<TARGET_FILE:rollrig-twin>
      DEPENDS rollrig-twin
      VERBATIM)
    set(_twin_man ${_man_dir}/rollrig-twin.1)
  endif()
  add_custom_target(man ALL DEPENDS ${_man_pages} ${_twin_man})
  # Debian installs man pages compressed.
  list(TRANSFORM _man_pages APPEND .gz OUTPUT_VARIABLE _man_gz)
  install(FILES ${_man_gz} DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
else()
  message(STATUS "rollrig: help2man not found, so no man pages (apt-get install help2man)")
endif()

# [SECTION] The Debian package
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME rollrig)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "rollrig maintainers <maintainers@rollrig.invalid>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "pressure-sensing ball-rolling rig: live holds, releases, session library")
set(CPACK_PACKAGE_DESCRIPTION
    "rollrig reads a plate on four load cells (HX711, Arduino Uno or Nano firmware included), shows force and ball position live, finds trigger-point holds and their release, keeps every session in a library, and exports CSV. rollrig-gui is the window; rollrig the command line (record, analyze, calibrate, flash, doctor).")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION science)
# The Debian runtime packages actually linked, found by dpkg-shlibdeps; and what is used but not
# linked: the window's font, and (recommended) avrdude for `rollrig flash` and Mesa's drivers.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "fonts-dejavu-core")
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "avrdude, libgl1-mesa-dri")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA ${PROJECT_SOURCE_DIR}/packaging/postinst)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_STRIP_FILES ON)
include(CPack)
