"""Which connector speaks for which channel, and which simulator imitates it.

Imported lazily by name, so a worker only loads the platforms its shops use.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

from orderhub.channels.base import Connector, Credentials

# channel -> (connector "module:Class", simulator "module:Class")
PLATFORMS: dict[str, tuple[str, str]] = {
    "taobao": ("orderhub.channels.taobao:TaobaoConnector", "orderhub.sim.taobao:TaobaoSim"),
    "jd": ("orderhub.channels.jd:JdConnector", "orderhub.sim.jd:JdSim"),
    "douyin": ("orderhub.channels.douyin:DouyinConnector", "orderhub.sim.douyin:DouyinSim"),
    "pdd": ("orderhub.channels.pdd:PddConnector", "orderhub.sim.pdd:PddSim"),
    "kuaishou": ("orderhub.channels.kuaishou:KuaishouConnector", "orderhub.sim.kuaishou:KuaishouSim"),
    "shopify": ("orderhub.channels.shopify:ShopifyConnector", "orderhub.sim.shopify:ShopifySim"),
}


def _load(path: str) -> Any:
    module, _, name = path.partition(":")
    return getattr(import_module(module), name)


def connector_class(channel: str) -> type[Connector]:
    if channel not in PLATFORMS:
        raise LookupError(f"no connector for channel {channel!r}; pulled channels: {sorted(PLATFORMS)}")
    return _load(PLATFORMS[channel][0])


def simulator_class(channel: str) -> type[Any]:
    if channel not in PLATFORMS:
        raise LookupError(f"no simulator for {channel!r}; one of {sorted(PLATFORMS)}")
    return _load(PLATFORMS[channel][1])


def connector(channel: str, credentials: Credentials, **kwargs: Any) -> Connector:
    return connector_class(channel)(credentials, **kwargs)
