{
  "targets": [
    {
      "target_name": "ebmjs_kernels",
      "sources": ["native/addon.c", "native/conv.c", "native/activations.c", "native/pool.c"],
      "cflags": ["-O3", "-ffp-contract=fast", "-fno-strict-aliasing", "-pthread"],
      "ldflags": ["-pthread"],
      "xcode_settings": { "OTHER_CFLAGS": ["-O3", "-ffp-contract=fast"] }
    }
  ]
}
