"""Tracking: Kuaidi100 subscriptions, their signed pushes and the query fallback (issue 6 item 7)."""
