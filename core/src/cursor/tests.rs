use super::*;
use crate::filter::{StringField, StringOp};

fn order(field: UserOrderField, direction: Direction) -> UserOrder {
    UserOrder { field, direction }
}

fn at(micros: i64) -> crate::Timestamp {
    time::from_micros(micros).unwrap()
}

fn key(byte: u8) -> CursorKey {
    CursorKey::new([byte; 32])
}

fn bound(key: &CursorKey, scope: Scope) -> Binding {
    Binding::new(key, &scope).unwrap()
}

fn users(order: &[UserOrder], filter: &UserFilter) -> Scope {
    Scope::users(UserList::Users, order, filter).unwrap()
}

fn user_key(micros: i64, id: &str) -> UserSortKey {
    UserSortKey {
        values: vec![SortValue::Time(Some(at(micros)))],
        id: UserId::parse(id).unwrap(),
    }
}

fn username_is(name: &str) -> UserFilter {
    UserFilter::String {
        field: StringField::Username,
        op: StringOp::Eq(name.into()),
        case_sensitive: false,
    }
}

fn assert_refused(result: Result<impl fmt::Debug>, field: &str) {
    let err = result.unwrap_err();
    assert_eq!((err.code(), err.field()), ("VALIDATION", Some(field)));
}

#[test]
fn user_cursors_round_trip_with_nulls_and_text() {
    let order = vec![
        order(UserOrderField::LastSignInAt, Direction::Desc),
        order(UserOrderField::Username, Direction::Asc),
        order(UserOrderField::CreatedAt, Direction::Asc),
    ];
    let sort_key = UserSortKey {
        values: vec![
            SortValue::Time(None),
            SortValue::Text(Some("ünïcode \"quoted\"".into())),
            SortValue::Time(Some(at(1_700_000_000_123_456))),
        ],
        id: UserId::parse("abc123").unwrap(),
    };
    let binding = bound(&key(1), users(&order, &UserFilter::All));
    let cursor = encode_user(&binding, &sort_key);
    assert!(
        cursor
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    );
    assert_eq!(
        decode_user(&binding, &cursor, &order, "after").unwrap(),
        sort_key
    );
}

#[test]
fn a_default_order_cursor_is_short() {
    let order = [UserOrder::DEFAULT];
    let binding = bound(&key(1), users(&order, &UserFilter::All));
    let cursor = encode_user(&binding, &user_key(1_700_000_000_123_456, "abcdefghijkl"));
    assert!(cursor.len() <= 72, "{} characters: {cursor}", cursor.len());
}

