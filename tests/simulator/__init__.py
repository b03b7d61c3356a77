"""Tests of the local simulator (no Home Assistant)."""
