"""Rendering: timestamps, escape-sequence safety, the three formats, --tail."""

from __future__ import annotations

import io
import json

import pytest

from cloudflare_buildlogs.analysis.phases import Tracker
from cloudflare_buildlogs.analysis.untrusted import (
    _ESCAPES,
    sanitize,
    shown_frame,
    strip_escapes,
    uncolored,
)
from cloudflare_buildlogs.fake_api import RealisticLines
from cloudflare_buildlogs.models import PageLines, parse_line, parse_lines
from cloudflare_buildlogs.output.formats import OutputFormat, make_writer
from cloudflare_buildlogs.output.timestamps import Stamper, TimestampMode
from cloudflare_buildlogs.output.writers import (
    BuildEnd,
    JsonWriter,
    NdjsonWriter,
    TailBuffer,
    TextWriter,
)

EPOCH = 1636472400


def stamp(mode: TimestampMode, raw: list[object], origin: float | None = None) -> str:
    stamper = Stamper(mode)
    stamper.origin = origin
    return stamper(parse_line(raw))


def test_utc_and_epoch_forms_of_the_contract_example() -> None:
    assert stamp(TimestampMode.UTC, [EPOCH, "x"]) == "2021-11-09T15:40:00Z"
    assert stamp(TimestampMode.EPOCH, [EPOCH, "x"]) == "1636472400"
    assert stamp(TimestampMode.EPOCH, [EPOCH + 0.25, "x"]) == "1636472400.25"


def test_milliseconds_show_where_the_api_gives_them() -> None:
    assert stamp(TimestampMode.UTC, [EPOCH * 1000 + 123, "x"]) == "2021-11-09T15:40:00.123Z"
    assert stamp(TimestampMode.UTC, [EPOCH * 1000 + 999.9999, "x"]) == "2021-11-09T15:40:01.000Z"
    assert stamp(TimestampMode.EPOCH, [EPOCH * 1000 + 123, "x"]) == "1636472400123"


@pytest.mark.parametrize(
    ("offset", "expected"),
    [(0, "+00:00"), (42, "+00:42"), (3723, "+1:02:03"), (-5, "-00:05")],
)
def test_elapsed_counts_from_the_first_line(offset: int, expected: str) -> None:
    assert stamp(TimestampMode.ELAPSED, [EPOCH + offset, "x"], origin=EPOCH) == expected


def test_elapsed_origin_is_the_first_usable_line() -> None:
    stamper = Stamper(TimestampMode.ELAPSED)
    lines = parse_lines([["bad", "a"], [EPOCH + 10, "b"], [EPOCH + 52, "c"]])
    assert [stamper(line) for line in lines] == ["?", "+00:00", "+00:42"]


@pytest.mark.parametrize("mode", list(TimestampMode))
def test_a_second_alone_is_stamped_as_its_line_is(mode: TimestampMode) -> None:
    """`Stamper.second`, the text writer's way on a cache miss, against the line's way: at the
    edges of whole seconds since 1970 (below them, milliseconds past them), on a fresh stamper
    and on one whose cache has the second."""
    edges = [0, 1, EPOCH, EPOCH + 59, EPOCH + 60, 10**11, 10**11 + 1, EPOCH * 1000, -1, 10**30]
    for seconds in edges:
        line, fresh = parse_line([seconds, "x"]), Stamper(mode)
        assert fresh.second(seconds) == Stamper(mode)(line), seconds
        assert fresh.cached(seconds) in (None, fresh(line))
        assert fresh.second(seconds) == fresh(line), seconds


def test_unusable_timestamps_show_as_question_mark() -> None:
    for mode in (
        TimestampMode.LOCAL,
        TimestampMode.UTC,
        TimestampMode.EPOCH,
        TimestampMode.ELAPSED,
    ):
        assert stamp(mode, ["x", "y"]) == "?"
    assert stamp(TimestampMode.UTC, [float("inf"), "y"]) == "?"


def test_sanitize_keeps_only_colour_and_only_when_allowed() -> None:
    red = "\x1b[31merror\x1b[0m"
    assert sanitize(red, keep_color=True) == red + "\x1b[0m"
    assert sanitize(red, keep_color=False) == "error"
    assert (
        sanitize("plain [webpack] text\twith tab", keep_color=False)
        == "plain [webpack] text\twith tab"
    )


