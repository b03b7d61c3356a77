"""Tests of the pure decision logic (no Home Assistant)."""
