"""The Cloudflare API: an httpx client in, models out, typed errors, retries."""

from .client import USER_AGENT, Client, Envelope

__all__ = ["USER_AGENT", "Client", "Envelope"]
