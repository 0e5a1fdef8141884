"""Figures of one packet page (filled in by the page's author); see plots/__init__.py."""

from __future__ import annotations

__all__: list[str] = []
