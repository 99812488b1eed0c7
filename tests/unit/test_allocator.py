"""kyso.server.allocator: glibc takes the settings (this machine's libc is glibc, as Debian's)."""

from __future__ import annotations

import subprocess
import sys


def test_glibc_takes_the_server_and_worker_settings() -> None:
    """In a fresh interpreter (the settings are process-wide): both calls succeed, and a
    block of 1 MiB is then mmapped (glibc's dynamic threshold would have moved up after the
    first freed one), so freeing it returns it to the OS."""
    code = (
        "from kyso.server import allocator\n"
        "assert allocator.tune_server()\n"
        "assert allocator.one_arena()\n"
        "import ctypes\n"
        "libc = ctypes.CDLL(None)\n"
        "libc.malloc.restype = ctypes.c_void_p\n"
        "libc.malloc_usable_size.argtypes = [ctypes.c_void_p]\n"
        "libc.free.argtypes = [ctypes.c_void_p]\n"
        "for _ in range(3):\n"
        "    p = libc.malloc(1 << 20)\n"
        "    chunk = ctypes.c_size_t.from_address(p - 8).value\n"
        "    assert chunk & 2, 'not mmapped'  # IS_MMAPPED bit of the chunk header\n"
        "    libc.free(p)\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
