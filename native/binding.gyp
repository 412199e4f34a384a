{
  "targets": [
    {
      "target_name": "heddle_native",
      "sources": ["src/shm.c"],
      "cflags": ["-O2", "-Wall"]
    },
    {
      "target_name": "heddle_inprocess",
      "sources": ["src/inprocess_addon.c", "src/inprocess_call.c", "src/inprocess_export.c", "src/inprocess_import.c"],
      "include_dirs": ["include"],
      "cflags": ["-O2", "-Wall"],
      "libraries": ["-ldl", "-lpthread"]
    }
  ]
}
