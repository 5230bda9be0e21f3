//! The behaviour suite every usergraph backend runs: the same inputs must give
//! the same results and the same errors on every store (the idea of Apache
//! Arrow's `object_store` integration tests).
//!
//! A backend's test file invokes [`conformance_suite!`] with an async factory
//! that returns a fresh, empty store wrapped in a [`Fixture`], with a way to
//! reopen it for the behaviours that check what outlives a restart:
//!
//! ```ignore
//! async fn fresh_store() -> usergraph_conformance::Fixture {
//!     let dir = tempfile::tempdir().unwrap();
//!     let path = dir.path().join("db");
//!     let storage = MyStorage::open(&path).unwrap();
//!     usergraph_conformance::Fixture::new(std::sync::Arc::new(storage), dir)
//!         .reopen_with(move || {
//!             let path = path.clone();
//!             async move { std::sync::Arc::new(MyStorage::open(&path).unwrap()) as _ }
//!         })
//! }
//! usergraph_conformance::conformance_suite!(fresh_store);
//! ```
//!
//! Each behaviour becomes its own `#[tokio::test]` named `module::behaviour`,
//! so the invoking crate needs `tokio` (with `macros` and `rt-multi-thread`)
//! among its dev-dependencies.

// This crate is a test suite: a panic is how a behaviour reports a failure,
// and every unwrap below is on a result the behaviour expects to succeed.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod fixture;
mod support;

pub mod accounts;
pub mod batch;
pub mod bulk;
pub mod contention;
pub mod counts;
pub mod cursors;
pub mod custom_data;
pub mod live;
pub mod logs;
pub mod paging;
pub mod passwords;
pub mod profile;
pub mod properties;
pub mod roles;
pub mod search;
pub mod storage_contract;
pub mod throttle;
pub mod tokens;
pub mod uniqueness;
pub mod users;
pub mod validation;

pub use fixture::Fixture;
/// Records for a backend's own tests that talk to storage directly.
pub use support::{log_record, user_record};

