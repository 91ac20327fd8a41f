"""Address changes after an order is created, and voiding the waybill of a cancelled order."""
