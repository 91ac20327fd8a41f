"""Console pages of the master data: SKU list/search/pages, SKU editor, bundle components,
SKU import, warehouse list and editor; permissions, CSRF and inline errors."""

from __future__ import annotations

import io

from openpyxl import Workbook

from orderhub.core.db import unit_of_work
from orderhub.inventory import masterdata, service
from tests.builders import TEST_ACTOR
from tests.web.conftest import csrf_from, log_in


def _skus(*codes: str) -> None:
    with unit_of_work() as session:
        for code in codes:
            service.upsert_sku(session, code=code, name=f"商品{code}", category="外套" if "C" in code else "配件",
                               actor=TEST_ACTOR)


def _sku_id(code: str) -> int:
    with unit_of_work() as session:
        return masterdata.sku_by_code(session, code).id


def test_sku_list_search_pages_and_both_languages(client):
    _skus(*(f"C-{i:03d}" for i in range(55)), "GLOVE")
    log_in(client, "viewer1", "viewer")
    page = client.get("/inventory/skus")
    assert page.status_code == 200 and "C-000" in page.text and "C-049" in page.text
    assert "C-050" not in page.text and "page=2" in page.text
    assert "新建商品" not in page.text and "sku-import" not in page.text  # a viewer only reads
    second = client.get("/inventory/skus", params={"page": 2})
    assert "C-050" in second.text and "GLOVE" in second.text and "C-000" not in second.text
    by_category = client.get("/inventory/skus", params={"q": "配件"})
    assert "GLOVE" in by_category.text and "C-001" not in by_category.text
    client.cookies.set("orderhub_lang", "en")
    english = client.get("/inventory/skus", params={"q": "GLOVE"})
    assert "SKU code" in english.text and "Purchase-limited" not in english.text


def test_sku_create_edit_and_errors(client):
    log_in(client, "ops1", "ops")
    token = csrf_from(client, "/inventory/skus/new")
    form = {"code": "COAT-L", "name": "羽绒服 L", "category": "外套", "barcode": "6901234567890",
            "weight_g": "850", "purchase_limited": "on", "active": "on", "csrf_token": token}
    r = client.post("/inventory/skus", data=form, follow_redirects=True)
    assert r.status_code == 200 and "商品 COAT-L 已保存" in r.text
    with unit_of_work() as session:
        sku = masterdata.sku_by_code(session, "COAT-L")
        assert (sku.weight_g, sku.purchase_limited, sku.presale, sku.active) == (850, True, False, True)
    again = client.post("/inventory/skus", data=form)
    assert again.status_code == 422 and "商品编码 COAT-L 已存在" in again.text
    bad = client.post("/inventory/skus", data=form | {"code": "COAT-XL", "weight_g": "重"})
    assert bad.status_code == 422 and "weight_g" in bad.text and 'value="COAT-XL"' in bad.text
    no_name = client.post(f"/inventory/skus/{sku.id}", data=form | {"name": " "})
    assert no_name.status_code == 422 and "name is required" in no_name.text
    r = client.post(f"/inventory/skus/{sku.id}", data={**form, "name": "羽绒服 L 黑", "active": ""},
                    follow_redirects=True)
    assert "羽绒服 L 黑" in r.text
    with unit_of_work() as session:
        assert masterdata.sku_by_code(session, "COAT-L").active is False
    assert client.post("/inventory/skus", data=form | {"code": "X", "csrf_token": "forged"}).status_code == 403


def test_sku_pages_refuse_roles_without_manage(client):
    _skus("A")
    log_in(client, "cs1", "cs")
    assert client.get("/inventory/skus/new").status_code == 403
    page = client.get(f"/inventory/skus/{_sku_id('A')}")
    assert page.status_code == 200 and "disabled" in page.text and "保存组合明细" not in page.text
    token = csrf_from(client, "/inventory/skus")
    r = client.post("/inventory/skus", data={"code": "B", "name": "B", "csrf_token": token})
    assert r.status_code == 403
    assert client.post(f"/inventory/skus/{_sku_id('A')}/components",
                       data={"component": "A", "ratio": "1", "csrf_token": token}).status_code == 403


def test_bundle_components_add_remove_and_errors(client):
    _skus("SET", "COAT", "GLOVE", "HAT")
    log_in(client, "wh1", "warehouse")
    sid = _sku_id("SET")
    url = f"/inventory/skus/{sid}"
    token = csrf_from(client, url)
    r = client.post(f"{url}/components", data={"component": ["COAT", "GLOVE", ""], "ratio": ["1", "2", "1"],
                                               "csrf_token": token}, follow_redirects=True)
    assert "组合明细已保存" in r.text
    with unit_of_work() as session:
        assert masterdata.bundle_parts(session, sid) == [("COAT", 1), ("GLOVE", 2)]
    r = client.post(f"{url}/components", data={"component": ["COAT", "GLOVE", "HAT"], "ratio": ["1", "2", "1"],
                                               "remove": ["0"], "csrf_token": token}, follow_redirects=True)
    with unit_of_work() as session:
        assert masterdata.bundle_parts(session, sid) == [("GLOVE", 2), ("HAT", 1)]
    bad = client.post(f"{url}/components", data={"component": ["NOPE"], "ratio": ["1"], "csrf_token": token})
    assert bad.status_code == 422 and "unknown component SKU NOPE" in bad.text and 'value="NOPE"' in bad.text
    zero = client.post(f"{url}/components", data={"component": ["HAT"], "ratio": ["0"], "csrf_token": token})
    assert zero.status_code == 422 and "ratio" in zero.text
    client.post(f"{url}/components", data={"component": [""], "ratio": ["1"], "csrf_token": token})
    with unit_of_work() as session:
        assert masterdata.bundle_parts(session, sid) == []  # all removed: a plain SKU again


