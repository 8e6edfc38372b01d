"""Claim refusals: each has its own code, so a client can tell the player what went wrong."""

from app.core.errors import Conflict, Forbidden, InvalidInput


class AccuracyTooPoor(InvalidInput):
    code = "accuracy_too_poor"


class ImplausibleMovement(Forbidden):
    code = "implausible_movement"


class TooFar(Forbidden):
    code = "too_far"


class OwnPlacement(Forbidden):
    code = "own_placement"


class NotPlaced(Conflict):
    code = "not_placed"


class NotVisible(Conflict):
    code = "not_visible"


class AlreadyClaimed(Conflict):
    code = "already_claimed"


class ClaimInProgress(Conflict):
    code = "claim_in_progress"
