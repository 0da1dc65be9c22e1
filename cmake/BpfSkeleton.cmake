# bpf_skeleton(NAME SOURCE): compile SOURCE (a .bpf.c) with clang for the BPF target, CO-RE
# against the vendored vmlinux.h, and generate NAME.skel.h with bpftool. Creates the
# interface target NAME_skel that adds the skeleton's directory to the include path.
find_program(CLANG_EXECUTABLE NAMES clang-14 clang REQUIRED)
find_program(BPFTOOL_EXECUTABLE NAMES bpftool PATHS /usr/sbin /sbin REQUIRED)

set(BPF_ARCH_DIR x86)
set(BPF_TARGET_ARCH __TARGET_ARCH_x86)
set(BPF_VMLINUX_DIR ${PROJECT_SOURCE_DIR}/bpf/vmlinux/${BPF_ARCH_DIR})

function(bpf_skeleton NAME SOURCE)
  set(out_dir ${CMAKE_CURRENT_BINARY_DIR}/bpf)
  set(object ${out_dir}/${NAME}.bpf.o)
  set(skeleton ${out_dir}/${NAME}.skel.h)
  file(MAKE_DIRECTORY ${out_dir})
  if(CONNSCOPE_WERROR)
    set(werror -Werror)
  endif()
  add_custom_command(
    OUTPUT ${object}
    COMMAND ${CLANG_EXECUTABLE} -g -O2 -target bpf -D${BPF_TARGET_ARCH} -Wall ${werror}
            -I${BPF_VMLINUX_DIR} -I${PROJECT_SOURCE_DIR}/bpf
            -MD -MF ${object}.d -c ${SOURCE} -o ${object}
    DEPFILE ${object}.d
    DEPENDS ${SOURCE}
    COMMENT "BPF ${NAME}.bpf.c"
    VERBATIM)
  add_custom_command(
    OUTPUT ${skeleton}
    COMMAND ${BPFTOOL_EXECUTABLE} gen skeleton ${object} name ${NAME}_bpf > ${skeleton}
    DEPENDS ${object}
    COMMENT "skeleton ${NAME}.skel.h"
    VERBATIM)
  add_custom_target(${NAME}_skel_gen DEPENDS ${skeleton})
  add_library(${NAME}_skel INTERFACE)
  add_dependencies(${NAME}_skel ${NAME}_skel_gen)
  target_include_directories(${NAME}_skel INTERFACE ${out_dir} ${PROJECT_SOURCE_DIR}/bpf)
endfunction()