@pytest.mark.parametrize(
    "hostile",
    [
        "\x1b]0;pwned title\x07",  # OSC window title
        "\x1b]52;c;ZXZpbA==\x07",  # OSC 52 clipboard write
        "\x1b]8;;http://evil\x1b\\",  # OSC hyperlink with ST
        "\x1b[2J\x1b[H",  # clear screen, cursor home
        "\x1b[1A\x1b[K",  # cursor up, erase line
        "\x1bPq#0;2;0;0;0\x1b\\",  # DCS (sixel)
        "\x9b31m",  # 8-bit CSI
        "\x07\x08\x7f\x00",  # bell, backspace, delete, NUL
        "\r",  # carriage return: overwrites the line
        "\x1bc",  # ESC c: full terminal reset
    ],
)
def test_no_control_sequence_but_colour_survives(hostile: str) -> None:
    for keep in (True, False):
        cleaned = sanitize(f"before{hostile}after", keep_color=keep)
        assert cleaned.replace("\x1b[0m", "") == "beforeafter"


def test_a_lone_escape_at_the_end_goes() -> None:
    assert sanitize("x\x1b", keep_color=True) == "x"


def test_inner_line_breaks_stay_and_a_trailing_one_goes() -> None:
    assert sanitize("one\ntwo\r\n", keep_color=False) == "one\ntwo"


def test_text_writer_formats_and_dims_timestamps_with_colour() -> None:
    out = io.StringIO()
    writer = TextWriter(out, TimestampMode.UTC, color=True)
    writer.write(parse_lines([[EPOCH, "\x1b[32mok\x1b[0m"]]))
    assert out.getvalue() == "\x1b[2m2021-11-09T15:40:00Z\x1b[0m  \x1b[32mok\x1b[0m\x1b[0m\n"
    plain = io.StringIO()
    TextWriter(plain, TimestampMode.NONE, color=False).write(parse_lines([[EPOCH, "\x1b[32mok"]]))
    assert plain.getvalue() == "ok\n"


def at(line: int, phase: str = "initialize") -> dict[str, object]:
    """The fields a tracked line adds to its JSON record (README, "When a build fails")."""
    return {"line": line, "phase": phase}


def test_json_writer_streams_one_valid_document() -> None:
    out = io.StringIO()
    writer, track = JsonWriter(out, "uuid-1"), Tracker().track
    assert out.getvalue().startswith('{"build_uuid": "uuid-1", "lines": [')
    writer.write(track(parse_lines([[EPOCH, "a"], ["x", 7]])))
    writer.write(track(parse_lines([[EPOCH * 1000 + 5, "\x1b[31mb\x1b[0m"]])))
    writer.close()
    doc = json.loads(out.getvalue())
    assert doc == {
        "build_uuid": "uuid-1",
        "lines": [
            {"timestamp": "2021-11-09T15:40:00Z", "epoch": EPOCH, "message": "a", **at(1)},
            {"timestamp": None, "epoch": None, "message": "7", **at(2)},
            {
                "timestamp": "2021-11-09T15:40:00.005Z",
                "epoch": EPOCH * 1000 + 5,
                "message": "\x1b[31mb\x1b[0m",
                **at(3),
            },
        ],
    }


def test_json_writer_with_no_lines_is_still_valid() -> None:
    out = io.StringIO()
    JsonWriter(out, "u").close()
    assert json.loads(out.getvalue()) == {"build_uuid": "u", "lines": []}


def test_json_writer_adds_the_outcome_when_the_end_is_known() -> None:
    out = io.StringIO()
    writer = JsonWriter(out, "u")
    writer.write(Tracker().track(parse_lines([[EPOCH, "a"]])))
    writer.close(BuildEnd("u", "stopped", "fail", 1))
    doc = json.loads(out.getvalue())
    assert (doc["status"], doc["outcome"], len(doc["lines"])) == ("stopped", "fail", 1)


def test_ndjson_writes_one_object_a_line_and_the_end_record() -> None:
    out = io.StringIO()
    writer = NdjsonWriter(out)
    writer.write(Tracker().track(parse_lines([[EPOCH, "a"], [float("nan"), "b"]])))
    writer.close(BuildEnd("u", "stopped", "fail", 2))
    records = [json.loads(line) for line in out.getvalue().splitlines()]
    assert records == [
        {
            "type": "line",
            "timestamp": "2021-11-09T15:40:00Z",
            "epoch": EPOCH,
            "message": "a",
            **at(1),
        },
        {"type": "line", "timestamp": None, "epoch": None, "message": "b", **at(2)},
        {"type": "end", "build_uuid": "u", "status": "stopped", "outcome": "fail", "lines": 2},
    ]


