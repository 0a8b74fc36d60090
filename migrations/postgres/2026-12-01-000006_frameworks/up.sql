-- Framework agreements (frameworks.md): a lot with a term and a maximum quantity, whose
-- members call off further quantities after the confirmation at the agreed prices.
CREATE TABLE lot_frameworks (
    lot_id BIGINT PRIMARY KEY REFERENCES lots(id),
    term_months BIGINT NOT NULL,
    max_quantity BIGINT NOT NULL,
    -- Staff ended it early (with a reason), or the term ran out and the server closed it.
    ended_at TIMESTAMP,
    end_reason TEXT NOT NULL DEFAULT '',
    ended_by BIGINT REFERENCES users(id)
);

-- Accepted call-offs, priced by the contract in the order (at, id) under the lot's row lock.
CREATE TABLE calloffs (
    id BIGSERIAL PRIMARY KEY,
    lot_id BIGINT NOT NULL REFERENCES lots(id),
    member_id BIGINT NOT NULL REFERENCES members(id),
    delivery_site_id BIGINT NOT NULL REFERENCES delivery_sites(id),
    quantity BIGINT NOT NULL,
    reference TEXT NOT NULL,
    idempotency_key TEXT NOT NULL,
    placed_by BIGINT NOT NULL REFERENCES users(id),
    at TIMESTAMP NOT NULL,
    unit_price BIGINT NOT NULL,
    net BIGINT NOT NULL,
    vat BIGINT NOT NULL,
    gross BIGINT NOT NULL,
    cumulative_quantity BIGINT NOT NULL,
    UNIQUE (lot_id, member_id, idempotency_key)
);
CREATE INDEX calloffs_lot ON calloffs (lot_id, at, id);
CREATE INDEX calloffs_member ON calloffs (lot_id, member_id, id);

-- What each member was credited when a call-off lowered the all-units price.
CREATE TABLE calloff_credits (
    calloff_id BIGINT NOT NULL REFERENCES calloffs(id),
    member_id BIGINT NOT NULL REFERENCES members(id),
    net BIGINT NOT NULL,
    vat BIGINT NOT NULL,
    gross BIGINT NOT NULL,
    PRIMARY KEY (calloff_id, member_id)
);
CREATE INDEX calloff_credits_member ON calloff_credits (member_id);

-- Each member's position in a framework after the latest call-off, so pages read it
-- without replaying the lines.
CREATE TABLE framework_members (
    lot_id BIGINT NOT NULL REFERENCES lots(id),
    member_id BIGINT NOT NULL REFERENCES members(id),
    quantity BIGINT NOT NULL,
    net BIGINT NOT NULL,
    vat BIGINT NOT NULL,
    credited_net BIGINT NOT NULL,
    credited_vat BIGINT NOT NULL,
    PRIMARY KEY (lot_id, member_id)
);
