DROP TABLE lot_bundles;
DROP TABLE lot_member_totals;
