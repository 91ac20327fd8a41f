"""Per-shop field overrides: a shop that keeps its SKU codes or remarks elsewhere in the
platform's payload says where, without code (SPEC §3)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from typer.testing import CliRunner

from orderhub.channels import service, sync
from orderhub.cli import app as cli_app
from orderhub.core.db import unit_of_work
from orderhub.core.errors import InvalidInput
from tests.builders import TEST_ACTOR
from tests.channels.conftest import ALL_PLATFORMS, stored_orders

# Where each platform keeps its own SKU id: a shop that never filled in merchant codes maps
# by those instead.
PLATFORM_SKU_ID = {"taobao": "sku_id", "jd": "skuId", "douyin": "sku_id", "pdd": "sku_id",
                   "kuaishou": "skuId", "shopify": "variant_id"}


@pytest.mark.parametrize("channel", ALL_PLATFORMS)
def test_a_shop_reads_its_sku_code_from_another_field(channel, make_sim, add_shop,
                                                      committed) -> None:
    sim = make_sim(channel)
    now = datetime.now(UTC)
    sim.generate(4, start=now - timedelta(minutes=30), end=now - timedelta(seconds=5),
                 unpaid_share=0)
    plain = add_shop(channel, sim, name="plain")
    custom = add_shop(channel, sim, name="custom",
                      field_overrides={"lines.platform_sku": PLATFORM_SKU_ID[channel],
                                       "seller_memo": "'来自覆盖'"})
    for shop_id in (plain, custom):
        assert sync.pull_shop(committed, shop_id=shop_id).outcome == "ok"
    before, after = stored_orders(committed, plain), stored_orders(committed, custom)
    assert set(before) == set(after) and before
    for key, order in after.items():
        assert order.seller_memo == "来自覆盖"
        skus_before = [line.platform_sku for line in before[key].lines]
        skus_after = [line.platform_sku for line in order.lines]
        assert skus_after != skus_before and all(skus_after)


def test_an_unknown_field_or_a_bad_expression_is_refused(session) -> None:
    with pytest.raises(InvalidInput, match="cannot be overridden"):
        service.add_shop(session, name="x", channel="taobao", actor=TEST_ACTOR,
                         field_overrides={"total": "payment"})
    with pytest.raises(InvalidInput, match="not a JMESPath expression"):
        service.add_shop(session, name="y", channel="taobao", actor=TEST_ACTOR,
                         field_overrides={"buyer_remark": "orders.[["})


def test_cli_sets_overrides(committed) -> None:
    runner = CliRunner()
    added = runner.invoke(cli_app, ["shops", "add", "--channel", "taobao", "--name", "tb-o",
                                    "--override", "lines.platform_sku=outer_iid"])
    assert added.exit_code == 0, added.output
    with unit_of_work(committed) as session:
        _, account = service.shop_account(session, "tb-o")
        assert account.field_overrides == {"lines.platform_sku": "outer_iid"}
