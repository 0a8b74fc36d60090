-- A lot's bundle kept with it, and each member's part of it, written in the same
-- transaction as every order line: pages and the engine's limits need no scan of the lines.
CREATE TABLE lot_member_totals (
    lot_id BIGINT NOT NULL REFERENCES lots(id),
    member_id BIGINT NOT NULL REFERENCES members(id),
    ordered_quantity BIGINT NOT NULL,
    ordered_lines BIGINT NOT NULL,
    PRIMARY KEY (lot_id, member_id)
);
INSERT INTO lot_member_totals (lot_id, member_id, ordered_quantity, ordered_lines)
SELECT lot_id, member_id, SUM(quantity), COUNT(*)
FROM order_lines WHERE cancelled_at IS NULL
GROUP BY lot_id, member_id;

CREATE TABLE lot_bundles (
    lot_id BIGINT PRIMARY KEY REFERENCES lots(id),
    ordered_quantity BIGINT NOT NULL,
    ordered_lines BIGINT NOT NULL,
    members BIGINT NOT NULL
);
INSERT INTO lot_bundles (lot_id, ordered_quantity, ordered_lines, members)
SELECT lots.id,
       (SELECT COALESCE(SUM(ordered_quantity), 0) FROM lot_member_totals t WHERE t.lot_id = lots.id),
       (SELECT COALESCE(SUM(ordered_lines), 0) FROM lot_member_totals t WHERE t.lot_id = lots.id),
       (SELECT COUNT(*) FROM lot_member_totals t WHERE t.lot_id = lots.id AND t.ordered_lines > 0)
FROM lots;
