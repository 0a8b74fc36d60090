DROP TABLE award_members;
DROP TABLE award_lines;
DROP TABLE lot_procedure;
DROP TABLE quote_tiers;
DROP TABLE quotes;
