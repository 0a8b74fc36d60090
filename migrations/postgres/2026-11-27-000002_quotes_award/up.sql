-- Sealed quotes with every revision, the opening by two staff, the award and its results.
CREATE TABLE quotes (
    id BIGSERIAL PRIMARY KEY,
    lot_id BIGINT NOT NULL REFERENCES lots(id),
    supplier_id BIGINT NOT NULL REFERENCES suppliers(id),
    revision BIGINT NOT NULL,
    pricing TEXT NOT NULL,
    max_quantity BIGINT,
    lead_time_days BIGINT NOT NULL,
    valid_until TEXT NOT NULL,
    comment TEXT NOT NULL DEFAULT '',
    receipt_number TEXT NOT NULL UNIQUE,
    digest TEXT NOT NULL,
    submitted_by BIGINT NOT NULL REFERENCES users(id),
    submitted_at TIMESTAMP NOT NULL,
    UNIQUE (lot_id, supplier_id, revision)
);

CREATE TABLE quote_tiers (
    quote_id BIGINT NOT NULL REFERENCES quotes(id),
    min_quantity BIGINT NOT NULL,
    unit_price BIGINT NOT NULL,
    PRIMARY KEY (quote_id, min_quantity)
);

CREATE TABLE lot_procedure (
    lot_id BIGINT PRIMARY KEY NOT NULL REFERENCES lots(id),
    opening_requested_by BIGINT REFERENCES users(id),
    opening_requested_at TIMESTAMP,
    opened_by BIGINT REFERENCES users(id),
    opened_at TIMESTAMP,
    awarded_quote_id BIGINT REFERENCES quotes(id),
    awarded_by BIGINT REFERENCES users(id),
    awarded_at TIMESTAMP,
    justification TEXT NOT NULL DEFAULT '',
    standstill_ends_at TIMESTAMP,
    outcome_reason TEXT NOT NULL DEFAULT '',
    confirmed_at TIMESTAMP
);

CREATE TABLE award_lines (
    lot_id BIGINT NOT NULL REFERENCES lots(id),
    order_line_id BIGINT NOT NULL REFERENCES order_lines(id),
    status TEXT NOT NULL,
    quantity BIGINT NOT NULL,
    unit_price BIGINT,
    net BIGINT,
    vat BIGINT,
    gross BIGINT,
    PRIMARY KEY (lot_id, order_line_id)
);

CREATE TABLE award_members (
    lot_id BIGINT NOT NULL REFERENCES lots(id),
    member_id BIGINT NOT NULL REFERENCES members(id),
    quantity BIGINT NOT NULL,
    net BIGINT NOT NULL,
    vat BIGINT NOT NULL,
    gross BIGINT NOT NULL,
    saving_vs_list BIGINT,
    saving_vs_alone BIGINT,
    PRIMARY KEY (lot_id, member_id)
);
