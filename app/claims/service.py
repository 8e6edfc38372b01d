"""Claiming a placed NFT with proof of presence, and electing exactly one winner.

Order of checks (each refusal is recorded as a claim attempt, committed, then raised):
1. the NFT exists (404 `nft_not_found`);
2. the fix is accurate enough (422 `accuracy_too_poor`, limit CLAIM_MAX_ACCURACY_M);
3. the move is plausible (403 `implausible_movement`): the implied speed from the player's
   last accepted location update (app.locations) and from their last trusted claim attempt
   must not exceed CLAIM_MAX_SPEED_MPS (geo.motion.implied_speed: accuracy-aware);
4. the NFT is placed (409 `not_placed`, or `already_claimed` if its last placement was
   claimed), visible now (409 `not_visible`), and not placed by the claimer (403
   `own_placement`);
5. the fix reaches the claim radius (403 `too_far`; geo.motion.within_radius);
6. the race: the placement row is locked with FOR UPDATE SKIP LOCKED. Exactly one claimer
   gets the lock while the row is active; the others get 409 (`claim_in_progress` while the
   winner works, `already_claimed` after it committed). The winner transfers on chain
   WHILE holding the lock, then closes the placement and commits: the transfer happens
   once, and a failed transfer rolls back (the NFT stays claimable; 503 `chain_unavailable`).
   A partial unique index on claim_attempts (one 'claimed' per placement) backs this up.
"""

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from app.chain import ChainError
from app.claims import queries
from app.claims.errors import (
    AccuracyTooPoor,
    AlreadyClaimed,
    ClaimInProgress,
    ImplausibleMovement,
    NotPlaced,
    NotVisible,
    OwnPlacement,
    TooFar,
)
from app.claims.metrics import CLAIMS
from app.claims.models import ClaimOutcome
from app.core.errors import DomainError
from app.core.events import RealtimeEvent, publish
from app.locations.service import last_accepted_fix
from app.nfts import service as nft_service
from app.nfts.component import NftComponent
from app.nfts.errors import ChainUnavailable
from app.nfts.models import NftPlacementState
from app.resources import Resources
from app.users.models import User
from geo.coords import validate_lat_lng
from geo.motion import Fix, implied_speed, within_radius

log = logging.getLogger("cyberspace.claims")


@dataclass(frozen=True, slots=True)
class ClaimRequest:
    nft_id: str
    lat: float
    lng: float
    accuracy_m: float


@dataclass(frozen=True, slots=True)
class Claimed:
    nft_id: str
    placement_id: uuid.UUID
    distance_m: float
    to_address: str
    custody: bool
    tx_hash: str | None


class _Refused:
    """Records a refused attempt (committed) before its error propagates."""

    def __init__(self, session: AsyncSession, claimer: User, req: ClaimRequest, now: datetime):
        self.session, self.req, self.now = session, req, now
        # Read now: a rollback (failed transfer) expires the ORM object.
        self.user_id = claimer.id

    async def __call__(
        self,
        outcome: ClaimOutcome,
        error: DomainError,
        *,
        placement_id: uuid.UUID | None = None,
        trusted: bool,
        distance_m: float | None = None,
    ) -> DomainError:
        await queries.add_attempt(
            self.session,
            nft_id=self.req.nft_id,
            placement_id=placement_id,
            user_id=self.user_id,
            lat=self.req.lat,
            lng=self.req.lng,
            accuracy_m=self.req.accuracy_m,
            outcome=outcome.value,
            trusted_position=trusted,
            distance_m=distance_m,
            created_at=self.now,
        )
        await self.session.commit()
        CLAIMS.labels(outcome=outcome.value).inc()
        return error


async def _check_motion(
    *,
    resources: Resources,
    session: AsyncSession,
    claimer: User,
    here: Fix,
) -> None:
    """Raise ImplausibleMovement if reaching `here` from a recent fix needs a teleport."""
    settings = resources.settings
    previous: list[tuple[str, Fix]] = []
    location = await last_accepted_fix(session, claimer.id)
    if location is not None:
        previous.append(
            (
                "location_update",
                Fix(
                    location.lat, location.lng, location.accuracy_m, location.timestamp.timestamp()
                ),
            )
        )
    attempt = await queries.last_trusted_attempt(session, claimer.id)
    if attempt is not None:
        previous.append(
            (
                "claim_attempt",
                Fix(attempt.lat, attempt.lng, attempt.accuracy_m, attempt.created_at.timestamp()),
            )
        )
    for source, fix in previous:
        check = implied_speed(
            fix,
            here,
            max_speed_mps=settings.claim_max_speed_mps,
            min_interval_s=settings.claim_min_interval_s,
        )
        if not check.plausible:
            raise ImplausibleMovement(
                f"Moving here from your last position ({check.distance_m:.0f} m away, "
                f"{max(check.elapsed_s, 0):.0f} s ago) needs {check.speed_mps:.0f} m/s; "
                f"the limit is {settings.claim_max_speed_mps:g} m/s",
                details={
                    "reference": source,
                    "distance_m": round(check.distance_m, 1),
                    "elapsed_s": round(check.elapsed_s, 1),
                    "speed_mps": round(check.speed_mps, 1),
                    "max_speed_mps": settings.claim_max_speed_mps,
                },
            )


