"""Channels: getting orders in from every platform a seller sells on, and answering back.

One connector per platform (`taobao.py`, `jd.py`, `douyin.py`, `pdd.py`, `kuaishou.py`,
`shopify.py`) behind the interface in `base.py`; shops' credentials and pull state
(`models.py`), the pull itself (`sync.py`), pushes (`webhooks.py`), health, spreadsheet import
and SKU mapping. Simulators of each platform live in `orderhub/sim/`.
"""
