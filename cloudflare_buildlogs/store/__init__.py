"""The local store of finished builds' logs, and reading logs saved to files."""