@pytest.mark.parametrize("fmt", list(OutputFormat))
def test_every_format_has_a_writer(fmt: OutputFormat) -> None:
    out = io.StringIO()
    writer = make_writer(fmt, out, build_uuid="u", mode=TimestampMode.UTC, color=False, flush=False)
    writer.write(Tracker().track(parse_lines([[EPOCH, "hello"]])))
    writer.close()
    assert "hello" in out.getvalue()


def test_tail_keeps_only_the_last_lines_and_elapsed_counts_from_the_very_first() -> None:
    out = io.StringIO()
    writer = TextWriter(out, TimestampMode.ELAPSED, color=False)
    tail = TailBuffer(writer, 2)
    for start in range(0, 1000, 100):
        tail.write(parse_lines([[EPOCH + i, f"line {i}"] for i in range(start, start + 100)]))
        assert len(tail.buffer) <= 2
    tail.release()
    assert out.getvalue() == "+16:38  line 998\n+16:39  line 999\n"


def test_tail_zero_prints_nothing() -> None:
    out = io.StringIO()
    tail = TailBuffer(TextWriter(out, TimestampMode.NONE, color=False), 0)
    tail.write(parse_lines([[EPOCH, "a"]]))
    tail.release()
    assert out.getvalue() == ""


@pytest.mark.parametrize("color", [False, True])
@pytest.mark.parametrize("stamps", [TimestampMode.UTC, TimestampMode.NONE])
def test_each_line_of_a_mixed_page_is_written_as_if_alone(
    color: bool, stamps: TimestampMode
) -> None:
    """The per-line path: a page of plain, coloured, hostile and odd lines renders each line
    exactly as a page of that line alone would."""
    messages = ["plain [x]", "\x1b[32mgreen\x1b[0m", "ünï ⚡", "bell\x07 cr\r title\x1b]0;t\x07",
                "ends\n", "in\nside", "\x1b[2J\x1b[Hcleared", "", "\t tab"]  # fmt: skip
    raw = [[EPOCH + i, m] for i, m in enumerate(messages)]
    for order in (raw, raw[::-1], [r for r in raw if "\x07" not in r[1]]):
        out = io.StringIO()
        TextWriter(out, stamps, color).write(parse_lines(order))
        alone = io.StringIO()
        for line in order:
            TextWriter(alone, stamps, color).write(parse_lines([line]))
        assert out.getvalue() == alone.getvalue()


@pytest.mark.parametrize("zone", ["UTC", "Asia/Kolkata", "Europe/Amsterdam", "America/St_Johns"])
def test_local_time_matches_the_c_library_across_minutes_dst_and_odd_offsets(
    zone: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import time

    monkeypatch.setenv("TZ", zone)
    time.tzset()
    try:
        stamper = Stamper(TimestampMode.LOCAL)
        # Across a minute, a DST change (2021-10-31 in Europe), and 1900 (local mean time).
        instants = [EPOCH + i for i in range(-61, 61, 7)] + [
            1635642000 + i for i in range(-90, 90, 13)
        ]
        instants += [-2208988800 + i for i in range(0, 200, 37)]
        for instant in instants:
            expected = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(instant))
            assert stamper(parse_line([instant, "x"])) == expected, instant
    finally:
        monkeypatch.undo()
        time.tzset()


# Lines that need cleaning, each a trap for the shortcut that removes colour alone.
NEEDS_CARE = [
    "\x1b[33m▲ \x1b[43;33m[\x1b[43;30mWARNING\x1b[43;33m]\x1b[0m \x1b[1mkey\x1b[0m",
    "\x1b[1;2:3mcolon params\x1b[m",
    "\x1b[33 mspace before the final byte",
    "\x1b\x1b[33mtwo escapes",
    "\x1b]0;title\x07\x1b[31mred",
    "\x1bXsos string\x1b\\ then \x1b[32mgreen",
    "\x9b31m8-bit CSI",
    "\x1b[31mred\r\x1b[32mgreen\r",
    "\x1b[31mred\nsecond line",
    "tab\there \x1b[0m",
    "\x1b[31m\u202egnp.exe",
    "\x1b[31mtrailing\n",
    "\x1b[",
    "\x1b[31",
    "no escape \u00a0 but a no-break space",
]


