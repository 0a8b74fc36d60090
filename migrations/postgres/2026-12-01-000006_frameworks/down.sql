DROP TABLE framework_members;
DROP TABLE calloff_credits;
DROP TABLE calloffs;
DROP TABLE lot_frameworks;
