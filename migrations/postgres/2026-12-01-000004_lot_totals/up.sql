-- The bundle's size kept for each lot, written in the same transaction as every order
-- line, so an order can be checked against the pricing engine's limits without a scan.
CREATE TABLE lot_bundles (
    lot_id BIGINT PRIMARY KEY REFERENCES lots(id),
    ordered_quantity BIGINT NOT NULL,
    ordered_lines BIGINT NOT NULL
);
INSERT INTO lot_bundles (lot_id, ordered_quantity, ordered_lines)
SELECT lots.id,
       (SELECT COALESCE(SUM(quantity), 0) FROM order_lines
        WHERE order_lines.lot_id = lots.id AND cancelled_at IS NULL),
       (SELECT COUNT(*) FROM order_lines
        WHERE order_lines.lot_id = lots.id AND cancelled_at IS NULL)
FROM lots;
