# bt_add_plugin(NAME <so-name> PROTOS <proto> [<proto>...] SOURCES <files...>)
#
# Builds one epan plugin <so-name>.so.  Wireshark wants three exported data
# symbols and plugin_register(), and from 4.4 on plugin_describe() (without
# it `tshark -G plugins` lists the plugin's type as "unknown"); plugin.c is generated from plugin.c.in so each
# plugin registers its proto_register_<proto>/proto_reg_handoff_<proto> pairs
# without a hand-copied registration file.  Built plugins are also copied to
# ${CMAKE_BINARY_DIR}/plugin-dir/<major>.<minor>/epan of the Wireshark found, the layout WIRESHARK_PLUGIN_DIR wants,
# so the tests can load them without installing anything.
set(BT_PLUGIN_DIR ${CMAKE_BINARY_DIR}/plugin-dir/${Wireshark_MAJOR_VERSION}.${Wireshark_MINOR_VERSION}/epan)

function(bt_add_plugin)
  cmake_parse_arguments(P "" "NAME" "PROTOS;SOURCES" ${ARGN})
  set(PLUGIN_DECLS "")
  set(PLUGIN_REGS "")
  foreach(proto ${P_PROTOS})
    string(APPEND PLUGIN_DECLS "void proto_register_${proto}(void);\nvoid proto_reg_handoff_${proto}(void);\n")
    string(APPEND PLUGIN_REGS "    static const proto_plugin plug_${proto} = { proto_register_${proto}, proto_reg_handoff_${proto} };\n    proto_register_plugin(&plug_${proto});\n")
  endforeach()
  set(PLUGIN_VERSION ${PROJECT_VERSION})
  set(PLUGIN_WANT_MAJOR ${Wireshark_MAJOR_VERSION})
  set(PLUGIN_WANT_MINOR ${Wireshark_MINOR_VERSION})
  set(PLUGIN_DESCRIBE "")
  if(Wireshark_VERSION VERSION_GREATER_EQUAL 4.4)
    set(PLUGIN_DESCRIBE "\n#include <wsutil/plugins.h>\nWS_DLL_PUBLIC uint32_t plugin_describe(void);\nuint32_t plugin_describe(void) { return WS_PLUGIN_DESC_DISSECTOR; }\n")
  endif()
  configure_file(${PROJECT_SOURCE_DIR}/cmake/plugin.c.in ${CMAKE_CURRENT_BINARY_DIR}/plugin.c @ONLY)

  add_library(${P_NAME} MODULE ${CMAKE_CURRENT_BINARY_DIR}/plugin.c ${P_SOURCES})
  set_target_properties(${P_NAME} PROPERTIES PREFIX "")
  target_include_directories(${P_NAME} PRIVATE ${CMAKE_CURRENT_SOURCE_DIR} ${PROJECT_SOURCE_DIR}/plugins)
  target_link_libraries(${P_NAME} PRIVATE epan btcommon)
  add_custom_command(TARGET ${P_NAME} POST_BUILD
    COMMAND ${CMAKE_COMMAND} -E make_directory ${BT_PLUGIN_DIR}
    COMMAND ${CMAKE_COMMAND} -E copy $<TARGET_FILE:${P_NAME}> ${BT_PLUGIN_DIR}/)
  install(TARGETS ${P_NAME} LIBRARY DESTINATION ${Wireshark_PLUGIN_INSTALL_DIR}/epan)
endfunction()
