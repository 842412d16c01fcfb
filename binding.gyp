{
  "targets": [
    {
      "target_name": "slipway_native",
      "sources": ["native/slipway_native.c", "native/seqpacket.c", "native/dirstat.c"],
      "cflags": ["-O2", "-Wall", "-Wextra", "-Wno-unused-parameter"],
      "defines": ["NAPI_VERSION=8"]
    }
  ]
}
