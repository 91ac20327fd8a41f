"""Helpers for tests: fixtures shared by modules, and handler modules that worker subprocesses
import through ORDERHUB_PLUGINS (so the handlers exist in the child, not in the test process)."""
