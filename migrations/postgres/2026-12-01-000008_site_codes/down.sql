ALTER TABLE delivery_sites DROP COLUMN code;
