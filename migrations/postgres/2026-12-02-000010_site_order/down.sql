DROP INDEX delivery_sites_listed;
