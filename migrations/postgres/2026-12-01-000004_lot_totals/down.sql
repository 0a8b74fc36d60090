DROP TABLE lot_bundles;
