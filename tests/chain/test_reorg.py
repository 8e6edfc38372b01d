"""plan_reorg as a pure function: every shape of agreement between stored and chain hashes."""

import pytest

from app.chain import ReorgTooDeep, plan_reorg


def hashes(numbers: range, tag: str) -> dict[int, str]:
    return {n: f"0x{tag}{n:04x}" for n in numbers}


def test_no_reorg_keeps_the_newest_stored_block() -> None:
    stored = hashes(range(10, 20), "aa")
    assert plan_reorg(stored, dict(stored)) == 19


def test_chain_ahead_of_the_indexer_is_no_reorg() -> None:
    stored = hashes(range(10, 20), "aa")
    chain = hashes(range(10, 30), "aa")
    assert plan_reorg(stored, chain) == 19


def test_tip_replaced_rewinds_to_the_fork_point() -> None:
    stored = hashes(range(10, 20), "aa")
    chain = {**hashes(range(10, 17), "aa"), **hashes(range(17, 22), "bb")}
    assert plan_reorg(stored, chain) == 16


def test_chain_got_shorter() -> None:
    # The new fork is behind the old tip: heights 18-19 do not exist on the chain any more.
    stored = hashes(range(10, 20), "aa")
    chain = {**hashes(range(10, 16), "aa"), **hashes(range(16, 18), "bb")}
    assert plan_reorg(stored, chain) == 15


def test_only_the_newest_block_changed() -> None:
    stored = hashes(range(0, 5), "aa")
    chain = {**hashes(range(0, 4), "aa"), 4: "0xother"}
    assert plan_reorg(stored, chain) == 3


def test_hashes_compare_case_insensitively() -> None:
    stored = {7: "0xABCDEF", 8: "0x0102"}
    assert plan_reorg(stored, {7: "0xabcdef", 8: "0x0102"}) == 8


def test_sparse_stored_window() -> None:
    # An indexer may keep only some heights (e.g. blocks that had transfers).
    stored = {100: "0xa", 105: "0xb", 110: "0xc"}
    chain = {100: "0xa", 105: "0xb", 110: "0xX"}
    assert plan_reorg(stored, chain) == 105


def test_reorg_deeper_than_the_window_raises() -> None:
    stored = hashes(range(10, 20), "aa")
    chain = hashes(range(0, 25), "bb")
    with pytest.raises(ReorgTooDeep) as info:
        plan_reorg(stored, chain)
    assert info.value.oldest_checked == 10


def test_nothing_stored_is_a_caller_error() -> None:
    with pytest.raises(ValueError, match="at least one"):
        plan_reorg({}, {1: "0x1"})
