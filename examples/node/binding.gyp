# The addon: src/scope_node.cc over libscope and libscope-enforce, both linked
# statically.  A shared object needs position-independent code, so the
# archives are the repository's own, built with -fPIC into build/node-pic/
# (`make node-lib` at the root; `make node-check` does it).  Build with
#   node-gyp rebuild --nodedir=/usr     (the system's Node headers: no download)
{
  "variables": {
    "scope_root": "<(module_root_dir)/../..",
    "scope_lib_dir%": "<(module_root_dir)/../../build/node-pic"
  },
  "targets": [
    {
      "target_name": "scope",
      "sources": ["src/scope_node.cc"],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")",
        "<(scope_root)/runtime",
        "<(scope_root)/runtime/enforce"
      ],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS", "NODE_ADDON_API_DISABLE_DEPRECATED"],
      "cflags": ["-Wall", "-Wextra", "-Werror", "-O2"],
      "cflags_cc": ["-std=c++17", "-fexceptions", "-Wall", "-Wextra", "-Werror"],
      "cflags_cc!": ["-fno-exceptions"],
      "ldflags": ["-Wl,--exclude-libs,ALL"],
      "libraries": [
        "<(scope_lib_dir)/libscope-enforce.a",
        "<(scope_lib_dir)/libscope.a",
        "-luriparser", "-ljansson", "-lhogweed", "-lnettle", "-lpcre2-8"
      ]
    }
  ]
}
