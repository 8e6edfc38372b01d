"""NFT domain errors (codes callers can branch on); statuses come from app.core.errors."""

import contextlib
from collections.abc import Iterator

from app.chain import ChainError, TransactionFailed
from app.core.errors import Conflict, DomainError, Forbidden, NotFound


class NftNotFound(NotFound):
    code = "nft_not_found"


class PlacementNotFound(NotFound):
    code = "placement_not_found"


class NotNftOwner(Forbidden):
    code = "not_owner"


class AlreadyPlaced(Conflict):
    code = "already_placed"


class OperatorNotApproved(Conflict):
    code = "operator_not_approved"


class NftExists(Conflict):
    code = "nft_exists"


class ChainUnavailable(DomainError):
    """NFT_CHAIN_ENABLED is off, or the chain cannot be reached: nothing the client did wrong."""

    status = 503
    code = "chain_unavailable"


class ChainRejected(Conflict):
    """The chain refused a transaction (a revert: e.g. the token moved in the meantime)."""

    code = "chain_rejected"


@contextlib.contextmanager
def chain_errors() -> Iterator[None]:
    """Map app.chain failures in a request to clear API errors instead of a 500."""
    try:
        yield
    except TransactionFailed as exc:
        raise ChainRejected(f"The chain refused the transaction: {exc}") from exc
    except ChainError as exc:
        raise ChainUnavailable(f"The chain is not available: {exc}") from exc
