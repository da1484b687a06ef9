{
  "targets": [
    {
      "target_name": "gantry_native",
      "sources": [
        "src/addon.cc",
        "src/thread_pool.cc",
        "src/kernels_generic.cc",
        "src/kernels_avx2.cc",
        "src/kernels_avx512.cc"
      ],
      "cflags": ["-O3", "-ffp-contract=fast", "-fno-math-errno", "-Wno-cast-function-type"],
      "cflags_cc": ["-std=gnu++17"],
      "defines": ["NAPI_VERSION=8"]
    }
  ]
}
