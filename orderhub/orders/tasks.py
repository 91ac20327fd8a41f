"""Event handlers and scheduled jobs of the orders capability."""

from __future__ import annotations