/// Expands to one `#[tokio::test]` per behaviour of the suite, each run
/// against a fresh store from `$factory` (an async function, or a closure
/// returning a future, that yields a [`Fixture`]).
#[macro_export]
macro_rules! conformance_suite {
    ($factory:expr $(,)?) => {
        async fn __usergraph_conformance_fixture() -> $crate::Fixture {
            ($factory)().await
        }

        $crate::__conformance_tests! {
            users {
                create_and_read,
                create_with_imported_id,
                read_missing_and_malformed_ids,
                normalizes_phone_and_unicode,
                update_absent_keeps_null_clears,
                update_that_changes_nothing_writes_nothing,
                delete_removes_user,
                mutations_on_missing_user_are_not_found,
            }
            batch {
                results_follow_input_order_with_item_errors,
                duplicates_across_chunks_are_found,
            }
            bulk {
                each_group_is_written_whole_or_gets_its_own_error,
                bulk_written_users_are_found_by_every_index,
                indexes_hold_what_the_groups_that_succeeded_leave,
            }
            validation {
                create_rejects_bad_input_with_field,
                update_rejects_bad_input_with_field,
                length_limits_count_characters,
            }
            uniqueness {
                username_is_case_insensitive,
                email_is_case_insensitive,
                phone_is_unique_on_digits,
                update_to_taken_identifier_is_rejected,
                own_identifier_case_change_is_allowed,
                concurrent_creates_of_one_email_have_one_winner,
                freed_identifiers_are_reusable,
            }
            profile {
                shallow_merge_of_claims,
                address_merges_and_clears,
                rejects_overlong_claims,
            }
            custom_data {
                merge_replaces_top_level_keys_and_null_removes,
                replace_takes_object_as_given,
                unchanged_merge_writes_nothing,
                size_limit_is_64_kib,
                must_be_an_object,
            }
            passwords {
                set_and_verify,
                never_trimmed_or_normalized_and_length_in_chars,
                verify_without_password_is_false,
                imported_digests_verify_and_upgrade_to_argon2id,
                mismatched_imports_are_rejected,
            }
            accounts {
                suspension_toggles_and_logs,
                identities_link_replace_unlink,
                identity_input_is_validated,
            }
            roles {
                create_update_delete,
                names_are_unique_case_insensitively,
                role_input_is_validated,
                default_roles_are_assigned_at_create,
                assign_is_idempotent,
                replace_and_remove,
                delete_role_removes_assignments,
                missing_role_or_user_is_not_found,
                role_users_pages,
                roles_list_by_name,
            }
            counts {
                role_and_log_counts_stop_at_their_limit,
            }
            logs {
                every_mutation_logs_its_key_and_payload,
                logs_never_contain_secrets,
                failed_writes_log_nothing_and_change_nothing,
                logs_of_deleted_user_stay,
                filter_by_user_key_result_and_time,
                caller_details_are_recorded,
                newest_first_and_paged,
                filter_by_actor,
            }
            paging {
                forward_walk_has_no_gaps_or_duplicates,
                forward_walk_during_concurrent_inserts,
                backward_walk_mirrors_forward,
                backward_walk_mirrors_forward_with_nulls,
                total_count,
                bad_page_arguments_are_validation,
                foreign_cursors_are_validation,
                simple_search,
            }
            cursors {
                cursor_key_is_stored_once_and_kept,
                made_up_and_edited_cursors_are_validation,
                cursors_are_bound_to_list_order_filter_and_search,
                genuine_cursors_outlive_the_service_and_a_reopen,
            }
            properties {
                storage_agrees_with_evaluator,
            }
            search {
                counts_stop_at_their_limit,
                storage_matches_reference_evaluator,
                storage_pages_match_reference_evaluator,
            }
            storage_contract {
                commit_is_all_or_nothing,
                stale_version_is_refused,
                concurrent_updates_one_winner,
                insert_conflicts,
                missing_records_are_not_found,
                lookups_by_key_follow_updates,
                batch_reads_keep_order,
                role_assignments,
                delete_user_drops_assignments_keeps_logs,
                default_roles_sorted,
                concurrent_inserts_of_one_username,
                logs_match_reference_evaluator,
                roles_match_reference_evaluator,
                aborted_commits_never_leak_writes,
                require_active_holder_checks_the_committed_result,
                concurrent_removals_leave_an_active_holder,
            }
            contention {
                concurrent_edits_of_one_user_all_apply,
            }
            tokens {
                insert_and_read_back,
                ids_and_digests_are_unique,
                live_personal_names_are_unique_per_owner,
                concurrent_creates_of_one_name_have_one_winner,
                updates_check_versions_and_existence,
                delete_token_removes_every_lookup,
                tokens_of_missing_users_are_not_found,
                delete_user_removes_its_tokens,
                failed_commits_write_no_token,
                service_tokens_work_until_revoked_or_owner_deleted,
                sessions_end_at_sign_out,
            }
            live {
                replay_meets_live_with_no_gap_under_concurrent_writers,
            }
            throttle {
                the_sixth_attempt_after_five_failures_is_refused,
                failures_age_out_of_the_window,
                the_wait_is_at_least_a_second,
                a_success_clears_the_account_but_not_the_address,
                callers_without_an_address_share_one_bucket,
                accounts_and_addresses_count_apart,
                parallel_attempts_at_one_account_are_counted_before_they_finish,
                concurrent_attempts_at_one_account_stop_at_the_limit,
            }
        }

        $crate::__conformance_two_store_tests! {
            cursors {
                cursors_of_another_store_are_refused,
            }
        }
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __conformance_tests {
    ($($module:ident { $($test:ident),* $(,)? })*) => {
        $(
            mod $module {
                $(
                    // Several workers so that the concurrency behaviours
                    // really interleave.
                    #[::tokio::test(flavor = "multi_thread", worker_threads = 4)]
                    async fn $test() {
                        let fixture = super::__usergraph_conformance_fixture().await;
                        $crate::$module::$test(fixture).await;
                    }
                )*
            }
        )*
    };
}

/// Behaviours that compare two stores: each gets two fresh fixtures.
#[doc(hidden)]
#[macro_export]
macro_rules! __conformance_two_store_tests {
    ($($module:ident { $($test:ident),* $(,)? })*) => {
        mod two_stores {
            $(
                mod $module {
                    $(
                        #[::tokio::test(flavor = "multi_thread", worker_threads = 4)]
                        async fn $test() {
                            let one = super::super::__usergraph_conformance_fixture().await;
                            let other = super::super::__usergraph_conformance_fixture().await;
                            $crate::$module::$test(one, other).await;
                        }
                    )*
                }
            )*
        }
    };
}
