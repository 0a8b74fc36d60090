-- A member's own code for a delivery site (its cost centre or school number), used in uploads.
ALTER TABLE delivery_sites ADD COLUMN code TEXT NOT NULL DEFAULT '';
