"""What the tool writes: formats, timestamps, the text, json, ndjson and terminal writers,
summaries, tables, the stderr status line, the palette of several Workers.
"""
