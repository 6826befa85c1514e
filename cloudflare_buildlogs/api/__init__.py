"""The Cloudflare API: an httpx client in, models out, typed errors, retries."""

from .answers import Envelope
from .client import USER_AGENT, Client

__all__ = ["USER_AGENT", "Client", "Envelope"]
