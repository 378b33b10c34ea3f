{
  "targets": [
    {
      "target_name": "nullspan_probe",
      "sources": ["native/addon.cc", "native/core.c", "native/elfsyms.c"],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")",
        "../bpf",
        "../bpf/.output",
        "/usr/include/<!(uname -m)-linux-gnu"
      ],
      "libraries": ["<!@(pkg-config --libs libbpf)", "<!@(pkg-config --libs libelf)"],
      "cflags": ["-O2", "-Wall"],
      "cflags_c": ["-std=gnu11"],
      "cflags_cc": ["-std=c++17", "-fexceptions"],
      "cflags_cc!": ["-fno-exceptions"],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS"]
    }
  ]
}