async def claim_nft(
    *,
    resources: Resources,
    session: AsyncSession,
    claimer: User,
    req: ClaimRequest,
    now: datetime | None = None,
) -> Claimed:
    now = now or datetime.now().astimezone()
    settings = resources.settings
    point = validate_lat_lng(req.lat, req.lng)
    refuse = _Refused(session, claimer, req, now)
    nft = await nft_service.get_nft(session=session, nft_id=req.nft_id)

    if req.accuracy_m > settings.claim_max_accuracy_m:
        raise await refuse(
            ClaimOutcome.INACCURATE,
            AccuracyTooPoor(
                f"Location accuracy {req.accuracy_m:g} m is too poor to claim; at most "
                f"{settings.claim_max_accuracy_m:g} m is accepted",
                details={
                    "accuracy_m": req.accuracy_m,
                    "max_accuracy_m": settings.claim_max_accuracy_m,
                },
            ),
            trusted=False,
        )
    here = Fix(point.lat, point.lng, req.accuracy_m, now.timestamp())
    try:
        await _check_motion(resources=resources, session=session, claimer=claimer, here=here)
    except ImplausibleMovement as exc:
        raise await refuse(ClaimOutcome.TELEPORT, exc, trusted=False) from None

    placement = await nft_service.active_placement(session=session, nft_id=nft.id)
    if placement is None:
        if await queries.last_closed_state(session, nft.id) == NftPlacementState.CLAIMED.value:
            raise await refuse(
                ClaimOutcome.ALREADY_CLAIMED,
                AlreadyClaimed("This NFT has already been claimed", details={"nft_id": nft.id}),
                trusted=True,
            )
        raise await refuse(
            ClaimOutcome.NOT_PLACED,
            NotPlaced("This NFT is not placed anywhere", details={"nft_id": nft.id}),
            trusted=True,
        )
    pid = placement.placement_id
    if (placement.visible_from is not None and placement.visible_from > now) or (
        placement.visible_until is not None and placement.visible_until <= now
    ):
        raise await refuse(
            ClaimOutcome.NOT_VISIBLE,
            NotVisible("This NFT cannot be claimed at this time", details={"nft_id": nft.id}),
            placement_id=pid,
            trusted=True,
        )
    if placement.placed_by == claimer.id:
        raise await refuse(
            ClaimOutcome.OWN_PLACEMENT,
            OwnPlacement("You cannot claim an NFT you placed yourself; withdraw it instead"),
            placement_id=pid,
            trusted=True,
        )
    reach = within_radius(
        point.lat,
        point.lng,
        req.accuracy_m,
        target_lat=placement.lat,
        target_lng=placement.lng,
        radius_m=placement.claim_radius_m,
    )
    if not reach.within:
        raise await refuse(
            ClaimOutcome.TOO_FAR,
            TooFar(
                f"You are {reach.distance_m:.0f} m from the NFT; come within "
                f"{placement.claim_radius_m:g} m (your accuracy of {req.accuracy_m:g} m counts)",
                details={
                    "distance_m": round(reach.distance_m, 1),
                    "claim_radius_m": placement.claim_radius_m,
                    "accuracy_m": req.accuracy_m,
                    "shortfall_m": round(reach.shortfall_m, 1),
                },
            ),
            placement_id=pid,
            trusted=True,
            distance_m=reach.distance_m,
        )
    return await _win_or_lose(
        resources=resources,
        session=session,
        claimer=claimer,
        req=req,
        placement_id=pid,
        distance_m=reach.distance_m,
        now=now,
        refuse=refuse,
    )