def _xlsx(rows: list[list[object]]) -> bytes:
    wb = Workbook()
    for row in rows:
        wb.active.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def test_sku_import_all_or_nothing_with_every_row_error(client):
    log_in(client, "ops1", "ops")
    token = csrf_from(client, "/inventory/skus")
    bad_csv = "code,name,weight_g,components\nA,甲,10,\n,无编码,1,\nB,乙,重,\nKIT,套装,,A:1;Z:2\n"
    r = client.post("/inventory/skus/import", data={"csrf_token": token},
                    files={"file": ("skus.csv", bad_csv.encode(), "text/csv")})
    assert r.status_code == 422 and "3 行有错误" in r.text
    assert 'data-line="3"' in r.text and 'data-line="4"' in r.text and 'data-line="5"' in r.text
    assert "unknown component SKU Z" in r.text
    with unit_of_work() as session:
        assert masterdata.sku_by_code(session, "A") is None  # nothing was imported
    good = _xlsx([["商品编码", "商品名称", "类目", "重量(g)", "组合"], ["A", "甲", "配件", 10, None],
                  ["KIT", "套装", "", None, "A:2"]])
    r = client.post("/inventory/skus/import", data={"csrf_token": token}, follow_redirects=True,
                    files={"file": ("skus.xlsx", good, "application/octet-stream")})
    assert "导入完成：新建 2，更新 0，组合 1" in r.text
    with unit_of_work() as session:
        assert masterdata.bundle_parts(session, masterdata.sku_by_code(session, "KIT").id) == [("A", 2)]
    empty = client.post("/inventory/skus/import", data={"csrf_token": token})
    assert empty.status_code == 422 and "请选择要导入的文件" in empty.text
    forged = client.post("/inventory/skus/import", data={"csrf_token": "x"},
                         files={"file": ("skus.csv", b"code,name\nQ,q\n", "text/csv")})
    assert forged.status_code == 403


def test_warehouse_list_create_edit_and_errors(client):
    log_in(client, "ops1", "ops")
    token = csrf_from(client, "/inventory/warehouses/new")
    form = {"code": "HZ", "name": "杭州仓", "province": "浙江省", "city": "杭州市", "daily_capacity": "800",
            "error_rate": "1.5", "serves": ["浙江省", "江苏省", "上海市"], "days_10": "1", "days_9": "2",
            "active": "on", "csrf_token": token}  # 10 = 浙江省, 9 = 江苏省 in PROVINCES
    r = client.post("/inventory/warehouses", data=form, follow_redirects=True)
    assert "仓库 HZ 已保存" in r.text
    with unit_of_work() as session:
        wh = service.find_warehouse(session, "HZ")
        assert wh.serves_provinces == ["浙江省", "江苏省", "上海市"]
        assert wh.delivery_days == {"浙江省": 1, "江苏省": 2} and wh.error_rate == 0.015
    listing = client.get("/inventory/warehouses")
    assert "杭州仓" in listing.text and "浙江省、江苏省、上海市" in listing.text and "1.5%" in listing.text
    assert client.post("/inventory/warehouses", data=form).status_code == 422  # code exists
    bad = client.post(f"/inventory/warehouses/{wh.id}", data=form | {"days_10": "99"})
    assert bad.status_code == 422 and "0-30 days" in bad.text and 'value="99"' in bad.text
    rate = client.post(f"/inventory/warehouses/{wh.id}", data=form | {"error_rate": "150"})
    assert rate.status_code == 422 and "error_rate is between 0 and 1" in rate.text
    r = client.post(f"/inventory/warehouses/{wh.id}", data={**form, "serves": [], "daily_capacity": "900"},
                    follow_redirects=True)
    assert "全国" in client.get("/inventory/warehouses").text
    client.cookies.set("orderhub_lang", "en")
    english = client.get(f"/inventory/warehouses/{wh.id}")
    assert "Delivery days per province" in english.text and 'value="900"' in english.text


def test_warehouse_pages_permission_and_csrf(client):
    log_in(client, "viewer1", "viewer")
    assert client.get("/inventory/warehouses").status_code == 200
    assert client.get("/inventory/warehouses/new").status_code == 403
    token = csrf_from(client, "/inventory/warehouses")
    assert client.post("/inventory/warehouses", data={"code": "X", "name": "X", "csrf_token": token}).status_code == 403
    client.cookies.clear()
    log_in(client, "ops1", "ops")
    assert client.post("/inventory/warehouses", data={"code": "X", "name": "X"}).status_code == 403
    with unit_of_work() as session:
        assert masterdata.all_warehouses(session) == []
