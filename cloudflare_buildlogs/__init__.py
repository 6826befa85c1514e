"""Read the build logs of Cloudflare Workers Builds."""

__version__ = "0.1.0"
