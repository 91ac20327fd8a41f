"""Labels: rendering 1,000 labels, and the whole batch (waybills + labels) for 1,000 orders.

    python bench/labels_bench.py                       # temporary SQLite database
    python bench/labels_bench.py --url postgresql://postgres@127.0.0.1:5432/bench
    python bench/labels_bench.py --labels 1000 --orders 1000 --latency 0.05

(a) `render_labels` for 1,000 labels against a "raw reportlab" baseline measured in the same
run: the same number of 100x180 mm pages, each with only the Code 128 and one text line in the
same font. Target < 5 s. (b) `print_labels` for 1,000 allocated orders of one warehouse, the
three carrier simulators answering in 50 ms a call (Taobao -> ZTO via Cainiao, PDD -> YTO via PDD
waybill, own store -> SF direct: the setup of bench/waybill_bench.py, through the same test
builders), then the batch's PDF. Target < 10 s in total. Prints a table. The simulators run as
processes of their own, as in bench/waybill_bench.py (`--in-process-sims`: threads here).
"""
from __future__ import annotations

import argparse
import io
import os
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # run from a checkout without installing the package


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="database URL (default: a temporary SQLite file)")
    parser.add_argument("--labels", type=int, default=1000, help="labels in the rendering run")
    parser.add_argument("--orders", type=int, default=1000, help="orders in the print run (0: skip)")
    parser.add_argument("--latency", type=float, default=0.05, help="seconds each carrier call takes")
    parser.add_argument("--in-process-sims", action="store_true",
                        help="run the carrier simulators in threads of this process (as the tests do)")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="labels-bench-"))
    os.environ["ORDERHUB_DATABASE_URL"] = args.url or f"sqlite:///{tmp / 'bench.db'}"
    os.environ.setdefault("ORDERHUB_DATA_DIR", str(tmp / "data"))
    rows = render_run(args.labels)
    if args.orders:
        rows += print_run(args)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"{os.cpu_count()} cores, 1-minute load average {load:.1f} at the end (wall times stretch with it)")
    print(f"{'run':<46}{'seconds':>9}{'per s':>9}  note")
    for name, seconds, count, note in rows:
        print(f"{name:<46}{seconds:9.2f}{count / seconds:9.0f}  {note}")


def _labels(count: int) -> list:
    from orderhub.fulfilment.labels.render import LabelData, item_summary

    address = "浙江省杭州市西湖区文三路90号东部软件园科技大厦" + "A座十七层1702室" * 3
    return [LabelData(
        tracking_no=f"SF{n:012d}", carrier="SF", carrier_name="顺丰速运", sort_code=f"571-C{n % 90:02d} 42",
        sender_name="杭州仓发货组", sender_phone="13900001111", sender_address="浙江省杭州市余杭区文一西路1号",
        receiver_name="王小丫", receiver_phone="138****8000", receiver_address=address,
        order_no=f"OH26112{n:06d}", platform_order_id=f"TB-{n:08d}",
        items=item_summary([("连衣裙 M 红", 2), ("袜子", 1), ("冬季加厚羽绒服 黑色 M", 1)]),
        buyer_remark="周末送货，工作日家里没人" if n % 3 == 0 else "", presale=n % 7 == 0, urgent=n % 5 == 0,
        sequence=f"{n + 1}/{count}") for n in range(count)]


