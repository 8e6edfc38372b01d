"""The security test list after the OWASP API Security Top 10 (2023): every item names the
tests that cover it, and this test fails if one of them disappears or is renamed.
docs/RELIABILITY.md prints the same list."""

import pytest

from tests.security.test_object_level import _test_exists

OWASP_API_TOP_10: dict[str, list[str]] = {
    "API1 broken object level authorization": [
        "tests/security/test_object_level.py::test_a_peer_with_the_same_roles_cannot_touch_anothers_objects",
        "tests/security/test_object_level.py::test_every_write_route_is_covered",
        "tests/placements/test_ownership.py::test_someone_elses_placement_is_403_on_every_write",
    ],
    "API2 broken authentication": [
        "tests/security/test_authentication.py::test_write_route_requires_a_valid_token",
        "tests/auth/test_tokens.py::test_alg_none_is_refused",
        "tests/auth/test_tokens.py::test_hs256_signed_with_the_public_key_is_refused",
        "tests/auth/test_tokens.py::test_token_signed_with_another_key_is_refused",
        "tests/auth/test_tokens.py::test_expired_token_is_refused",
        "tests/auth/test_tokens.py::test_tampered_token_is_refused",
        "tests/auth/test_tokens.py::test_wrong_claims_are_refused",
        "tests/auth/test_login.py::test_reusing_a_spent_refresh_token_revokes_the_device_session",
        "tests/auth/test_rate_limit.py::test_lockout_hits_the_guessing_ip_only_and_expires",
    ],
    "API3 broken object property level authorization (mass assignment)": [
        "tests/security/test_mass_assignment.py::test_no_request_schema_offers_privileged_fields",
        "tests/security/test_mass_assignment.py::test_privileged_extras_on_create_are_refused_or_ignored",
        "tests/security/test_mass_assignment.py::test_profile_and_registration_cannot_grant_roles",
        "tests/users/test_router.py::test_public_profile_hides_private_fields",
    ],
    "API4 unrestricted resource consumption": [
        "tests/security/test_resource_consumption.py::test_every_limit_parameter_is_capped",
        "tests/security/test_resource_consumption.py::test_oversized_body_is_refused_on_every_write_route",
        "tests/security/test_resource_consumption.py::test_polygons_batches_and_radii_are_bounded",
        "tests/core/test_body_limit.py::test_streamed_oversized_body_is_refused",
        "tests/auth/test_rate_limit.py::test_per_ip_limit_answers_429_with_retry_after",
        "tests/gql/test_graphql.py::test_depth_alias_and_token_limits",
    ],
    "API5 broken function level authorization": [
        "tests/users/test_router.py::test_only_admins_grant_roles",
        "tests/geofences/test_router.py::test_roles_and_ownership",
    ],
    "API6 unrestricted access to sensitive business flows": [
        "tests/auth/test_rate_limit.py::test_register_and_wallet_endpoints_are_limited",
        "tests/trading/test_trading.py::test_object_level_checks_and_conflicts",
    ],
    "API7 server side request forgery": [
        "tests/security/test_ssrf.py::test_private_and_odd_webhook_targets_are_refused",
        "tests/webhooks/test_webhooks.py::test_gives_up_after_max_attempts_and_rechecks_targets",
    ],
    "API8 security misconfiguration": [
        "tests/auth/test_tokens.py::test_production_refuses_the_development_key",
        "tests/deploy/test_k8s.py::test_deployment_probes_resources_and_security",
        "tests/deploy/test_compose.py::test_nginx_sticky_sessions_websockets_and_limits",
        "tests/fuzz/test_openapi.py::test_operation_survives_fuzzing",
    ],
    "API9 improper inventory management": [
        "tests/security/test_authentication.py::test_public_writes_exist",
        "tests/security/test_object_level.py::test_every_write_route_is_covered",
    ],
    "API10 unsafe consumption of APIs": [
        # The chain is the third-party API we consume: foreign logs and re-orgs.
        "tests/chain/test_events.py::test_erc20_transfer_with_the_same_topic_is_skipped",
        "tests/chain/test_events.py::test_unrelated_and_removed_logs_are_skipped",
        "tests/chain/test_reorg.py::test_reorg_deeper_than_the_window_raises",
        "tests/fuzz/test_graphql.py::test_graphql_survives_fuzzing",
    ],
}


@pytest.mark.parametrize("item", sorted(OWASP_API_TOP_10))
def test_every_owasp_item_has_existing_tests(item: str) -> None:
    tests = OWASP_API_TOP_10[item]
    assert tests
    missing = [t for t in tests if not _test_exists(t)]
    assert not missing, f"{item}: {missing}"
