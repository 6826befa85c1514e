"""Serve the fake Cloudflare API by hand: `python -m cloudflare_buildlogs.fake_api --help`."""

from .command import main

if __name__ == "__main__":
    main()