def raw_reportlab(labels: list) -> bytes:
    """The floor: reportlab with nothing of ours, a barcode and one line per page."""
    from reportlab.graphics.barcode.code128 import Code128
    from reportlab.lib.units import mm
    from reportlab.pdfgen.canvas import Canvas

    from orderhub.fulfilment.pdf import cjk_font

    font = cjk_font()
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=(100 * mm, 180 * mm), pageCompression=1)
    for label in labels:
        Code128(label.tracking_no, barWidth=0.375 * mm, barHeight=18 * mm, humanReadable=0).drawOn(
            canvas, 10 * mm, 120 * mm)
        canvas.setFont(font, 12)
        canvas.drawString(10 * mm, 100 * mm, label.receiver_name + label.receiver_address[:20])
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def render_run(count: int) -> list[tuple[str, float, int, str]]:
    from orderhub.fulfilment.labels.render import render_labels

    labels = _labels(count)
    render_labels(labels[:2])  # font registration and first-use caches, as in a running server
    raw_reportlab(labels[:2])
    started, cpu = time.perf_counter(), time.process_time()
    ours = render_labels(labels)
    ours_s, ours_cpu = time.perf_counter() - started, time.process_time() - cpu
    started = time.perf_counter()
    raw = raw_reportlab(labels)
    raw_s = time.perf_counter() - started
    return [(f"render_labels, {count} labels", ours_s, count,
             f"{ours_cpu:.2f} s CPU, {len(ours) / 1e6:.1f} MB; target < 5 s: {'met' if ours_s < 5 else 'MISSED'}"),
            (f"raw reportlab, {count} pages (barcode + 1 line)", raw_s, count,
             f"{len(raw) / 1e6:.1f} MB; ours / raw = {ours_s / raw_s:.1f}x")]


def print_run(args: argparse.Namespace) -> list[tuple[str, float, int, str]]:
    from bench.waybill_bench import carrier_sims
    from orderhub.core import clock
    from orderhub.core.actor import Actor
    from orderhub.core.db import get_engine, unit_of_work
    from orderhub.core.ids import order_numbers
    from orderhub.core.settings import get_settings
    from orderhub.fulfilment.labels import service
    from orderhub.schema import migrate
    from tests.fulfilment.labels.support import allocated, carriers

    migrate(os.environ["ORDERHUB_DATABASE_URL"])
    engine = get_engine()
    order_numbers(engine, get_settings().timezone).prime()
    with carrier_sims(args) as sims:
        started = time.perf_counter()
        carriers(engine, sims)
        now = clock.now()
        channels = ("taobao", "pdd", "webhook")
        with unit_of_work(engine) as session:
            for n in range(args.orders):
                allocated(session, warehouse="WH-BENCH", channel=channels[n % 3],
                          promised=now + timedelta(minutes=n))
        setup = time.perf_counter() - started

        started, cpu = time.perf_counter(), time.process_time()
        result = service.print_labels(engine, warehouse="WH-BENCH", due_before=now + timedelta(days=30),
                                      actor=Actor.system("bench"))
        printed, printed_cpu = time.perf_counter() - started, time.process_time() - cpu
        assert len(result.printed) == args.orders, (result.waiting, result.skipped)
        started, cpu = time.perf_counter(), time.process_time()
        with unit_of_work(engine) as session:
            pdf = service.batch_pdf(session, result.batch_id)
        rendered, rendered_cpu = time.perf_counter() - started, time.process_time() - cpu

        # Reprint: the same orders again reuse their waybills (no carrier call).
        started = time.perf_counter()
        again = service.print_labels(engine, order_nos=result.order_nos, actor=Actor.system("bench"))
        reprinted = time.perf_counter() - started
        assert len(again.reprinted) == args.orders
    total = printed + rendered
    where = "in-process" if args.in_process_sims else "3 processes"
    note = (f"{engine.dialect.name}, {args.latency * 1000:.0f} ms a carrier call, simulators {where}; "
            f"{printed_cpu:.1f} s CPU; setup {setup:.1f} s")
    steps = result.seconds
    return [(f"print_labels: select + {args.orders} waybills + batch", printed, args.orders, note),
            ("  of which: select orders (warehouse, due)", steps["select"], args.orders, ""),
            ("  of which: request_waybills (carriers)", steps["waybills"], args.orders,
             "carriers.service, as bench/waybill_bench.py"),
            ("  of which: label_printed + batch row", steps["record"], args.orders, "change_status; audit rows + events in bulk"),
            (f"batch PDF, {args.orders} labels", rendered, args.orders,
             f"{rendered_cpu:.2f} s CPU, {len(pdf) / 1e6:.1f} MB"),
            (f"total waybills + labels, {args.orders} orders", total, args.orders,
             f"target < 10 s: {'met' if total < 10 else 'MISSED'}"),
            (f"reprint of the same {args.orders} (waybills reused)", reprinted, args.orders, "no carrier calls")]


if __name__ == "__main__":
    main()
