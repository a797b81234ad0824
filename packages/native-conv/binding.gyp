{
  "targets": [
    {
      "target_name": "ebmjs_conv",
      "sources": ["native/conv.c"],
      "cflags": ["-O3", "-ffp-contract=fast", "-fno-strict-aliasing"],
      "xcode_settings": { "OTHER_CFLAGS": ["-O3", "-ffp-contract=fast"] }
    }
  ]
}
