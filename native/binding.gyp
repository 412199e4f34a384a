{
  "targets": [
    {
      "target_name": "heddle_native",
      "sources": ["src/shm.c"],
      "cflags": ["-O2", "-Wall"]
    }
  ]
}
