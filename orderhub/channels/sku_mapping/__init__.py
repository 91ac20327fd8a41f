"""SKU mapping (商品对应): the platform's SKU id or the merchant's outer code on an order line
-> one of our SKU codes, per shop or for every shop. An order with a line nobody has mapped is
held (`unmapped_sku`), never dropped; mapping the SKU later fills the lines and releases it."""
