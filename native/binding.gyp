{
  # The NFQUEUE addon. Built by `npm ci` (package.json "install" script runs node-gyp in native/).
  # Only the kernel's own UAPI headers are needed (linux/netlink.h, linux/netfilter/nfnetlink_queue.h):
  # no libmnl / libnetfilter_queue, so a fresh machine needs nothing beyond what node-gyp needs.
  "targets": [
    {
      "target_name": "quell_nfq",
      "sources": ["src/nfq.cc"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NODE_ADDON_API_DISABLE_DEPRECATED", "NAPI_CPP_EXCEPTIONS"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions"],
      "cflags_cc": ["-std=c++17", "-O2", "-Wall", "-Wextra", "-Wno-unused-parameter"],
      "conditions": [
        ["OS!='linux'", { "type": "none", "sources": [] }]
      ]
    }
  ]
}
