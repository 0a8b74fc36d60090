-- Organisations, accounts, lots, order lines and the audit log (PostgreSQL).
CREATE TABLE members (
    id BIGSERIAL PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    city TEXT NOT NULL DEFAULT '',
    contact_email TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE delivery_sites (
    id BIGSERIAL PRIMARY KEY,
    member_id BIGINT NOT NULL REFERENCES members(id),
    name TEXT NOT NULL,
    address TEXT NOT NULL DEFAULT '',
    active BOOLEAN NOT NULL DEFAULT TRUE,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (member_id, name)
);

CREATE TABLE suppliers (
    id BIGSERIAL PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    contact_email TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE users (
    id BIGSERIAL PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('staff', 'buyer', 'supplier')),
    member_id BIGINT REFERENCES members(id),
    supplier_id BIGINT REFERENCES suppliers(id),
    language TEXT NOT NULL DEFAULT 'de',
    active BOOLEAN NOT NULL DEFAULT TRUE,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE lots (
    id BIGSERIAL PRIMARY KEY,
    title TEXT NOT NULL,
    specification TEXT NOT NULL,
    category TEXT NOT NULL,
    unit TEXT NOT NULL,
    order_increment BIGINT NOT NULL,
    min_total_quantity BIGINT NOT NULL,
    list_unit_price BIGINT,
    vat_rate BIGINT NOT NULL,
    demand_deadline TIMESTAMP NOT NULL,
    quote_deadline TIMESTAMP NOT NULL,
    standstill_days BIGINT NOT NULL,
    status TEXT NOT NULL,
    created_by BIGINT NOT NULL REFERENCES users(id),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX lots_status_deadline ON lots (status, demand_deadline);

CREATE TABLE lot_indicative_tiers (
    lot_id BIGINT NOT NULL REFERENCES lots(id),
    min_quantity BIGINT NOT NULL,
    unit_price BIGINT NOT NULL,
    PRIMARY KEY (lot_id, min_quantity)
);

CREATE TABLE lot_invitations (
    lot_id BIGINT NOT NULL REFERENCES lots(id),
    supplier_id BIGINT NOT NULL REFERENCES suppliers(id),
    invited_at TIMESTAMP NOT NULL,
    PRIMARY KEY (lot_id, supplier_id)
);

CREATE TABLE order_lines (
    id BIGSERIAL PRIMARY KEY,
    lot_id BIGINT NOT NULL REFERENCES lots(id),
    member_id BIGINT NOT NULL REFERENCES members(id),
    delivery_site_id BIGINT NOT NULL REFERENCES delivery_sites(id),
    quantity BIGINT NOT NULL,
    max_unit_price BIGINT,
    reference TEXT NOT NULL DEFAULT '',
    idempotency_key TEXT NOT NULL,
    placed_by BIGINT NOT NULL REFERENCES users(id),
    placed_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    cancelled_at TIMESTAMP,
    UNIQUE (lot_id, member_id, idempotency_key)
);
CREATE INDEX order_lines_lot_member ON order_lines (lot_id, member_id);

CREATE TABLE audit_log (
    id BIGSERIAL PRIMARY KEY,
    at TIMESTAMP NOT NULL,
    actor_id BIGINT REFERENCES users(id),
    action TEXT NOT NULL,
    lot_id BIGINT,
    entity TEXT NOT NULL,
    entity_id BIGINT,
    details TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_log_lot ON audit_log (lot_id, id);

CREATE TABLE login_throttle (
    key TEXT PRIMARY KEY NOT NULL,
    failures BIGINT NOT NULL,
    locked_until TIMESTAMP,
    updated_at TIMESTAMP NOT NULL
);
