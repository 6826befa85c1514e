"""Read the build logs of Cloudflare Workers Builds."""

__version__ = "0.1.0"


def version_line() -> str:
    return f"cf-buildlogs {__version__}"
