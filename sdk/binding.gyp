{
  "targets": [
    {
      "target_name": "nullspan_fastwrite",
      "sources": ["native/fastwrite.c"],
      "cflags": ["-O2", "-Wall"],
      "defines": ["NAPI_VERSION=8"]
    }
  ]
}