def test_removing_colour_alone_is_sanitizing_where_it_answers() -> None:
    messages = NEEDS_CARE + [m for _, m in RealisticLines(2000)[:] if not m.isprintable()]
    answered = 0
    for message in messages:
        plain = uncolored(message)
        if plain.isprintable():
            answered += 1
            assert plain == sanitize(shown_frame(message), False), message
        expected = sanitize(shown_frame(message), False).replace("\n", "\n1970-01-01T00:00:01Z  ")
        for mode, lead in ((TimestampMode.NONE, ""), (TimestampMode.UTC, "1970-01-01T00:00:01Z  ")):
            out = io.StringIO()  # each branch of the writer: with a timestamp and without
            TextWriter(out, mode, color=False).write(parse_lines([[1, message], [1, message]]))
            shown = f"{lead}{expected if lead else sanitize(shown_frame(message), False)}\n"
            assert out.getvalue() == shown * 2, message
    assert answered > len(messages) // 2  # the shortcut is taken on most coloured lines


def test_stripping_escapes_takes_the_colour_pattern_only_where_it_gives_the_same() -> None:
    messages = NEEDS_CARE + [m for _, m in RealisticLines(2000)[:] if not m.isprintable()]
    messages += ["\x1b[31mEr\u200bror\x1b[0m", "\x1b[1mx\x9b31m", "\x1b[31m\x1b]0;title\x07"]
    for message in messages:
        assert strip_escapes(message) == _ESCAPES.sub("", message), message


def test_removing_colour_alone_answers_for_colour_only() -> None:
    assert uncolored(NEEDS_CARE[0]) == "▲ [WARNING] key"
    assert uncolored(NEEDS_CARE[1]) == "colon params"
    assert [uncolored(m).isprintable() for m in NEEDS_CARE[2:]] == [False] * (len(NEEDS_CARE) - 2)


# Pages whose lines are not all the usual pair: the text writer must print them exactly as
# their parsed lines print. Second 1 is cached first, so a float, a bool or a string equal to
# it would pass for it if the writer looked it up by value alone.
ODD_PAGES: list[list[object]] = [
    [[1, "one"], [1.0, "a float equal to a cached second"], [1, "x"]],
    [[1, "one"], [True, "a bool equal to a cached second"], [False, "zero"]],
    [[1, "one"], ["ab"], "ab", {"a": 1, "b": 2}, [1, "x"]],
    [[1, "one"], [1, 2, 3], [1], [], [None, "no time"], [1, None], [1, 5]],
    [[1, "one"], [EPOCH * 1000 + 5, "milliseconds"], [-5, "before 1970"], [10**30, "far"]],
    [[1, "one"], [1, ["nested", {"k": "v"}]], [1, "\x1b[31mred\x1b[0m"], [1, "a\r\nb\nc"]],
    [[1.5, "a float first"], [1, "then the usual"]],
    [["1", "a string time"], [1, "\u202etrap"], [1, "tab\there"]],
    [[1, "one"], ["1", "a string time and a carriage return\r"], "x\r"],
]
RAW_PAGES = [[list(line) for line in RealisticLines(3000)[:][i : i + 1000]] for i in (0, 1000)]


@pytest.mark.parametrize("mode", list(TimestampMode))
@pytest.mark.parametrize("flags", [{}, {"color": True}, {"prefix": "w  "}])
def test_a_page_as_sent_prints_as_its_parsed_lines_print(
    mode: TimestampMode, flags: dict[str, object]
) -> None:
    for pages in (RAW_PAGES, ODD_PAGES):
        outs = []
        for as_sent in (True, False):
            out, kwargs = io.StringIO(), {"color": False, **flags}
            writer = TextWriter(out, mode, **kwargs)
            for raw in pages:
                lines = PageLines(json.loads(json.dumps(raw)))
                if as_sent:
                    writer.write_page(lines)
                else:
                    writer.write(lines.parsed)
            outs.append((out.getvalue(), writer.count))
        assert outs[0] == outs[1]
        assert outs[0][0].count("\n") >= sum(map(len, pages))


def test_the_usual_page_is_printed_without_being_parsed() -> None:
    writer = TextWriter(io.StringIO(), TimestampMode.UTC, color=False)
    usual, odd = PageLines(RAW_PAGES[0]), PageLines(ODD_PAGES[0])
    writer.write_page(usual)
    writer.write_page(odd)
    assert usual._parsed is None and odd._parsed is not None
    assert writer.count == len(RAW_PAGES[0]) + len(ODD_PAGES[0])
