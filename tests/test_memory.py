"""The entry point keeps two habits of the memory underneath off every page of a read
(cloudflare_buildlogs/__main__.py): each test runs a fresh interpreter, counts the page faults
of a loop that meets the habit, and shows the count without the remedy (so the test can fail)
and with it."""

from __future__ import annotations

import platform
import subprocess
import sys

import pytest

CPYTHON_311 = sys.implementation.name == "cpython" and sys.version_info >= (3, 11)
LINUX = sys.platform.startswith("linux")


def faults(script: str) -> tuple[int, int]:
    """The two fault counts the script prints: without the remedy, then with it."""
    head = (
        "import resource\n"
        "def faults(loop):\n"
        "    start = resource.getrusage(resource.RUSAGE_SELF).ru_minflt\n"
        "    loop()\n"
        "    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - start\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", head + script], capture_output=True, text=True, check=True
    )
    without, with_remedy = done.stdout.split()
    return int(without), int(with_remedy)


@pytest.mark.skipif(not (CPYTHON_311 and LINUX), reason="CPython 3.11+'s frame chunks, on Linux")
def test_the_command_frame_keeps_deep_calls_in_one_chunk() -> None:
    """A call 400 frames deep crosses the first 16 KiB chunk of frames: each time, CPython
    3.11 maps a chunk, faults its pages and unmaps it on the way back. From `_in_room`'s frame,
    the calls fit in the chunk it took."""
    without, with_room = faults(
        "from cloudflare_buildlogs.__main__ import _in_room\n"
        "def deep(n):\n"
        "    return deep(n - 1) if n else 0\n"
        "def loop():\n"
        "    for _ in range(500):\n"
        "        deep(400)\n"
        "    return 0\n"
        "print(faults(loop), _in_room(lambda: faults(loop)))\n"
    )
    assert without >= 1000, without  # a chunk or two mapped and faulted at every call
    assert with_room < 50, with_room


@pytest.mark.skipif(
    not (LINUX and platform.libc_ver()[0] == "glibc"), reason="glibc's mmap threshold"
)
def test_page_sized_buffers_come_from_the_heap_once_the_threshold_is_raised() -> None:
    """Encoding a page of non-ASCII text asks for three bytes a character (300 KiB here):
    above glibc's first threshold, mapped and faulted anew each time. After
    `_raise_mmap_threshold` the blocks come from the heap and are reused."""
    without, raised = faults(
        "from cloudflare_buildlogs.__main__ import _raise_mmap_threshold\n"
        "page = 'é─' * 50_000\n"
        "def loop():\n"
        "    for _ in range(100):\n"
        "        page.encode()\n"
        "first = faults(loop)\n"
        "_raise_mmap_threshold()\n"
        "faults(loop)  # the heap grows once\n"
        "print(first, faults(loop))\n"
    )
    if without < 2000:
        pytest.skip(f"this interpreter's malloc did not map the blocks ({without} faults)")
    assert raised < 100, raised