#[test]
fn made_up_and_edited_cursors_are_refused() {
    let order = [UserOrder::DEFAULT];
    let binding = bound(&key(1), users(&order, &UserFilter::All));
    let real = encode_user(&binding, &user_key(5, "u1"));
    let mut bytes = URL_SAFE_NO_PAD.decode(&real).unwrap();
    let payload_len = bytes.len() - TAG_LEN;
    let payload = bytes[..payload_len].to_vec();
    let mut forged = vec![
        // The format before tags, and the same position without a tag.
        URL_SAFE_NO_PAD.encode(r#"["u","createdAt:desc",[5],"u1"]"#),
        URL_SAFE_NO_PAD.encode(&payload),
        // A made-up position with a made-up tag.
        URL_SAFE_NO_PAD.encode([&br#"[[4],"u1"]"#[..], &[0; TAG_LEN]].concat()),
        // The real tag on another position.
        URL_SAFE_NO_PAD.encode([&br#"[[4],"u1"]"#[..], &bytes[payload_len..]].concat()),
        // Truncations.
        real[..real.len() - 1].to_owned(),
        URL_SAFE_NO_PAD.encode(&bytes[..TAG_LEN]),
        String::new(),
        "not base64!".into(),
        "A".repeat(MAX_CURSOR_LEN + 4),
    ];
    // Every single-byte edit, of the position and of the tag.
    for i in 0..bytes.len() {
        bytes[i] ^= 0x01;
        forged.push(URL_SAFE_NO_PAD.encode(&bytes));
        bytes[i] ^= 0x01;
    }
    assert_eq!(URL_SAFE_NO_PAD.encode(&bytes), real);
    for bad in &forged {
        assert_refused(decode_user(&binding, bad, &order, "before"), "before");
    }
    decode_user(&binding, &real, &order, "after").unwrap();
}

#[test]
fn a_cursor_is_bound_to_its_key_list_order_and_filter() {
    let desc = vec![UserOrder::DEFAULT];
    let asc = vec![order(UserOrderField::CreatedAt, Direction::Asc)];
    let alice = username_is("alice");
    let made = bound(&key(1), users(&desc, &alice));
    let cursor = encode_user(&made, &user_key(1, "u1"));
    decode_user(&made, &cursor, &desc, "after").unwrap();
    let others = [
        bound(&key(2), users(&desc, &alice)),
        bound(&key(1), users(&asc, &alice)),
        bound(&key(1), users(&desc, &username_is("bob"))),
        bound(&key(1), users(&desc, &UserFilter::All)),
        bound(
            &key(1),
            Scope::users(UserList::RoleHolders, &desc, &alice).unwrap(),
        ),
    ];
    for other in &others {
        assert_refused(decode_user(other, &cursor, &desc, "after"), "after");
    }
}

#[test]
fn role_and_log_cursors_round_trip_and_stay_in_their_list() {
    let role = RoleSortKey {
        name_key: "support agents".into(),
        id: RoleId::parse("r1").unwrap(),
    };
    let roles = bound(&key(1), Scope::roles(Some("sup")).unwrap());
    let role_cursor = encode_role(&roles, &role);
    assert_eq!(decode_role(&roles, &role_cursor, "after").unwrap(), role);
    for search in [None, Some("su")] {
        let other = bound(&key(1), Scope::roles(search).unwrap());
        assert_refused(decode_role(&other, &role_cursor, "after"), "after");
    }

    let log = LogSortKey {
        created_at: at(1_700_000_000_000_001),
        id: LogId::parse("l1").unwrap(),
    };
    let mine = LogFilter {
        user_id: Some(UserId::parse("u1").unwrap()),
        ..LogFilter::default()
    };
    let logs = bound(&key(1), Scope::logs(&mine).unwrap());
    let log_cursor = encode_log(&logs, &log);
    assert_eq!(decode_log(&logs, &log_cursor, "after").unwrap(), log);
    let everyone = bound(&key(1), Scope::logs(&LogFilter::default()).unwrap());
    assert_refused(decode_log(&everyone, &log_cursor, "after"), "after");
    let mine_by_me = LogFilter {
        actor_id: mine.user_id.clone(),
        ..mine.clone()
    };
    let by_me = bound(&key(1), Scope::logs(&mine_by_me).unwrap());
    assert_refused(decode_log(&by_me, &log_cursor, "after"), "after");

    // Cursors issued before `actor_id` existed stay valid: an absent actor
    // leaves the scope's JSON as it was.
    assert_eq!(
        String::from_utf8(canonical(&mine).unwrap()).unwrap(),
        r#"{"user_id":"u1","role_id":null,"key":null,"result":null,"created_from":null,"created_until":null}"#
    );

    // Cursors of one kind of list mean nothing to another.
    let all_users = bound(&key(1), users(&[UserOrder::DEFAULT], &UserFilter::All));
    assert_refused(
        decode_user(&all_users, &role_cursor, &[UserOrder::DEFAULT], "after"),
        "after",
    );
    assert_refused(decode_role(&logs, &role_cursor, "after"), "after");
    assert_refused(decode_log(&roles, &log_cursor, "after"), "after");
}

#[test]
fn scopes_do_not_collide_on_joined_parts() {
    // Length prefixes keep ("ab", "c") apart from ("a", "bc").
    assert_ne!(Scope::digest(&[b"ab", b"c"]), Scope::digest(&[b"a", b"bc"]));
    assert_ne!(Scope::roles(None).unwrap(), Scope::roles(Some("")).unwrap());
}

#[test]
fn the_key_never_shows_in_debug_output() {
    let secret = key(0xAB);
    let binding = bound(&secret, Scope::roles(None).unwrap());
    let shown = format!("{secret:?} {binding:?}");
    assert!(!shown.contains("171"), "{shown}");
}
