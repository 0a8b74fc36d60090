DROP TABLE member_admins;
