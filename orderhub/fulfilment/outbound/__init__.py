"""Outbound scan (出库扫描): the parcel's barcode scanned at the door ships the order."""
