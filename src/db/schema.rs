//! The database schema, kept by hand; identical for SQLite and PostgreSQL.

diesel::table! {
    members (id) {
        id -> BigInt,
        name -> Text,
        city -> Text,
        contact_email -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    delivery_sites (id) {
        id -> BigInt,
        member_id -> BigInt,
        name -> Text,
        address -> Text,
        active -> Bool,
        created_at -> Timestamp,
    }
}

diesel::table! {
    suppliers (id) {
        id -> BigInt,
        name -> Text,
        contact_email -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    users (id) {
        id -> BigInt,
        email -> Text,
        name -> Text,
        password_hash -> Text,
        role -> Text,
        member_id -> Nullable<BigInt>,
        supplier_id -> Nullable<BigInt>,
        language -> Text,
        active -> Bool,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    lots (id) {
        id -> BigInt,
        title -> Text,
        specification -> Text,
        category -> Text,
        unit -> Text,
        order_increment -> BigInt,
        min_total_quantity -> BigInt,
        list_unit_price -> Nullable<BigInt>,
        vat_rate -> BigInt,
        demand_deadline -> Timestamp,
        quote_deadline -> Timestamp,
        standstill_days -> BigInt,
        status -> Text,
        created_by -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    lot_indicative_tiers (lot_id, min_quantity) {
        lot_id -> BigInt,
        min_quantity -> BigInt,
        unit_price -> BigInt,
    }
}

diesel::table! {
    lot_invitations (lot_id, supplier_id) {
        lot_id -> BigInt,
        supplier_id -> BigInt,
        invited_at -> Timestamp,
    }
}

diesel::table! {
    order_lines (id) {
        id -> BigInt,
        lot_id -> BigInt,
        member_id -> BigInt,
        delivery_site_id -> BigInt,
        quantity -> BigInt,
        max_unit_price -> Nullable<BigInt>,
        reference -> Text,
        idempotency_key -> Text,
        placed_by -> BigInt,
        placed_at -> Timestamp,
        updated_at -> Timestamp,
        cancelled_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    audit_log (id) {
        id -> BigInt,
        at -> Timestamp,
        actor_id -> Nullable<BigInt>,
        action -> Text,
        lot_id -> Nullable<BigInt>,
        entity -> Text,
        entity_id -> Nullable<BigInt>,
        details -> Text,
    }
}

diesel::table! {
    login_throttle (key) {
        key -> Text,
        failures -> BigInt,
        locked_until -> Nullable<Timestamp>,
        updated_at -> Timestamp,
    }
}

diesel::joinable!(delivery_sites -> members (member_id));
diesel::joinable!(order_lines -> lots (lot_id));
diesel::joinable!(order_lines -> delivery_sites (delivery_site_id));
diesel::joinable!(lot_indicative_tiers -> lots (lot_id));
diesel::joinable!(lot_invitations -> lots (lot_id));
diesel::joinable!(lot_invitations -> suppliers (supplier_id));

diesel::allow_tables_to_appear_in_same_query!(
    members,
    delivery_sites,
    suppliers,
    users,
    lots,
    lot_indicative_tiers,
    lot_invitations,
    order_lines,
    audit_log,
    login_throttle,
);
