"""Batch label printing: waybills for a selection of orders, one PDF, orders to label_printed."""
