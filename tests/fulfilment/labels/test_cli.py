"""`orderhub labels print` against the test database and the carrier simulators."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from orderhub.cli import app
from orderhub.core.db import unit_of_work
from orderhub.orders import lifecycle as lc
from orderhub.orders.service import get_order, transition
from tests.fulfilment.carriers.support import Sims
from tests.fulfilment.labels.support import ACTOR, allocated, pdf_pages

runner = CliRunner()


def test_print_writes_the_pdf_and_says_what_it_did(sims: Sims, tmp_path: Path) -> None:
    with unit_of_work() as session:
        good = allocated(session, channel="pdd").order_no
        cancelled = allocated(session)
        transition(session, cancelled, lc.CANCELLED, actor=ACTOR)
    out = tmp_path / "labels.pdf"
    result = runner.invoke(app, ["labels", "print", "--order", good, "--order", cancelled.order_no,
                                 "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "1 printed, 0 reprinted, 0 waiting for a waybill, 1 skipped" in result.output
    assert cancelled.order_no in result.output and "order is cancelled" in result.output
    pages = pdf_pages(out.read_bytes())
    assert len(pages) == 1 and pages[0]["barcodes"][0][0].startswith("YT")
    with unit_of_work() as session:
        assert get_order(session, good).status == lc.LABEL_PRINTED

    nothing = runner.invoke(app, ["labels", "print", "--warehouse", "WH-HZ", "--due-before",
                                  "2020-01-01T00:00", "--out", str(tmp_path / "none.pdf")])
    assert nothing.exit_code == 0 and "nothing written" in nothing.output
    assert not (tmp_path / "none.pdf").exists()


def test_bad_arguments_fail_with_a_message(sims: Sims, tmp_path: Path) -> None:
    out = str(tmp_path / "x.pdf")
    bad_time = runner.invoke(app, ["labels", "print", "--warehouse", "WH-HZ", "--due-before", "soon",
                                   "--out", out])
    assert bad_time.exit_code == 2 and "ISO time" in bad_time.output
    nothing = runner.invoke(app, ["labels", "print", "--out", out])
    assert nothing.exit_code == 2 and "nothing selected" in nothing.output
    unknown = runner.invoke(app, ["labels", "print", "--order", "OH-NOPE", "--out", out])
    assert unknown.exit_code == 2 and "OH-NOPE" in unknown.output
