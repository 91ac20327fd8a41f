"""Alerts: raise, deliver, escalate and acknowledge alerts (SPEC §7)."""
