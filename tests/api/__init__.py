"""Tests of the HA-free API clients."""