async def _win_or_lose(
    *,
    resources: Resources,
    session: AsyncSession,
    claimer: User,
    req: ClaimRequest,
    placement_id: uuid.UUID,
    distance_m: float,
    now: datetime,
    refuse: _Refused,
) -> Claimed:
    locked = await queries.lock_active_placement(session, placement_id)
    if locked is None:
        state = await queries.placement_state(session, placement_id)
        error: DomainError = (
            ClaimInProgress(
                "Another player is claiming this NFT right now",
                details={"nft_id": req.nft_id},
            )
            if state == NftPlacementState.ACTIVE.value
            else AlreadyClaimed(
                "This NFT has already been claimed"
                if state == NftPlacementState.CLAIMED.value
                else "This NFT is no longer placed here",
                details={"nft_id": req.nft_id, "state": state},
            )
        )
        raise await refuse(
            ClaimOutcome.LOST_RACE,
            error,
            placement_id=placement_id,
            trusted=True,
            distance_m=distance_m,
        )
    nfts = resources.component(NftComponent)
    nft = await nft_service.get_nft(session=session, nft_id=req.nft_id)
    try:
        chain = await nfts.chain()
        tx_hash = await nft_service.transfer_placed_nft(
            chain=chain, session=session, nft=nft, from_addr=locked.holder, to_user_id=claimer.id
        )
    except (ChainError, ChainUnavailable) as exc:
        log.warning("claim transfer failed", extra={"nft_id": req.nft_id}, exc_info=True)
        await session.rollback()
        raise await refuse(
            ClaimOutcome.CHAIN_FAILED,
            ChainUnavailable(
                "The NFT could not be transferred on chain; it is still claimable, try again",
                details={"nft_id": req.nft_id, "reason": type(exc).__name__},
            ),
            placement_id=placement_id,
            trusted=True,
            distance_m=distance_m,
        ) from exc
    custody = nft.custody_user_id == claimer.id
    stale_custody = None if custody else nft.custody_user_id
    to_address = chain.service_address.lower() if custody else await _first_wallet(session, claimer)
    closed = await nft_service.close_placement(
        session=session,
        nft_id=nft.id,
        state=NftPlacementState.CLAIMED,
        claimed_by=claimer.id,
        only_placement_id=placement_id,
        now=now,
    )
    # We hold the row lock, so the placement cannot have closed under us.
    assert closed is not None, "locked placement closed concurrently"
    await queries.add_attempt(
        session,
        nft_id=nft.id,
        placement_id=placement_id,
        user_id=claimer.id,
        lat=req.lat,
        lng=req.lng,
        accuracy_m=req.accuracy_m,
        outcome=ClaimOutcome.CLAIMED.value,
        trusted_position=True,
        distance_m=distance_m,
        tx_hash=tx_hash,
        created_at=now,
    )
    await session.commit()
    CLAIMS.labels(outcome=ClaimOutcome.CLAIMED.value).inc()
    if stale_custody is not None:
        # The token left the service wallet, so the placer's custody is over. The indexer
        # clears it too, but only on its next pass. Done after commit, in its own short
        # transaction: taking the nfts row lock while holding the placement's would invert
        # the indexer's lock order (nfts, then placement) and could deadlock with it.
        await queries.clear_custody(session, nft_id=req.nft_id, was=stale_custody)
        await session.commit()
    await _after_claim(resources=resources, session=session, claimer=claimer, req=req, now=now)
    return Claimed(
        nft_id=nft.id,
        placement_id=placement_id,
        distance_m=distance_m,
        to_address=to_address,
        custody=custody,
        tx_hash=tx_hash,
    )


async def _first_wallet(session: AsyncSession, user: User) -> str:
    from app.users import queries as user_queries

    wallets = await user_queries.wallet_addresses(session, user.id)
    return wallets[0].lower()


async def _after_claim(
    *, resources: Resources, session: AsyncSession, claimer: User, req: ClaimRequest, now: datetime
) -> None:
    """Side effects of a committed claim; their failures must not turn a won claim into an error."""
    await resources.placement_sync.changed()
    try:
        await publish(
            resources.redis,
            resources.settings.redis_channel_prefix,
            RealtimeEvent(
                type="nft_claimed",
                data={
                    "nft_id": req.nft_id,
                    "user_id": str(claimer.id),
                    "username": claimer.username,
                },
                near=(req.lat, req.lng),
            ),
        )
        from app.challenges.service import record_claim  # collect-N-NFTs challenges

        await record_claim(
            resources=resources,
            session=session,
            user_id=claimer.id,
            lat=req.lat,
            lng=req.lng,
            claimed_at=now,
            nft_id=req.nft_id,
        )
    except Exception:
        log.exception("after-claim side effects failed", extra={"nft_id": req.nft_id})
