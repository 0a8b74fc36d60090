-- A member's sites in the order every form lists them (active first, by name), read from the
-- index instead of sorted on each page.
CREATE INDEX delivery_sites_listed ON delivery_sites (member_id, active DESC, name);
