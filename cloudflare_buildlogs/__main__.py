"""`python -m cloudflare_buildlogs`: the same program as `cf-buildlogs`."""

from .cli import main

if __name__ == "__main__":
    main()
