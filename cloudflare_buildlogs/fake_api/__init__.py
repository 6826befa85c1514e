"""A fake Cloudflare API: a real HTTP server on 127.0.0.1, faithful to the official schema.

Serves the endpoints cf-buildlogs uses, checks credentials like Cloudflare does, pages logs
with an opaque cursor, plays builds that are still running, and misbehaves on request (429,
5xx, an HTML error page, dropped connections, slow or malformed answers, `success: false`,
endless or looping cursors). The test suite, the benchmark and `cf-buildlogs demo` run on it.
Standard library only.

    python -m cloudflare_buildlogs.fake_api --lines 200000   # serve a big build by hand
"""

from .command import main
from .demo import (
    _DEMO_FAILED_DEPLOY,
    _DEMO_FAILED_LOG,
    _DEMO_LOG,
    _iso,
    demo_state,
)
from .lines import (
    ADVERSARIAL_BUILD,
    GeneratedLines,
    RealisticLines,
    adversarial_lines,
    generated_uuid,
)
from .server import (
    _ROUTES,
    FakeServer,
    Handler,
    Reply,
    serve,
)
from .state import (
    BASE_PATH,
    DEFAULT_TRIGGER,
    DEMO_ACCOUNT,
    DEMO_BUILD,
    DEMO_FAILED_BUILD,
    DEMO_TOKEN,
    DEMO_WORKER_TAG,
    PREVIEW_TRIGGER,
    START_EPOCH,
    FakeBuild,
    Fault,
    Live,
    State,
    Token,
    _times,
    build_json,
    build_status,
    decode_cursor,
    default_triggers,
    encode_cursor,
    envelope,
    log_page,
    paged,
)

__all__ = [
    "ADVERSARIAL_BUILD",
    "BASE_PATH",
    "DEFAULT_TRIGGER",
    "DEMO_ACCOUNT",
    "DEMO_BUILD",
    "DEMO_FAILED_BUILD",
    "DEMO_TOKEN",
    "DEMO_WORKER_TAG",
    "PREVIEW_TRIGGER",
    "START_EPOCH",
    "_DEMO_FAILED_DEPLOY",
    "_DEMO_FAILED_LOG",
    "_DEMO_LOG",
    "_ROUTES",
    "FakeBuild",
    "FakeServer",
    "Fault",
    "GeneratedLines",
    "Handler",
    "Live",
    "RealisticLines",
    "Reply",
    "State",
    "Token",
    "_iso",
    "_times",
    "adversarial_lines",
    "build_json",
    "build_status",
    "decode_cursor",
    "default_triggers",
    "demo_state",
    "encode_cursor",
    "envelope",
    "generated_uuid",
    "log_page",
    "main",
    "paged",
    "serve",
]
