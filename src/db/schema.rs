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
        code -> Text,
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
        joined_at -> Timestamp,
    }
}

diesel::table! {
    sessions (id) {
        id -> Text,
        user_id -> BigInt,
        created_at -> Timestamp,
        last_seen_at -> Timestamp,
    }
}

diesel::table! {
    staff_grants (user_id) {
        user_id -> BigInt,
        requested_by -> BigInt,
        requested_at -> Timestamp,
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
    lot_bundles (lot_id) {
        lot_id -> BigInt,
        ordered_quantity -> BigInt,
        ordered_lines -> BigInt,
        members -> BigInt,
    }
}

diesel::table! {
    lot_member_totals (lot_id, member_id) {
        lot_id -> BigInt,
        member_id -> BigInt,
        ordered_quantity -> BigInt,
        ordered_lines -> BigInt,
    }
}

diesel::joinable!(lot_bundles -> lots (lot_id));

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

diesel::table! {
    outbox (id) {
        id -> BigInt,
        message_id -> Text,
        kind -> Text,
        lot_id -> Nullable<BigInt>,
        recipient -> Text,
        subject -> Text,
        body_text -> Text,
        body_html -> Text,
        attachment_name -> Nullable<Text>,
        attachment -> Nullable<Text>,
        status -> Text,
        attempts -> BigInt,
        next_attempt_at -> Timestamp,
        last_error -> Text,
        created_at -> Timestamp,
        sent_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    password_tokens (token_hash) {
        token_hash -> Text,
        user_id -> BigInt,
        purpose -> Text,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
    }
}

diesel::joinable!(delivery_sites -> members (member_id));
diesel::joinable!(order_lines -> lots (lot_id));
diesel::joinable!(order_lines -> delivery_sites (delivery_site_id));
diesel::joinable!(lot_indicative_tiers -> lots (lot_id));
diesel::joinable!(lot_invitations -> lots (lot_id));
diesel::joinable!(lot_invitations -> suppliers (supplier_id));

diesel::table! {
    quotes (id) {
        id -> BigInt,
        lot_id -> BigInt,
        supplier_id -> BigInt,
        revision -> BigInt,
        pricing -> Text,
        max_quantity -> Nullable<BigInt>,
        lead_time_days -> BigInt,
        valid_until -> Text,
        comment -> Text,
        receipt_number -> Text,
        digest -> Text,
        submitted_by -> BigInt,
        submitted_at -> Timestamp,
    }
}

diesel::table! {
    quote_tiers (quote_id, min_quantity) {
        quote_id -> BigInt,
        min_quantity -> BigInt,
        unit_price -> BigInt,
    }
}

diesel::table! {
    lot_procedure (lot_id) {
        lot_id -> BigInt,
        opening_requested_by -> Nullable<BigInt>,
        opening_requested_at -> Nullable<Timestamp>,
        opened_by -> Nullable<BigInt>,
        opened_at -> Nullable<Timestamp>,
        awarded_quote_id -> Nullable<BigInt>,
        awarded_by -> Nullable<BigInt>,
        awarded_at -> Nullable<Timestamp>,
        justification -> Text,
        standstill_ends_at -> Nullable<Timestamp>,
        outcome_reason -> Text,
        confirmed_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    award_lines (lot_id, order_line_id) {
        lot_id -> BigInt,
        order_line_id -> BigInt,
        status -> Text,
        quantity -> BigInt,
        unit_price -> Nullable<BigInt>,
        net -> Nullable<BigInt>,
        vat -> Nullable<BigInt>,
        gross -> Nullable<BigInt>,
    }
}

diesel::table! {
    award_members (lot_id, member_id) {
        lot_id -> BigInt,
        member_id -> BigInt,
        quantity -> BigInt,
        net -> BigInt,
        vat -> BigInt,
        gross -> BigInt,
        saving_vs_list -> Nullable<BigInt>,
        saving_vs_alone -> Nullable<BigInt>,
    }
}

diesel::joinable!(quotes -> suppliers (supplier_id));
diesel::joinable!(lot_procedure -> lots (lot_id));
diesel::joinable!(lot_frameworks -> lots (lot_id));
diesel::joinable!(quote_tiers -> quotes (quote_id));
diesel::joinable!(award_lines -> order_lines (order_line_id));
diesel::joinable!(award_members -> members (member_id));

diesel::joinable!(sessions -> users (user_id));

diesel::table! {
    lot_frameworks (lot_id) {
        lot_id -> BigInt,
        term_months -> BigInt,
        max_quantity -> BigInt,
        ended_at -> Nullable<Timestamp>,
        end_reason -> Text,
        ended_by -> Nullable<BigInt>,
    }
}

diesel::table! {
    calloffs (id) {
        id -> BigInt,
        lot_id -> BigInt,
        member_id -> BigInt,
        delivery_site_id -> BigInt,
        quantity -> BigInt,
        reference -> Text,
        idempotency_key -> Text,
        placed_by -> BigInt,
        at -> Timestamp,
        unit_price -> BigInt,
        net -> BigInt,
        vat -> BigInt,
        gross -> BigInt,
        cumulative_quantity -> BigInt,
    }
}

diesel::table! {
    calloff_credits (calloff_id, member_id) {
        calloff_id -> BigInt,
        member_id -> BigInt,
        net -> BigInt,
        vat -> BigInt,
        gross -> BigInt,
    }
}

diesel::table! {
    framework_members (lot_id, member_id) {
        lot_id -> BigInt,
        member_id -> BigInt,
        quantity -> BigInt,
        net -> BigInt,
        vat -> BigInt,
        credited_net -> BigInt,
        credited_vat -> BigInt,
    }
}

diesel::joinable!(calloffs -> members (member_id));
diesel::joinable!(calloffs -> delivery_sites (delivery_site_id));
diesel::joinable!(calloff_credits -> calloffs (calloff_id));

diesel::table! {
    calendar_feeds (user_id) {
        user_id -> BigInt,
        token_hash -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    member_admins (user_id) {
        user_id -> BigInt,
        granted_by -> BigInt,
        granted_at -> Timestamp,
    }
}

diesel::allow_tables_to_appear_in_same_query!(
    member_admins,
    calendar_feeds,
    lot_frameworks,
    calloffs,
    calloff_credits,
    framework_members,
    members,
    sessions,
    staff_grants,
    lot_bundles,
    lot_member_totals,
    delivery_sites,
    suppliers,
    users,
    lots,
    lot_indicative_tiers,
    lot_invitations,
    order_lines,
    audit_log,
    login_throttle,
    quotes,
    quote_tiers,
    lot_procedure,
    award_lines,
    award_members,
    outbox,
    password_tokens,
);
