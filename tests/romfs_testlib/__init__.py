"""Shared helpers for romfs's tests (standard library only)."""
